"""Scheduled jobs as rules: the job row, per-kind config (validated, partial updates), due-ness
and order. Who a job collects first is `mhc.domain.collection`; what an affiliate sweep makes of
the rooms it sees is `mhc.domain.broadcasts`.

Pure: no I/O, no clock of its own (callers pass `now`).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mhc.domain.errors import InvalidInput
from mhc.domain.health import missing_settings
from mhc.domain.models import JobRun, JobStatus
from mhc.domain.roles import Role


class JobKind(StrEnum):
    CB_STATS = "cb_stats"
    STATBATE_REFRESH = "statbate_refresh"
    AFFILIATE_SWEEP = "affiliate_sweep"
    PROFILE_COLLECTION = "profile_collection"
    CHAT_IMPORT = "chat_import"


#: Cheap, time-series jobs first; the long paced ones use whatever time is left.
KIND_PRIORITY = {
    JobKind.CB_STATS: 0,
    JobKind.AFFILIATE_SWEEP: 1,
    JobKind.STATBATE_REFRESH: 2,
    JobKind.PROFILE_COLLECTION: 3,
    JobKind.CHAT_IMPORT: 4,
}

#: The upstream API each kind talks to (cool-downs are per API, shared by every job using it).
KIND_API = {
    JobKind.CB_STATS: "stats",
    JobKind.AFFILIATE_SWEEP: "affiliate",
    JobKind.STATBATE_REFRESH: "statbate",
    JobKind.PROFILE_COLLECTION: "profiles",
    JobKind.CHAT_IMPORT: "statbate_plus",
}

#: The settings each kind cannot run without (environment variable names). The collector
#: checks them before a run, so a job missing one is `not_configured` and names it without a
#: request, and at every tick for a job waiting on them, so it runs as soon as they are there.
REQUIRED_SETTINGS: dict[JobKind, tuple[str, ...]] = {
    JobKind.CB_STATS: ("MHC_OWNER_USERNAME", "MHC_STATS_TOKEN"),
    JobKind.AFFILIATE_SWEEP: ("MHC_AFFILIATE_CAMPAIGN",),
    JobKind.STATBATE_REFRESH: ("MHC_STATBATE_TOKEN",),
    JobKind.PROFILE_COLLECTION: (),
    # The Plus session may live in the cookie file `mhc chat-import login` writes, not in a
    # setting: the job itself reports a missing or expired one (`auth_expired`).
    JobKind.CHAT_IMPORT: ("MHC_OWNER_USERNAME",),
}

MIN_INTERVAL_SECONDS = 60
MAX_INTERVAL_SECONDS = 7 * 86400


class Job(BaseModel):
    """A row of `jobs`; `config` as stored (only the keys the owner set)."""

    model_config = ConfigDict(frozen=True, from_attributes=True)

    name: str
    kind: JobKind
    enabled: bool
    interval_seconds: int
    config: dict[str, Any]
    last_run_at: datetime | None
    last_status: JobStatus | None
    next_run_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @property
    def interval(self) -> timedelta:
        return timedelta(seconds=self.interval_seconds)


# -- per-kind configuration ---------------------------------------------------------------
class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


WatchlistNames = list[str] | None


class CbStatsConfig(_Config):
    """The owner's Stats API: nothing to choose (the owner and token are settings)."""

    record_followers: bool = True


class StatbateRefreshConfig(_Config):
    #: Watchlists whose members come first (names); None = every watchlist, [] = none.
    watchlists: WatchlistNames = None
    #: Persons with an interaction in the last N days come next (0 = none).
    recent_days: int = Field(default=14, ge=0, le=365)
    #: Then persons with these roles (e.g. ["MODEL"]), stalest first; [] = no such group.
    roles: list[Role] = Field(default_factory=list)
    #: With `roles`: only broadcasters with at least this many followers.
    min_followers: int = Field(default=0, ge=0)
    #: A person refreshed more recently than this is skipped.
    refresh_after_hours: float = Field(default=24.0, ge=1, le=24 * 90)
    #: "Not on Statbate" is asked again after this many days.
    not_found_retry_days: int = Field(default=30, ge=1, le=365)
    #: Most persons per run.
    limit: int = Field(default=100, ge=1, le=5000)
    #: Members per batch request.
    batch_size: int = Field(default=5, ge=1, le=50)
    #: Seconds between Statbate requests (no documented limit: be polite).
    request_interval_seconds: float = Field(default=2.0, ge=0.5, le=60)
    #: The first N members found in a run also get Statbate's member analysis (spending in
    #: the owner's room, tag spending, tips, activity: four more requests each); 0 = none.
    analysis_limit: int = Field(default=10, ge=0, le=500)


Gender = Literal["f", "m", "t", "c"]
Region = Literal["asia", "europe_russia", "northamerica", "southamerica", "other"]


class AffiliateSweepConfig(_Config):
    genders: list[Gender] = Field(default_factory=list)
    regions: list[Region] = Field(default_factory=list)
    #: Feed tag filter (AND, at most 5).
    tags: list[str] = Field(default_factory=list, max_length=5)
    #: Rooms with fewer followers are not recorded (watchlist members always are).
    min_followers: int = Field(default=0, ge=0)
    #: Pause between feed pages (None: MHC_AFFILIATE_PAGE_DELAY_SECONDS).
    page_delay_seconds: float | None = Field(default=None, ge=0, le=10)
    #: Append an `affiliate` snapshot for watchlist members seen online.
    watchlist_snapshots: bool = True

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        cleaned = [tag.strip().lower() for tag in value]
        if any(not tag or len(tag) > 64 for tag in cleaned):
            raise ValueError("tags must be 1-64 characters")
        return cleaned


class ProfileCollectionConfig(_Config):
    watchlists: WatchlistNames = None
    recent_days: int = Field(default=14, ge=0, le=365)
    #: Profiles older than this are refreshed after watchlists and recent contacts.
    stale_after_hours: float = Field(default=24.0 * 7, ge=1, le=24 * 365)
    #: Profiles per run. Paced at 25 a minute, a run is billed for its waits: 20 take ~50 s of
    #: Lambda (50 took ~2 minutes), 1,920 profiles a day at the seeded 15-minute interval, far
    #: more than watchlists and recent contacts need; the rest goes to the stalest profiles.
    limit: int = Field(default=20, ge=1, le=1000)
    #: Never more than 25 a minute: unpaced requests earn 429s.
    requests_per_minute: int = Field(default=25, ge=1, le=25)
    gone_retry_days: int = Field(default=30, ge=1, le=365)
    restricted_retry_days: int = Field(default=7, ge=1, le=365)
    #: After a batch stopped on 429s, profiles are left alone this long.
    throttle_cool_down_minutes: int = Field(default=15, ge=1, le=24 * 60)


class ChatImportConfig(_Config):
    """Statbate Plus chat import (runs in its own function, `functions/chat_import`)."""

    #: Import the owner's room on every run (queued imports run either way).
    owner_room: bool = True
    #: Also read the owner's live-session chat JSON, where Plus answers it.
    live_session: bool = False
    #: Seconds between Plus requests (None: MHC_STATBATE_PLUS_REQUEST_INTERVAL_SECONDS).
    request_interval_seconds: float | None = Field(default=None, ge=0.5, le=60)


JobConfig = (
    CbStatsConfig
    | StatbateRefreshConfig
    | AffiliateSweepConfig
    | ProfileCollectionConfig
    | ChatImportConfig
)

CONFIG_MODELS: dict[JobKind, type[_Config]] = {
    JobKind.CB_STATS: CbStatsConfig,
    JobKind.STATBATE_REFRESH: StatbateRefreshConfig,
    JobKind.AFFILIATE_SWEEP: AffiliateSweepConfig,
    JobKind.PROFILE_COLLECTION: ProfileCollectionConfig,
    JobKind.CHAT_IMPORT: ChatImportConfig,
}


def _invalid(exc: ValidationError, prefix: str = "config") -> InvalidInput:
    error = exc.errors()[0]
    location = ".".join(str(part) for part in error.get("loc", ()))
    field = f"{prefix}.{location}" if location else prefix
    return InvalidInput(field, str(error.get("msg", "invalid value")).removeprefix("Value error, "))


def parse_config(kind: JobKind, data: Mapping[str, Any]) -> _Config:
    """The typed config of a job; InvalidInput names the first bad field (`config.<key>`)."""
    try:
        return CONFIG_MODELS[kind].model_validate(dict(data))
    except ValidationError as exc:
        raise _invalid(exc) from None


def merge_config(
    kind: JobKind, stored: Mapping[str, Any], patch: Mapping[str, Any]
) -> dict[str, Any]:
    """`stored` with `patch` applied, validated; only keys ever set are kept (the rest keep
    following the defaults). A `null` in the patch resets that key to its default."""
    merged = {**stored, **patch}
    for key, value in patch.items():
        if value is None:
            merged.pop(key)
    model = parse_config(kind, merged)
    return model.model_dump(mode="json", exclude_unset=True)


def check_interval(seconds: int) -> int:
    if isinstance(seconds, bool) or not MIN_INTERVAL_SECONDS <= seconds <= MAX_INTERVAL_SECONDS:
        raise InvalidInput(
            "interval_seconds",
            f"must be between {MIN_INTERVAL_SECONDS} and {MAX_INTERVAL_SECONDS}",
        )
    return seconds


_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_interval(text: str) -> int:
    """ "300", "5m", "6h", "1d" -> seconds (validated)."""
    value = text.strip().lower()
    unit = 1
    if value and value[-1] in _DURATION_UNITS:
        unit, value = _DURATION_UNITS[value[-1]], value[:-1]
    if not value.isdigit():
        raise InvalidInput("interval_seconds", "must be seconds or a duration such as 5m, 6h, 1d")
    return check_interval(int(value) * unit)


def parse_setting(text: str) -> tuple[str, Any]:
    """`KEY=VALUE` from the command line; VALUE is JSON when it parses, else a string."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise InvalidInput("setting", f"{text!r} is not KEY=VALUE")
    try:
        value: Any = json.loads(raw)
    except ValueError:
        value = raw
    return key, value


# -- scheduling ---------------------------------------------------------------------------
def is_due(job: Job, now: datetime) -> bool:
    return job.enabled and (job.next_run_at is None or job.next_run_at <= now)


def due_jobs(jobs: Iterable[Job], now: datetime) -> list[Job]:
    """Enabled jobs whose time has come, cheapest kinds first, then the longest waiting."""
    due = [job for job in jobs if is_due(job, now)]
    return sorted(
        due,
        key=lambda job: (
            KIND_PRIORITY[job.kind],
            job.next_run_at or datetime.min.replace(tzinfo=now.tzinfo),
            job.name,
        ),
    )


def next_run(now: datetime, interval: timedelta, cool_down_until: datetime | None) -> datetime:
    """The next run: one interval on, or when the API's cool-down ends if that is later."""
    planned = now + interval
    return max(planned, cool_down_until) if cool_down_until is not None else planned


def configured_again(job: Job, last_run: JobRun | None, unavailable_now: Collection[str]) -> bool:
    """A job that was `not_configured` for want of settings, every one of which (and of the
    kind's required settings) is there now: it is due at once, not an hour later."""
    return (
        job.enabled
        and job.last_status is JobStatus.NOT_CONFIGURED
        and bool(missing_settings(last_run))
        and not unavailable_now
    )
