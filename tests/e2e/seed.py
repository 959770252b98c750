"""The world the e2e walk runs in: the owner, a regular viewer with history, a past session,
snapshots (the latest Stats API one saying the owner is offline), a chat line to find, and
collectors in every state: one OK, one that just failed, one not configured, one never run, and
an events poller that is not configured. Times are relative to now, because the server under
test runs on the real clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from mhc.db.connection import Database
from mhc.domain.models import InteractionSource, InteractionType, NewInteraction, SnapshotSource
from mhc.domain.roles import Role
from mhc.services import interactions, persons, snapshots
from psycopg.types.json import Jsonb

OWNER = "e2e_owner"
VIEWER = "seed_viewer"
CHAT_LINE = "the violet harmonica riff was amazing"
FAILED_JOB = "statbate_refresh"
FAILED_ERROR = "statbate: HTTP 503 (service unavailable)"
UNCONFIGURED_JOB = "affiliate_sweep"
NEVER_RUN_JOB = "profile_collection"


@dataclass(frozen=True)
class World:
    owner_id: int
    viewer_id: int
    session_id: int


def seed(db: Database, now: datetime | None = None) -> World:
    now = now or datetime.now(UTC)
    start = now - timedelta(hours=3)
    with db.transaction() as conn:
        owner, _ = persons.find_or_create(conn, OWNER, role=Role.MODEL, seen_at=start)
        viewer, _ = persons.find_or_create(conn, VIEWER, role=Role.VIEWER, seen_at=start)
        rows = [
            (InteractionType.USER_ENTER, None, {}, 5),
            (InteractionType.CHAT_MESSAGE, CHAT_LINE, {}, 10),
            (InteractionType.TIP_EVENT, "for the song", {"tokens": 50}, 20),
            (InteractionType.PRIVATE_MESSAGE, "see you tomorrow", {}, 30),
        ]
        for kind, text, metadata, minute in rows:
            interactions.record(
                conn,
                NewInteraction(
                    person_id=viewer.id,
                    type=kind,
                    source=InteractionSource.CB_EVENTS,
                    external_id=f"e2e-{minute}",
                    occurred_at=start + timedelta(minutes=minute),
                    broadcaster=OWNER,
                    content=text,
                    metadata=metadata,
                ),
            )
        for hours_ago, tokens, rank in ((72, 500, 900), (48, 580, 850), (24, 640, 700)):
            snapshots.append(
                conn,
                viewer.id,
                SnapshotSource.STATBATE_MEMBER,
                captured_at=now - timedelta(hours=hours_ago),
                raw_payload={"all_time_tokens": tokens, "rank": rank},
                normalized_metrics={"all_time_tokens": tokens, "rank": rank},
            )
        for minutes_ago, followers in ((120, 1000), (10, 1012)):
            snapshots.append(
                conn,
                owner.id,
                SnapshotSource.CB_STATS,
                captured_at=now - timedelta(minutes=minutes_ago),
                raw_payload={"num_followers": followers, "time_online": -1},
                normalized_metrics={"num_followers": followers, "time_online_minutes": None},
            )
        session = conn.execute(
            """INSERT INTO stream_sessions (started_at, ended_at, source)
               VALUES (%s, %s, 'cb_events') RETURNING id""",
            (start, start + timedelta(hours=1)),
        ).fetchone()
        assert session is not None
        conn.execute(
            """INSERT INTO job_runs (job, started_at, finished_at, status, counts, error)
               VALUES ('cb_stats', %s, %s, 'succeeded', %s, NULL),
                      (%s, %s, %s, 'failed', %s, %s)""",
            (
                now - timedelta(minutes=10),
                now - timedelta(minutes=10) + timedelta(seconds=2),
                Jsonb({"snapshots": 1}),
                FAILED_JOB,
                now - timedelta(minutes=5),
                now - timedelta(minutes=5) + timedelta(seconds=3),
                Jsonb({"refreshed": 0}),
                FAILED_ERROR,
            ),
        )
        for job, setting in (
            (UNCONFIGURED_JOB, "MHC_AFFILIATE_CAMPAIGN"),
            (
                "events_poller",
                "MHC_EVENTS_URL",
            ),
        ):
            conn.execute(
                """INSERT INTO job_runs (job, started_at, finished_at, status, counts, error)
                   VALUES (%s, %s, %s, 'not_configured', %s, %s)""",
                (
                    job,
                    now - timedelta(minutes=3),
                    now - timedelta(minutes=3),
                    Jsonb({"missing": [setting]}),
                    f"{setting} is not set (add it to .env or the environment)",
                ),
            )
        conn.execute(
            "INSERT INTO event_gaps (detected_at, reason) VALUES (%s, 'cursor expired')",
            (now - timedelta(hours=2),),
        )
    return World(owner_id=owner.id, viewer_id=viewer.id, session_id=int(session["id"]))
