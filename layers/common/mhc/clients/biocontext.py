"""Chaturbate profiles through the JSON endpoint `/api/biocontext/{username}/` (no HTML scraping).

Unpaced scraping earns a 429 after ~40 requests, so every request goes through one shared
pacer (default 25/min). A deleted or restricted profile is an answer, not an error; Cloudflare
and throttling are errors that stop a batch. `about_me` and `wish_list` are HTML written by
strangers: they are sanitized with nh3 before anything else sees them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import httpx
import nh3
from pydantic import Field

from mhc.clients.errors import (
    Blocked,
    ClientError,
    InvalidResponse,
    Throttled,
    TransientExhausted,
    UnexpectedStatus,
)
from mhc.clients.http import (
    BROWSER_USER_AGENT,
    SERVER_ERROR_STATUSES,
    ApiHttp,
    ClientDeps,
    Pacer,
    RetryPolicy,
    Timeouts,
    blocked,
    check_base_url,
    is_cloudflare_challenge,
    join_url,
    json_object,
    optional_json,
    retry_after,
    status_error,
)
from mhc.domain.lenient import LenientModel, parse_lenient
from mhc.domain.usernames import InvalidUsername, normalize_username
from mhc.observability import logger, redact

if TYPE_CHECKING:
    from mhc.config import Settings

API = "profiles"
PACIFIC = ZoneInfo("America/Los_Angeles")
#: After a 429 without Retry-After, wait this long before the next profile.
DEFAULT_THROTTLE_COOL_DOWN = timedelta(seconds=60)
#: A batch stops after this many 429s in a row.
MAX_CONSECUTIVE_THROTTLES = 3

_ALLOWED_TAGS = frozenset(
    {
        "a",
        "b",
        "br",
        "div",
        "em",
        "h1",
        "h2",
        "h3",
        "h4",
        "i",
        "li",
        "ol",
        "p",
        "span",
        "strong",
        "u",
        "ul",
    }
)


def sanitize_html(html: str) -> str:
    """Profile HTML reduced to harmless formatting and http(s) links (nh3, not regexes)."""
    return nh3.clean(
        html,
        tags=set(_ALLOWED_TAGS),
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def parse_last_broadcast(value: Any) -> datetime | None:
    """`last_broadcast` in UTC: naive ISO strings are Pacific time; -1 (never) and junk -> None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=PACIFIC)
    return parsed.astimezone(UTC)


def external_link_target(link: str) -> str | None:
    """The real URL behind Chaturbate's `/external_link/?url=...` wrapper (or the link itself)."""
    split = urlsplit(link)
    if split.path.rstrip("/").endswith("/external_link"):
        targets = parse_qs(split.query).get("url")
        return targets[0] if targets else None
    return link if split.scheme in ("http", "https") else None


class PhotoSet(LenientModel):
    id: int | None = None
    name: str | None = None
    cover_url: str | None = None
    tokens: int | None = None
    is_video: bool | None = None
    photo_count: int | None = None
    video_duration_in_seconds: int | None = None


class SocialMedia(LenientModel):
    id: int | None = None
    title_name: str | None = None
    link: str | None = None
    url: str | None = None
    is_free: bool | None = None

    @property
    def target_url(self) -> str | None:
        for candidate in (self.url, self.link):
            if candidate and (target := external_link_target(candidate)):
                return target
        return None


class ProfileData(LenientModel):
    """The documented fields; `about_me`/`wish_list` here are still the raw HTML."""

    follower_count: int | None = None
    location: str | None = None
    real_name: str | None = None
    languages: str | None = None
    display_age: int | None = None
    display_birthday: str | None = None
    sex: str | None = None
    subgender: str | None = None
    interested_in: list[str] = Field(default_factory=list)
    body_type: str | None = None
    body_decorations: str | None = None
    smoke_drink: str | None = None
    about_me: str | None = None
    wish_list: str | None = None
    time_since_last_broadcast: str | None = None
    room_status: str | None = None
    performer_has_fanclub: bool | None = None
    fan_club_cost: int | None = None
    fan_club_is_member: bool | None = None
    photo_sets: list[PhotoSet] = Field(default_factory=list)
    social_medias: list[SocialMedia] = Field(default_factory=list)


@dataclass(frozen=True)
class Profile:
    username: str
    raw: Mapping[str, Any] = field(repr=False)
    #: Personal, stranger-written text: kept out of repr() so it never lands in a log by accident.
    data: ProfileData = field(repr=False)
    about_me_html: str | None
    wish_list_html: str | None
    last_broadcast_at: datetime | None
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProfileGone:
    """404: deleted, banned or renamed."""

    username: str


@dataclass(frozen=True)
class ProfileRestricted:
    """401: not available to our region or gender; `code`/`detail` as the site gave them."""

    username: str
    code: str | None
    detail: str | None


ProfileResult = Profile | ProfileGone | ProfileRestricted


@dataclass
class ProfileBatch:
    """What a batch did: `results` are done; `not_done` must be retried later (never marked done)."""

    results: dict[str, ProfileResult] = field(default_factory=dict)
    not_done: list[str] = field(default_factory=list)
    stopped_because: str | None = None


_shared_pacers: dict[int, Pacer] = {}
_shared_lock = threading.Lock()


def shared_profile_pacer(requests_per_minute: int) -> Pacer:
    """One process-wide pacer per rate, so every profile client in the process shares it."""
    with _shared_lock:
        pacer = _shared_pacers.get(requests_per_minute)
        if pacer is None:
            pacer = _shared_pacers[requests_per_minute] = Pacer.per_minute(requests_per_minute)
        return pacer


class BiocontextClient:
    def __init__(
        self,
        client: httpx.Client,
        *,
        base_url: str = "https://chaturbate.com",
        pacer: Pacer | None = None,
        requests_per_minute: int = 25,
        deps: ClientDeps | None = None,
        retry: RetryPolicy | None = None,
        timeouts: Timeouts | None = None,
    ) -> None:
        self._base = check_base_url(API, base_url)
        self._http = ApiHttp.with_defaults(API, client, timeouts=timeouts, retry=retry, deps=deps)
        self._deps = self._http.deps
        self._pacer = pacer or shared_profile_pacer(requests_per_minute)

    @classmethod
    def from_settings(
        cls, settings: Settings, client: httpx.Client, **kwargs: Any
    ) -> BiocontextClient:
        return cls(
            client,
            base_url=settings.mhc_chaturbate_url,
            requests_per_minute=settings.mhc_profile_requests_per_minute,
            timeouts=Timeouts.from_settings(settings),
            **kwargs,
        )

    def _headers(self, username: str) -> dict[str, str]:
        return {
            "Accept": "application/json",
            "X-Requested-With": "XMLHttpRequest",
            "Referer": str(join_url(self._base, f"/p/{username}/")),
            "User-Agent": BROWSER_USER_AGENT,
            "Cookie": "agreeterms=1",
        }

    def _get(self, path: str, username: str, deadline: datetime | None) -> httpx.Response:
        self._pacer.wait(API, deadline)
        return self._http.request(
            "GET",
            join_url(self._base, path),
            headers=self._headers(username),
            deadline=deadline,
            retry_statuses=SERVER_ERROR_STATUSES,
        )

    def fetch_profile(self, username: str, *, deadline: datetime | None = None) -> ProfileResult:
        name = normalize_username(username)
        response = self._get(f"/api/biocontext/{name}/", name, deadline)
        status = response.status_code
        if status == 200:
            return self._profile(name, json_object(API, response))
        self._raise_if_blocked_or_throttled(response)
        if status == 404:
            return ProfileGone(name)
        if status == 401:
            body = optional_json(response)
            body = body if isinstance(body, dict) else {}
            code, detail = body.get("code"), body.get("detail")
            return ProfileRestricted(
                name,
                code=redact(code) if isinstance(code, str) else None,
                detail=redact(detail) if isinstance(detail, str) else None,
            )
        raise status_error(API, response)

    def is_online(self, username: str, *, deadline: datetime | None = None) -> bool:
        """`GET /api/online/{u}/` -> `{"online": bool}`."""
        name = normalize_username(username)
        response = self._get(f"/api/online/{name}/", name, deadline)
        if response.status_code != 200:
            self._raise_if_blocked_or_throttled(response)
            raise UnexpectedStatus(API, f"HTTP {response.status_code}", status=response.status_code)
        online = json_object(API, response).get("online")
        if not isinstance(online, bool):
            raise InvalidResponse(API, "'online' is not a boolean", status=200)
        return online

    def fetch_batch(
        self, usernames: Iterable[str], *, deadline: datetime | None = None
    ) -> ProfileBatch:
        """Fetch profiles in order; stop on Cloudflare, after 3 throttles in a row, or at the deadline."""
        batch = ProfileBatch()
        pending = list(dict.fromkeys(usernames))
        throttles = 0
        for index, username in enumerate(pending):
            try:
                batch.results[username] = self.fetch_profile(username, deadline=deadline)
                throttles = 0
            except Throttled as exc:
                throttles += 1
                batch.not_done.append(username)
                if throttles >= MAX_CONSECUTIVE_THROTTLES:
                    batch.stopped_because = "throttled"
                elif self._can_wait(exc.cool_down, deadline):
                    self._deps.sleeper(exc.cool_down.total_seconds())
                    continue
                else:
                    batch.stopped_because = "deadline"
            except Blocked:
                batch.not_done.append(username)
                batch.stopped_because = "blocked"
            except TransientExhausted:
                batch.not_done.append(username)
                batch.stopped_because = "transient"
            except (ClientError, InvalidUsername) as exc:  # this profile only
                batch.not_done.append(username)
                logger.warning(
                    "profile fetch failed",
                    extra={"api": API, "error": redact(exc), "kind": type(exc).__name__},
                )
                continue
            if batch.stopped_because:
                batch.not_done.extend(pending[index + 1 :])
                break
        return batch

    def _can_wait(self, cool_down: timedelta, deadline: datetime | None) -> bool:
        return deadline is None or self._deps.clock() + cool_down < deadline

    def _raise_if_blocked_or_throttled(self, response: httpx.Response) -> None:
        status = response.status_code
        if is_cloudflare_challenge(response):
            raise blocked(API, response)
        if status == 403:
            reason = "403 with cf-ray" if "cf-ray" in response.headers else "403"
            raise Blocked(
                API, f"HTTP {reason}: refused", status=status, ray_id=response.headers.get("cf-ray")
            )
        if status == 429:
            hint = retry_after(response, self._deps.clock())
            raise Throttled(
                API,
                "HTTP 429: too many profile requests",
                cool_down=hint or DEFAULT_THROTTLE_COOL_DOWN,
                status=status,
            )

    @staticmethod
    def _profile(username: str, raw: dict[str, Any]) -> Profile:
        data, problems = parse_lenient(ProfileData, raw)
        if data is None:  # cannot happen (nothing is required), but never lose the raw payload
            data = ProfileData()
        return Profile(
            username=username,
            raw=raw,
            data=data,
            about_me_html=sanitize_html(data.about_me) if data.about_me else None,
            wish_list_html=sanitize_html(data.wish_list) if data.wish_list else None,
            last_broadcast_at=parse_last_broadcast(raw.get("last_broadcast")),
            problems=problems,
        )
