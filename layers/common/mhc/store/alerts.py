"""SQL for alerts: the owner's rule sets (append-only, the newest in force), the alerts raised
(append-only, keyed by rule and event), and the history thresholds are suggested from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from mhc.db.connection import Conn
from mhc.domain.alerts import Alert, AlertView
from mhc.store.interactions import ANONYMOUS, NOT_A_TWIN


@dataclass(frozen=True)
class RuleSet:
    id: int
    rules: list[dict[str, Any]]
    saved_at: datetime


def latest_rule_set(conn: Conn) -> RuleSet | None:
    row = conn.execute(
        "SELECT id, rules, saved_at FROM alert_rule_sets ORDER BY id DESC LIMIT 1"
    ).fetchone()
    return None if row is None else RuleSet(int(row["id"]), row["rules"], row["saved_at"])


def save_rule_set(conn: Conn, rules: list[dict[str, Any]], saved_at: datetime) -> RuleSet:
    row = conn.execute(
        """INSERT INTO alert_rule_sets (rules, saved_at) VALUES (%s, %s)
           RETURNING id, rules, saved_at""",
        (Jsonb(rules), saved_at),
    ).fetchone()
    assert row is not None
    return RuleSet(int(row["id"]), row["rules"], row["saved_at"])


def lock_rules(conn: Conn) -> None:
    """Serialize saving rule sets (compare with the newest, then save) until commit."""
    conn.execute("SELECT pg_advisory_xact_lock(hashtext('mhc.alert_rule_sets'))")


def insert(conn: Conn, rule_set_id: int, alerts: Sequence[Alert]) -> int:
    """Store alerts; one already stored (same rule, same event) is skipped. How many new."""
    if not alerts:
        return 0
    return conn.execute(
        """INSERT INTO alerts (key, rule_set_id, rule_id, kind, person_id, trigger, event_id, at,
                               reason, sound)
           SELECT k, %s, r, kd, p, t, e, a, why, s
           FROM unnest(%s::text[], %s::text[], %s::text[], %s::bigint[], %s::text[], %s::text[],
                       %s::timestamptz[], %s::text[], %s::bool[])
                AS v(k, r, kd, p, t, e, a, why, s)
           ON CONFLICT (key) DO NOTHING""",
        (
            rule_set_id,
            [a.key for a in alerts],
            [a.rule_id for a in alerts],
            [a.kind.value for a in alerts],
            [a.person_id for a in alerts],
            [a.trigger.value for a in alerts],
            [a.event_id for a in alerts],
            [a.at for a in alerts],
            [a.reason[:500] for a in alerts],
            [a.sound for a in alerts],
        ),
    ).rowcount


def recent(
    conn: Conn,
    *,
    since: datetime | None,
    limit: int,
    before: tuple[datetime, str] | None = None,
) -> list[AlertView]:
    """Alerts newest first (as the survivor, excluded persons left out); `before` is the
    (at, key) of the previous page's last one. Fetches `limit + 1` to tell if more exist."""
    clauses = ["NOT p.is_excluded"]
    params: dict[str, Any] = {"limit": limit + 1}
    if since is not None:
        clauses.append("a.at >= %(since)s")
        params["since"] = since
    if before is not None:
        clauses.append("(a.at, a.key) < (%(before_at)s, %(before_key)s)")
        params["before_at"], params["before_key"] = before
    rows = conn.execute(
        f"""SELECT a.key, a.rule_id, a.kind, p.id AS person_id, p.username, a.trigger,
                   a.event_id, a.at, a.reason, a.sound
            FROM alerts a JOIN persons r ON r.id = a.person_id
            JOIN persons p ON p.id = coalesce(r.merged_into, r.id)
            WHERE {" AND ".join(clauses)}
            ORDER BY a.at DESC, a.key DESC LIMIT %(limit)s""",
        params,
    ).fetchall()
    return [AlertView.model_validate(row) for row in rows]


def lifetime_tokens(conn: Conn, owner: str) -> tuple[dict[int, int], set[int]]:
    """Everyone's lifetime tokens to the owner (per survivor), and who is excluded."""
    rows = conn.execute(
        """SELECT p.id, p.is_excluded, sum(t.tokens) AS tokens FROM person_rooms t
           JOIN persons r ON r.id = t.person_id JOIN persons p ON p.id = coalesce(r.merged_into, r.id)
           WHERE t.broadcaster = %s AND t.tokens > 0 GROUP BY p.id, p.is_excluded""",
        (owner,),
    ).fetchall()
    return (
        {int(r["id"]): int(r["tokens"]) for r in rows},
        {int(r["id"]) for r in rows if r["is_excluded"]},
    )


def largest_tips(conn: Conn, owner: str, *, since: datetime) -> tuple[dict[int, int], set[int]]:
    """Each person's largest single tip to the owner since `since`, and who is excluded."""
    rows = conn.execute(
        f"""SELECT p.id, p.is_excluded, max(mhc_payment_tokens(i.metadata)) AS tokens
            FROM interactions i JOIN persons r ON r.id = i.person_id
            JOIN persons p ON p.id = coalesce(r.merged_into, r.id)
            WHERE i.broadcaster = %s AND i.type = 'TIP_EVENT' AND i.occurred_at >= %s
              AND NOT {ANONYMOUS} AND {NOT_A_TWIN}
            GROUP BY p.id, p.is_excluded""",
        (owner, since),
    ).fetchall()
    return (
        {int(r["id"]): int(r["tokens"]) for r in rows},
        {int(r["id"]) for r in rows if r["is_excluded"]},
    )
