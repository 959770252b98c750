"""Job `statbate_refresh`: Statbate intelligence on the persons that matter, paced.

Who: watchlist members, then recent contacts, then the configured roles (stalest first).
Members go through the batch endpoint, broadcasters through model info; each answer is a
snapshot, and its `did`/`rid` feeds rename detection. The first members found
(`analysis_limit`) also get Statbate's member analysis (in the owner's room, tag spending,
tips, activity), paced like the rest, each answer a snapshot. "Not found" is remembered (asked again
after `not_found_retry_days`), never retried every cycle.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from mhc.clients.errors import AuthError, ClientError, TransientExhausted
from mhc.clients.http import Pacer
from mhc.clients.statbate import StatbateClient
from mhc.db.connection import TransactionSource
from mhc.domain.collection import (
    Target,
    chunks,
    contact_window,
    is_not_found,
    prioritize,
    statbate_sources,
)
from mhc.domain.errors import Conflict
from mhc.domain.jobs import StatbateRefreshConfig
from mhc.domain.metrics import normalize_statbate_member, normalize_statbate_model
from mhc.domain.models import JobStatus, SnapshotSource
from mhc.domain.persons import Resolution
from mhc.domain.usernames import InvalidUsername, normalize_username
from mhc.observability import logger, redact
from mhc.services import snapshots, statbate_analysis
from mhc.services.job_context import JobContext, JobResult
from mhc.services.persons import find_or_create
from mhc.store import collect_targets

#: This many failed requests in a row end the run (no error storm against a sick API).
MAX_CONSECUTIVE_ERRORS = 5


class _Tally:
    def __init__(self) -> None:
        self.counts: dict[str, Any] = {
            "persons": 0,
            "snapshots": 0,
            "not_found": 0,
            "renamed": 0,
            "conflicts": 0,
            "errors": 0,
            "requests": 0,
            "analysis_snapshots": 0,
        }
        self.first_error: str | None = None
        self.consecutive_errors = 0

    def error(self, exc: Exception) -> None:
        self.counts["errors"] += 1
        self.consecutive_errors += 1
        if self.first_error is None:
            self.first_error = f"{type(exc).__name__}: {redact(exc)}"
        logger.warning("statbate refresh error", extra={"error": redact(exc)})

    def ok(self) -> None:
        self.consecutive_errors = 0


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _store(
    db: TransactionSource,
    target: Target,
    source: SnapshotSource,
    data: Mapping[str, Any],
    now: datetime,
    tally: _Tally,
) -> tuple[int, str] | None:
    """One answer: identity (did/rid, a changed name = rename), then the snapshot. The person
    it was stored for (id, current name), None on an identity conflict."""
    if source is SnapshotSource.STATBATE_MODEL:
        metrics, did, rid = normalize_statbate_model(data), None, _int(data.get("rid"))
    else:
        metrics, did, rid = normalize_statbate_member(data), _int(data.get("did")), None
    reported = target.username
    if isinstance(data.get("name"), str):
        try:
            reported = normalize_username(str(data["name"]))
        except InvalidUsername:
            reported = target.username
    with db.transaction() as conn:
        try:
            person, resolution = find_or_create(conn, reported, did=did, rid=rid, seen_at=now)
        except Conflict as exc:
            tally.counts["conflicts"] += 1
            logger.warning("statbate identity conflict", extra={"error": str(exc)})
            return None
        if resolution in (Resolution.RENAMED, Resolution.MERGED):
            tally.counts["renamed"] += 1
        snapshots.append(
            conn,
            person.id,
            source,
            captured_at=now,
            raw_payload=dict(data),
            normalized_metrics=metrics,
        )
        collect_targets.clear_absent(conn, person.id, source)
    tally.counts["snapshots"] += 1
    return person.id, person.username


def _absent(
    db: TransactionSource, target: Target, source: SnapshotSource, now: datetime, tally: _Tally
) -> None:
    with db.transaction() as conn:
        collect_targets.mark_absent(conn, target.person_id, source, now)
    tally.counts["not_found"] += 1


def _match(batch: Sequence[Target], data: Any) -> list[tuple[Target, Mapping[str, Any] | None]]:
    """Batch items by name; an item under a name nobody asked for (a renamed member) is
    matched by position when the answer has one item per name asked."""
    items = [item for item in data if isinstance(item, Mapping)] if isinstance(data, list) else []
    by_name = {
        str(item["name"]).strip().lower(): item
        for item in items
        if isinstance(item.get("name"), str)
    }
    asked = {target.username for target in batch}
    positional = len(items) == len(batch)
    matched: list[tuple[Target, Mapping[str, Any] | None]] = []
    for index, target in enumerate(batch):
        item = by_name.get(target.username)
        if item is None and positional:
            candidate = items[index]
            name = str(candidate.get("name") or "").strip().lower()
            item = candidate if name not in asked else None
        matched.append((target, item))
    return matched


@dataclass(frozen=True)
class _Found:
    """A member Statbate knew, stored for `person_id` under its current `name`."""

    person_id: int
    name: str
    first_tip_at: datetime | None


def _members(
    ctx: JobContext, client: StatbateClient, targets: Sequence[Target], tally: _Tally
) -> list[_Found]:
    config: StatbateRefreshConfig = ctx.config
    found: list[_Found] = []
    for batch in chunks(targets, config.batch_size):
        if tally.consecutive_errors >= MAX_CONSECUTIVE_ERRORS:
            return found
        tally.counts["requests"] += 1
        try:
            reply = client.members_info_batch([t.username for t in batch], deadline=ctx.deadline)
        except (AuthError, TransientExhausted):
            raise
        except ClientError as exc:
            tally.error(exc)
            continue
        tally.ok()
        now = ctx.deps.clock()
        for target, item in _match(batch, reply.raw.get("data")):
            if item is None:
                tally.counts["missing"] = tally.counts.get("missing", 0) + 1
                continue
            error = item.get("error")
            if isinstance(error, str) and error:
                if is_not_found(error):
                    _absent(ctx.db, target, SnapshotSource.STATBATE_MEMBER, now, tally)
                else:
                    tally.counts["errors"] += 1
                    tally.first_error = tally.first_error or redact(f"{target.username}: {error}")
                continue
            stored = _store(ctx.db, target, SnapshotSource.STATBATE_MEMBER, item, now, tally)
            if stored is not None:
                found.append(_Found(*stored, statbate_analysis.member_first_tip(item)))
    return found


def _analysis(
    ctx: JobContext, client: StatbateClient, found: Sequence[_Found], tally: _Tally
) -> None:
    """Statbate's member analysis for the first members found (`analysis_limit`), each
    answer an append-only snapshot: what the insights' share of wallet, tags and site-wide
    hours rest on."""
    config: StatbateRefreshConfig = ctx.config
    settings = ctx.deps.settings
    for member in found[: config.analysis_limit]:
        if tally.consecutive_errors >= MAX_CONSECUTIVE_ERRORS:
            return
        fetched, stopped = statbate_analysis.fetch_member_analysis(
            client,
            member.name,
            sources=statbate_analysis.MEMBER_ANALYSIS_SOURCES,
            owner=settings.mhc_owner_username,
            timezone=settings.mhc_owner_timezone,
            first_tip_at=member.first_tip_at,
            now=ctx.deps.clock(),
            deadline=ctx.deadline,
        )
        tally.counts["requests"] += len(fetched)
        for item in fetched:
            if item.error is None:
                tally.ok()
            elif stopped is None or item is not fetched[-1]:
                tally.error(_AnalysisError(f"{item.source.value}: {item.error}"))
        with ctx.db.transaction() as conn:
            stored = statbate_analysis.store_member_analysis(
                conn, member.person_id, fetched, captured_at=ctx.deps.clock()
            )
        tally.counts["analysis_snapshots"] += len(stored)
        if stopped is not None:
            raise stopped


class _AnalysisError(Exception):
    """A member analysis endpoint failed (its message is already redacted)."""


def _models(
    ctx: JobContext, client: StatbateClient, targets: Sequence[Target], tally: _Tally
) -> None:
    for target in targets:
        if tally.consecutive_errors >= MAX_CONSECUTIVE_ERRORS:
            return
        tally.counts["requests"] += 1
        try:
            reply = client.model_info(target.username, deadline=ctx.deadline)
        except (AuthError, TransientExhausted):
            raise
        except ClientError as exc:
            tally.error(exc)
            continue
        tally.ok()
        now = ctx.deps.clock()
        if reply is None:
            _absent(ctx.db, target, SnapshotSource.STATBATE_MODEL, now, tally)
            continue
        data = reply.raw.get("data")
        if isinstance(data, Mapping):
            _store(ctx.db, target, SnapshotSource.STATBATE_MODEL, data, now, tally)


def statbate_refresh(ctx: JobContext) -> JobResult:
    config: StatbateRefreshConfig = ctx.config
    deps = ctx.deps
    client = StatbateClient.from_settings(
        deps.settings,
        deps.http,
        pacer=Pacer(config.request_interval_seconds, deps.client_deps),
        deps=deps.client_deps,
    )
    now = ctx.started_at
    recent_since = contact_window(now, config.recent_days)
    with ctx.db.transaction() as conn:
        pool = collect_targets.statbate_targets(
            conn,
            watchlists=config.watchlists,
            recent_since=recent_since,
            roles=config.roles,
            min_followers=config.min_followers,
            not_found_retry=timedelta(days=config.not_found_retry_days),
            limit=config.limit,
        )
    targets = prioritize(
        pool,
        now=now,
        recent_since=recent_since,
        fresh_for=timedelta(hours=config.refresh_after_hours),
        limit=config.limit,
    )
    tally = _Tally()
    tally.counts["persons"] = len(targets)
    members = [t for t in targets if SnapshotSource.STATBATE_MEMBER in statbate_sources(t.role)]
    models = [t for t in targets if SnapshotSource.STATBATE_MODEL in statbate_sources(t.role)]
    stopped: str | None = None
    try:
        found = _members(ctx, client, members, tally)
        _analysis(ctx, client, found, tally)
        _models(ctx, client, models, tally)
    except TransientExhausted as exc:
        if exc.last_failure in ("pacing", "deadline"):
            stopped = "deadline"
        else:
            tally.error(exc)
            stopped = "transient"
    if tally.consecutive_errors >= MAX_CONSECUTIVE_ERRORS:
        stopped = "errors"
    if stopped:
        tally.counts["stopped_because"] = stopped
    failed = stopped in ("transient", "errors") or (
        tally.counts["errors"] and not tally.counts["snapshots"] and not tally.counts["not_found"]
    )
    return JobResult(
        status=JobStatus.FAILED if failed else JobStatus.SUCCEEDED,
        counts=tally.counts,
        error=tally.first_error,
    )
