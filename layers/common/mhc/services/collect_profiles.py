"""Job `profile_collection`: broadcasters' profile JSON (biocontext), at most 25 a minute.

Who: watchlist members, recent contacts, then the stalest profiles (MODEL/BOTH only). A profile
is stored with its raw payload (sanitized HTML fields) and a `cb_profile` snapshot; 404 marks it
gone and 401 restricted, both asked again much later. Three 429s in a row stop the batch and
cool the API down; throttled or unreached names are never marked done.
"""

from __future__ import annotations

from datetime import timedelta

from mhc.clients.biocontext import BiocontextClient, Profile, ProfileGone, ProfileRestricted
from mhc.clients.http import Pacer, Timeouts
from mhc.domain.collection import contact_window, prioritize
from mhc.domain.jobs import ProfileCollectionConfig
from mhc.domain.models import JobStatus, SnapshotSource
from mhc.domain.profiles import profile_fields, profile_metrics
from mhc.services import profiles, snapshots
from mhc.services.job_context import CoolDown, JobContext, JobResult
from mhc.store import collect_targets

API = "profiles"


def _client(ctx: JobContext, config: ProfileCollectionConfig) -> BiocontextClient:
    settings = ctx.deps.settings
    per_minute = min(config.requests_per_minute, settings.mhc_profile_requests_per_minute)
    return BiocontextClient(
        ctx.deps.http,
        base_url=settings.mhc_chaturbate_url,
        pacer=Pacer.per_minute(per_minute, ctx.deps.client_deps),
        timeouts=Timeouts(
            settings.mhc_http_connect_timeout_seconds, settings.mhc_http_read_timeout_seconds
        ),
        deps=ctx.deps.client_deps,
    )


def profile_collection(ctx: JobContext) -> JobResult:
    config: ProfileCollectionConfig = ctx.config
    client = _client(ctx, config)
    now = ctx.started_at
    recent_since = contact_window(now, config.recent_days)
    with ctx.db.transaction() as conn:
        pool = collect_targets.profile_targets(
            conn,
            watchlists=config.watchlists,
            recent_since=recent_since,
            stale_before=now - timedelta(hours=config.stale_after_hours),
            limit=config.limit,
        )
    targets = prioritize(
        pool,
        now=now,
        recent_since=recent_since,
        fresh_for=timedelta(hours=config.stale_after_hours),
        limit=config.limit,
    )
    by_name = {target.username: target for target in targets}
    batch = client.fetch_batch(list(by_name), deadline=ctx.deadline)
    fetched_at = ctx.deps.clock()
    tally: dict[str, int] = {
        "persons": len(targets),
        "fetched": 0,
        "gone": 0,
        "restricted": 0,
        "not_done": len(batch.not_done),
        "followers_changed": 0,
    }
    with ctx.db.transaction() as conn:
        for name, result in batch.results.items():
            person_id = by_name[name].person_id
            if isinstance(result, Profile):
                fields = profile_fields(
                    result.raw,
                    about_me_html=result.about_me_html,
                    wish_list_html=result.wish_list_html,
                    last_broadcast_at=result.last_broadcast_at,
                )
                raw = {
                    **result.raw,
                    "about_me": result.about_me_html,
                    "wish_list": result.wish_list_html,
                }
                tally["followers_changed"] += profiles.save_profile(
                    conn, person_id, fetched_at=fetched_at, raw=raw, fields=fields
                )
                snapshots.append(
                    conn,
                    person_id,
                    SnapshotSource.CB_PROFILE,
                    captured_at=fetched_at,
                    raw_payload=raw,
                    normalized_metrics=profile_metrics(result.raw, result.last_broadcast_at),
                )
                tally["fetched"] += 1
            elif isinstance(result, ProfileGone):
                profiles.mark_unavailable(
                    conn,
                    person_id,
                    status="gone",
                    fetched_at=fetched_at,
                    retry_after=fetched_at + timedelta(days=config.gone_retry_days),
                )
                tally["gone"] += 1
            elif isinstance(result, ProfileRestricted):
                profiles.mark_unavailable(
                    conn,
                    person_id,
                    status="restricted",
                    fetched_at=fetched_at,
                    retry_after=fetched_at + timedelta(days=config.restricted_retry_days),
                )
                tally["restricted"] += 1
    counts: dict[str, object] = dict(tally)
    if batch.stopped_because:
        counts["stopped_because"] = batch.stopped_because
    if batch.stopped_because == "throttled":
        until = fetched_at + timedelta(minutes=config.throttle_cool_down_minutes)
        reason = "profiles: 3 consecutive HTTP 429 responses"
        return JobResult(
            status=JobStatus.SUCCEEDED if batch.results else JobStatus.SKIPPED,
            counts=counts,
            error=f"{reason}; paused until {until.isoformat()}",
            cool_down=CoolDown(API, until, reason),
        )
    if batch.stopped_because in ("blocked", "transient"):
        until = fetched_at + timedelta(minutes=30)
        reason = (
            "profiles: Cloudflare answered instead of the profile API"
            if batch.stopped_because == "blocked"
            else "profiles: network or server errors outlasted the retries"
        )
        return JobResult(
            status=JobStatus.FAILED,
            counts=counts,
            error=reason,
            cool_down=CoolDown(API, until, reason) if batch.stopped_because == "blocked" else None,
        )
    return JobResult(counts=counts)
