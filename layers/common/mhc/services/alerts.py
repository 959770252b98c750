"""Alerts: the owner's rules, thresholds suggested from her own history, the alerts raised as
people arrive or follow, and the stored alerts (rules in `mhc.domain.alerts`).

Alerts are evaluated **as events are ingested** (`on_ingest`, a step of
`ingest.persist_events`), in the page's own transaction: an alert exists exactly when its
event does, whether or not anyone has the Live page open, and replaying a page stores nothing
twice (an alert's key is its rule and event). The step costs nothing on a page without an
enter or follow in the owner's room, one query when no rule is set, and runs in a savepoint
so a failure in it can never fail (and so block) ingest: it is logged and the page goes on.

An enter rings only when it is an arrival (`mhc.domain.live_room.is_arrival`: not a second
tab, not a reconnect); excluded persons, the owner and anonymous users never alert.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict

from mhc.db.connection import Conn, TransactionSource
from mhc.domain.alerts import (
    Alert,
    AlertRule,
    AlertRules,
    AlertTrigger,
    AlertView,
    NewFollowerTipperRule,
    PersonFacts,
    ReturningRegularRule,
    ThresholdSuggestion,
    Trigger,
    evaluate,
    lookback_days,
    parse_rules,
    suggest_big_tip,
    suggest_lifetime_tokens,
)
from mhc.domain.clock import Clock, utc_now
from mhc.domain.errors import InvalidInput
from mhc.domain.live_room import MAX_STAY, is_arrival
from mhc.domain.models import InteractionType
from mhc.domain.paging import check_limit
from mhc.observability import logger, redact
from mhc.services import live_room, sessions
from mhc.services.interactions import InteractionRow
from mhc.store import alerts as store

#: The window of the big-tip suggestion when no big-tip rule says otherwise.
DEFAULT_BIG_TIP_DAYS = 30
_TRIGGERS = {InteractionType.USER_ENTER: Trigger.ARRIVAL, InteractionType.FOLLOW: Trigger.FOLLOW}


class _Frozen(BaseModel):
    # Built on first use: the events poller imports these modules and never builds a view.
    model_config = ConfigDict(frozen=True, defer_build=True)


class RulesView(_Frozen):
    rules: list[AlertRule]
    #: When the rules in force were saved (None: never).
    saved_at: datetime | None
    #: Thresholds from the owner's own history, with their reasoning.
    suggestions: list[ThresholdSuggestion]


class AlertPage(_Frozen):
    items: list[AlertView]
    next_cursor: str | None


# -- rules ------------------------------------------------------------------------------------
def _in_force(conn: Conn) -> tuple[AlertRules, datetime | None, int | None]:
    saved = store.latest_rule_set(conn)
    if saved is None:
        return AlertRules(), None, None
    return parse_rules({"rules": saved.rules}), saved.saved_at, saved.id


def _suggestions(
    conn: Conn, owner: str, rules: AlertRules, now: datetime
) -> list[ThresholdSuggestion]:
    lifetime, excluded = store.lifetime_tokens(conn, owner)
    days = lookback_days(rules) or DEFAULT_BIG_TIP_DAYS
    largest, excluded_tippers = store.largest_tips(conn, owner, since=now - timedelta(days=days))
    return [
        suggest_lifetime_tokens(lifetime, excluded=excluded),
        suggest_big_tip(largest, within_days=days, excluded=excluded_tippers),
    ]


def get_rules(db: TransactionSource, *, owner: str, clock: Clock = utc_now) -> RulesView:
    """The rules in force and thresholds suggested from the owner's history."""
    with db.transaction() as conn:
        rules, saved_at, _ = _in_force(conn)
        return RulesView(
            rules=list(rules.rules),
            saved_at=saved_at,
            suggestions=_suggestions(conn, owner, rules, clock()),
        )


def put_rules(
    db: TransactionSource, rules: AlertRules, *, owner: str, clock: Clock = utc_now
) -> RulesView:
    """Replace the rule set (idempotent: the same rules again save nothing new). A watchlist
    rule must name an existing watchlist."""
    from mhc.services import watchlists  # not on the ingest path's imports

    known = {w.id for w in watchlists.list_all(db)}
    for index, rule in enumerate(rules.rules):
        watchlist_id = getattr(rule, "watchlist_id", None)
        if watchlist_id is not None and watchlist_id not in known:
            raise InvalidInput(f"rules.{index}.watchlist_id", f"no watchlist {watchlist_id}")
    now = clock()
    wanted = rules.model_dump(mode="json")["rules"]
    with db.transaction() as conn:
        store.lock_rules(conn)
        current = store.latest_rule_set(conn)
        saved = current
        if current is None or current.rules != wanted:
            saved = store.save_rule_set(conn, wanted, now)
        assert saved is not None
        return RulesView(
            rules=list(rules.rules),
            saved_at=saved.saved_at,
            suggestions=_suggestions(conn, owner, rules, now),
        )


# -- stored alerts ----------------------------------------------------------------------------
def _cursor(at: datetime, key: str) -> str:
    raw = json.dumps([at.isoformat(), key], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[datetime, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        at, key = json.loads(base64.urlsafe_b64decode(padded.encode()))
        moment = datetime.fromisoformat(at)
        if not isinstance(key, str) or moment.tzinfo is None:
            raise ValueError
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError, UnicodeDecodeError):
        raise InvalidInput("cursor", "not a cursor returned by this API") from None
    return moment, key


def list_alerts(
    db: TransactionSource,
    *,
    since: datetime | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> AlertPage:
    """Stored alerts, newest first (excluded persons' never shown), `since` a time."""
    check_limit(limit)
    before = _decode(cursor) if cursor else None
    with db.transaction() as conn:
        rows = store.recent(conn, since=since, limit=limit, before=before)
    items = rows[:limit]
    more = len(rows) > limit
    return AlertPage(
        items=items, next_cursor=_cursor(items[-1].at, items[-1].key) if more else None
    )


# -- evaluation at ingest ---------------------------------------------------------------------
def on_ingest(conn: Conn, rows: Sequence[InteractionRow], *, owner: str) -> int:
    """Evaluate the rules for the enters and follows in the owner's room among `rows` (a
    page just appended, in feed order); store the alerts. How many were new."""
    triggers = [r for r in rows if r.broadcaster == owner and r.type in _TRIGGERS]
    if not triggers:
        return 0
    try:
        with conn.transaction():  # a savepoint: a failure here never fails the page
            return _evaluate(conn, triggers, owner)
    except Exception as exc:
        logger.warning("alert evaluation failed; the page is stored", extra={"error": redact(exc)})
        return 0


def _evaluate(conn: Conn, triggers: Sequence[InteractionRow], owner: str) -> int:
    saved = store.latest_rule_set(conn)
    if saved is None:
        return 0
    rules = parse_rules({"rules": saved.rules})
    enabled = [rule for rule in rules.rules if rule.enabled]
    follow_rules = any(isinstance(r, NewFollowerTipperRule) for r in enabled)
    arrival_rules = any(not isinstance(r, NewFollowerTipperRule) for r in enabled)
    wanted = [
        r
        for r in triggers
        if (_TRIGGERS[r.type] is Trigger.ARRIVAL and arrival_rules)
        or (_TRIGGERS[r.type] is Trigger.FOLLOW and follow_rules)
    ]
    if not wanted:
        return 0
    session = sessions.open_session(conn)
    session_start = session.started_at if session is not None else None
    enters = [r for r in wanted if r.type is InteractionType.USER_ENTER]
    arrivals = {id(r) for r in _arrivals(conn, owner, enters, session_start)}
    firing = [r for r in wanted if r.type is not InteractionType.USER_ENTER or id(r) in arrivals]
    if not firing:
        return 0
    ids = sorted({r.person_id for r in firing})
    briefs = live_room.briefs(conn, ids)
    first_at: dict[int, datetime] = {}
    for row in firing:
        first_at[row.person_id] = min(first_at.get(row.person_id, row.occurred_at), row.occurred_at)
    known = live_room.memory_of(conn, owner, first_at)
    earliest = min(r.occurred_at for r in firing)
    in_force = AlertRules(rules=tuple(enabled))
    days = lookback_days(in_force)
    tips = (
        live_room.recent_tips(conn, owner, ids, since=earliest - timedelta(days=days))
        if days
        else {}
    )
    regular_rules = [r for r in enabled if isinstance(r, ReturningRegularRule)]
    # An enter earlier in this very page is the previous visit of a later trigger.
    entered_in_page: dict[int, datetime] = {}
    alerts: list[Alert] = []
    for row in sorted(firing, key=lambda r: r.occurred_at):
        brief = briefs[row.person_id]
        memory = known[row.person_id]
        attended = eligible = 0
        before = entered_in_page.get(row.person_id, memory.previous_visit_at)
        if row.type is InteractionType.USER_ENTER:
            entered_in_page[row.person_id] = row.occurred_at
        if (
            regular_rules
            and row.type is InteractionType.USER_ENTER
            and before is not None
            and brief.first_seen_at is not None
            and row.occurred_at - before
            >= timedelta(days=min(r.min_days_away for r in regular_rules))
        ):  # only then is attendance worth reading
            attended, eligible = live_room.attendance(
                conn, owner, row.person_id, first_seen=brief.first_seen_at, before=row.occurred_at
            )
        facts = PersonFacts(
            person_id=row.person_id,
            is_excluded=brief.is_excluded,
            is_owner=brief.username == owner,
            is_anonymous=False,  # enters and follows always name their user
            lifetime_tokens=memory.tokens,
            recent_tips=tips.get(row.person_id, ()),
            watchlist_ids={i for i, _ in memory.watchlists},
            sessions_attended=attended,
            sessions_eligible=eligible,
            previous_visit_at=before,
        )
        trigger = AlertTrigger(_TRIGGERS[row.type], row.occurred_at, row.external_id)
        alerts.extend(evaluate(in_force, facts, trigger))
    return store.insert(conn, saved.id, alerts)


def _arrivals(
    conn: Conn,
    owner: str,
    enters: Sequence[InteractionRow],
    session_start: datetime | None,
) -> list[InteractionRow]:
    """The enters that are arrivals (not a second tab, not a reconnect)."""
    if not enters:
        return []
    first = min(r.occurred_at for r in enters)
    # Only what `is_arrival` looks at: this session's events (or the last 12 hours).
    since = first - MAX_STAY
    if session_start is not None and session_start <= first:
        since = max(since, session_start)
    before = live_room.previous_presence(
        conn, owner, [(r.external_id, r.person_id) for r in enters], since=since
    )
    found = []
    for row in enters:
        previous = before.get(row.external_id)
        if is_arrival(previous, row.occurred_at, session_start=session_start):
            found.append(row)
    return found
