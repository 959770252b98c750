"""Job `cb_stats`: the owner's Stats API -> one `cb_stats` snapshot per run (nothing on failure)."""

from __future__ import annotations

from mhc.clients.chaturbate_stats import StatsClient
from mhc.domain.jobs import CbStatsConfig
from mhc.domain.models import SnapshotSource
from mhc.domain.roles import Role
from mhc.services import profiles, snapshots
from mhc.services.job_context import JobContext, JobResult
from mhc.services.persons import find_or_create


def cb_stats(ctx: JobContext) -> JobResult:
    config: CbStatsConfig = ctx.config
    settings = ctx.deps.settings
    owner = settings.require_owner()
    client = StatsClient.from_settings(settings, ctx.deps.http, deps=ctx.deps.client_deps)
    stats = client.fetch(deadline=ctx.deadline)
    with ctx.db.transaction() as conn:
        person, _ = find_or_create(conn, owner, role=Role.MODEL, seen_at=stats.fetched_at)
        snapshot = snapshots.append(
            conn,
            person.id,
            SnapshotSource.CB_STATS,
            captured_at=stats.fetched_at,
            raw_payload=dict(stats.raw),
            normalized_metrics=stats.metrics,
        )
        changed = 0
        followers = stats.metrics.get("num_followers")
        if config.record_followers and isinstance(followers, int):
            changed = profiles.record_followers(
                conn, {person.id: followers}, at=stats.fetched_at, source="cb_stats"
            )
    return JobResult(
        counts={"snapshots": 1, "snapshot_id": snapshot.id, "followers_changed": changed}
    )
