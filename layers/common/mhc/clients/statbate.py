"""Statbate Premium API: member and model intelligence (all 17 endpoints of its OpenAPI spec).

`did`/`rid` are Statbate's own ids and survive username changes, which makes them the key for
alias detection; they are Python ints (stored as bigint: they overflowed int32). No rate limit
is documented, so requests are paced (default 2 s apart). 404 means "no such member/model" and
returns None; 401/403 raise AuthError, 422 ValidationFailed; 429 and 5xx are retried.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar
from urllib.parse import quote

import httpx
from pydantic import Field

from mhc.clients.errors import InvalidResponse
from mhc.clients.http import (
    ApiHttp,
    ClientDeps,
    Pacer,
    RetryPolicy,
    Timeouts,
    check_base_url,
    is_cloudflare_challenge,
    join_url,
    json_object,
    status_error,
)
from mhc.domain.lenient import LenientModel, parse_lenient
from mhc.observability import register_secret

if TYPE_CHECKING:
    from mhc.config import Settings

API = "statbate"
Site = Literal["chaturbate", "stripchat", "bongacams", "camsoda", "mfc"]
SITES: frozenset[str] = frozenset({"chaturbate", "stripchat", "bongacams", "camsoda", "mfc"})
MAX_PER_PAGE = 200
MAX_TAG_SEARCH = 100
#: Model gender codes (`/members/online` uses another code set).
MODEL_GENDERS = {0: "male", 1: "female", 2: "trans", 3: "couple"}

T = TypeVar("T")


# -- response models (every field optional: the API may omit or add any) -------------------
class Pagination(LenientModel):
    total: int | None = None
    per_page: int | None = None
    current_page: int | None = None
    last_page: int | None = None
    from_: int | None = Field(default=None, alias="from")
    to: int | None = None


class MetaPerson(LenientModel):
    id: int | None = None
    name: str | None = None
    gender: int | None = None


class Meta(LenientModel):
    site: str | None = None
    timezone: str | None = None
    range: list[str] = Field(default_factory=list)
    pagination: Pagination | None = None
    found: int | None = None
    requested: int | None = None
    member: MetaPerson | None = None
    model: MetaPerson | None = None
    filters: dict[str, Any] | None = None


class TopModel(LenientModel):
    position: int | None = None
    online: bool | None = None
    name: str | None = None
    gender: int | None = None
    rid: int | None = None
    total_tokens: int | None = None
    total: float | None = None
    hourly_tokens: int | None = None
    hourly: float | None = None
    hours: int | None = None
    dons: int | None = None
    daily_tokens: int | None = None
    daily: float | None = None


class TopMember(LenientModel):
    position: int | None = None
    name: str | None = None
    did: int | None = None
    total_tokens: int | None = None
    total: float | None = None
    tips: int | None = None
    avg_tokens: int | None = None
    avg: float | None = None
    models: int | None = None
    daily: float | None = None
    daily_tokens: int | None = None


class DayTokens(LenientModel):
    date: str | None = None
    tokens: int | None = None


class MemberInfo(LenientModel):
    name: str | None = None
    did: int | None = None
    first_message_date: str | None = None
    first_tip_date: str | None = None
    last_tip_date: str | None = None
    last_tip_amount: int | None = None
    models_messaged_2weeks: int | None = None
    models_messaged_2weeks_list: list[str] = Field(default_factory=list)
    models_tipped_2weeks: int | None = None
    models_tipped_2weeks_list: list[str] = Field(default_factory=list)
    per_day_tokens: list[DayTokens] = Field(default_factory=list)
    all_time_tokens: int | None = None


class BatchMemberInfo(MemberInfo):
    """One name of a batch: `error` is set (and the rest mostly null) when it failed."""

    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class SpendingTotal(LenientModel):
    tokens: int | None = None
    usd: float | None = None
    tips: int | None = None


class DailySpending(SpendingTotal):
    date: str | None = None


class NamedMember(LenientModel):
    name: str | None = None
    did: int | None = None


class NamedModel(LenientModel):
    name: str | None = None
    rid: int | None = None
    gender: int | None = None


class MemberModelSpending(LenientModel):
    member: NamedMember | None = None
    model: NamedModel | None = None
    total: SpendingTotal | None = None
    daily_spending: list[DailySpending] = Field(default_factory=list)


class ModelSessions(LenientModel):
    count: int | None = None
    total_duration: int | None = None
    average_duration: int | None = None


class ModelIncome(LenientModel):
    tokens: int | None = None
    usd: float | None = None


class ModelTag(LenientModel):
    name: str | None = None
    category: str | None = None


class ModelInfo(NamedModel):
    rank: int | None = None
    sessions: ModelSessions | None = None
    income: ModelIncome | None = None
    tags: list[ModelTag] = Field(default_factory=list)


class ActivitySummary(LenientModel):
    total_sessions: int | None = None
    public_sessions: int | None = None
    total_duration: int | None = None
    average_duration: int | None = None


class ModelSession(LenientModel):
    start_time: str | None = None
    end_time: str | None = None
    duration: int | None = None


class ModelActivity(NamedModel):
    summary: ActivitySummary | None = None
    sessions: list[ModelSession] = Field(default_factory=list)


class MembersSummary(LenientModel):
    total_members: int | None = None
    total_tokens: int | None = None
    total_usd: float | None = None
    average_per_member: int | None = None
    average_per_member_usd: float | None = None
    returning_members: int | None = None
    new_members: int | None = None


class ModelTopMember(LenientModel):
    did: int | None = None
    name: str | None = None
    tokens: int | None = None
    usd: float | None = None
    tip_count: int | None = None
    first_tip: str | None = None
    last_tip: str | None = None


class SpendingBucket(LenientModel):
    range: str | None = None
    count: int | None = None


class ModelMembers(NamedModel):
    summary: MembersSummary | None = None
    top_members: list[ModelTopMember] = Field(default_factory=list)
    spending_distribution: list[SpendingBucket] = Field(default_factory=list)


class RankSummary(LenientModel):
    first_rank: int | None = None
    last_rank: int | None = None
    best_rank: int | None = None
    worst_rank: int | None = None
    rank_change: int | None = None
    rank_change_percent: float | None = None
    #: improving | declining | stable
    trend: str | None = None
    total_tokens: int | None = None
    total_usd: float | None = None


class DayRank(LenientModel):
    date: str | None = None
    rank: int | None = None
    tokens: int | None = None


class ModelRank(NamedModel):
    summary: RankSummary | None = None
    ranks: list[DayRank] = Field(default_factory=list)


class ModelTip(LenientModel):
    time: str | None = None
    name: str | None = None
    did: int | None = None
    tokens: int | None = None
    usd: float | None = None


class MemberTip(LenientModel):
    time: str | None = None
    model: str | None = None
    rid: int | None = None
    tokens: int | None = None
    usd: float | None = None


class TagSpending(LenientModel):
    position: int | None = None
    tag: str | None = None
    name: str | None = None
    value: str | None = None
    models_count: int | None = None
    total_tokens: int | None = None
    total_usd: float | None = None


class MemberTopModel(LenientModel):
    position: int | None = None
    name: str | None = None
    rid: int | None = None
    gender: int | None = None
    total_tokens: int | None = None
    total_usd: float | None = None
    days: int | None = None
    daily_tokens: int | None = None
    daily_usd: float | None = None


class HourActivity(LenientModel):
    hour: int | None = None
    tip_count: int | None = None
    token_sum: int | None = None
    usd_sum: float | None = None


class WeekdayActivity(LenientModel):
    day_of_week: int | None = None
    day_name: str | None = None
    tip_count: int | None = None
    token_sum: int | None = None
    usd_sum: float | None = None


class MemberActivity(LenientModel):
    hourly: list[HourActivity] = Field(default_factory=list)
    daily: list[WeekdayActivity] = Field(default_factory=list)


class Tag(LenientModel):
    tag: str | None = None
    models: int | None = None
    tokens: int | None = None
    usd: float | None = None


class TagSearchResult(LenientModel):
    tag: str | None = None
    name: str | None = None
    value: str | None = None
    models_count: int | None = None


class OnlineMember(LenientModel):
    position: int | None = None
    #: 0 or 1 here (a boolean elsewhere).
    online: int | None = None
    name: str | None = None
    did: int | None = None
    total_tokens: int | None = None
    total: int | None = None
    tips: int | None = None
    avg_tokens: int | None = None
    avg: int | None = None
    models: int | None = None
    daily_tokens: int | None = None
    daily: int | None = None
    hour_tokens: int | None = None
    hour: int | None = None
    day_tokens: int | None = None
    day: int | None = None
    week_tokens: int | None = None
    week: int | None = None
    is_favorite: int | None = Field(default=None, alias="isFavorite")


@dataclass(frozen=True)
class StatbateResponse(Generic[T]):
    """`data` typed, `meta` typed, `raw` the whole body as received, `problems` what was dropped."""

    data: T
    meta: Meta
    raw: Mapping[str, Any] = field(repr=False)
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class DateRange:
    """An inclusive UTC range, sent as `range[0]`/`range[1]` = "YYYY-MM-DD HH:MM:SS"."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("range bounds must be timezone-aware")
        if self.end < self.start:
            raise ValueError("range end is before its start")

    def params(self) -> list[tuple[str, str]]:
        fmt = "%Y-%m-%d %H:%M:%S"
        return [
            ("range[0]", self.start.astimezone(UTC).strftime(fmt)),
            ("range[1]", self.end.astimezone(UTC).strftime(fmt)),
        ]


def _site(site: str) -> str:
    if site not in SITES:
        raise ValueError(f"unknown site {site!r}")
    return site


def _page(page: int, per_page: int) -> list[tuple[str, str]]:
    if page < 1:
        raise ValueError("page starts at 1")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise ValueError(f"per_page must be within 1..{MAX_PER_PAGE}")
    return [("page", str(page)), ("per_page", str(per_page))]


def _genders(genders: Sequence[int]) -> list[tuple[str, str]]:
    if bad := [g for g in genders if g not in MODEL_GENDERS]:
        raise ValueError(f"unknown gender codes {bad}")
    return [("selectedGenders[]", str(g)) for g in genders]


def _name(name: str) -> str:
    if not name or not name.strip():
        raise ValueError("name is empty")
    return quote(name.strip(), safe="")


class StatbateClient:
    def __init__(
        self,
        client: httpx.Client,
        *,
        token: str,
        base_url: str = "https://plus.statbate.com/api",
        request_interval_seconds: float = 2.0,
        pacer: Pacer | None = None,
        deps: ClientDeps | None = None,
        retry: RetryPolicy | None = None,
        timeouts: Timeouts | None = None,
    ) -> None:
        register_secret(token)
        self._token = token
        self._base = check_base_url(API, base_url)
        self._http = ApiHttp.with_defaults(API, client, timeouts=timeouts, retry=retry, deps=deps)
        self._deps = self._http.deps
        self._pacer = pacer or Pacer(request_interval_seconds, self._deps)

    @classmethod
    def from_settings(
        cls, settings: Settings, client: httpx.Client, **kwargs: Any
    ) -> StatbateClient:
        return cls(
            client,
            token=settings.require_secret("MHC_STATBATE_TOKEN"),
            base_url=settings.mhc_statbate_api_url,
            request_interval_seconds=settings.mhc_statbate_request_interval_seconds,
            timeouts=Timeouts.from_settings(settings),
            **kwargs,
        )

    # -- members ---------------------------------------------------------------------------
    def member_info(
        self,
        name: str,
        *,
        site: Site = "chaturbate",
        timezone: str = "UTC",
        deadline: datetime | None = None,
    ) -> StatbateResponse[MemberInfo] | None:
        body = self._get(
            f"/members/{_site(site)}/{_name(name)}/info", [("timezone", timezone)], deadline
        )
        return None if body is None else _one(body, MemberInfo)

    def members_info_batch(
        self,
        names: Sequence[str],
        *,
        site: Site = "chaturbate",
        timezone: str = "UTC",
        deadline: datetime | None = None,
    ) -> StatbateResponse[list[BatchMemberInfo]]:
        """Several members in one request; a failed name carries `error` instead of failing all."""
        if not names or not all(isinstance(n, str) and n.strip() for n in names):
            raise ValueError("names must be a non-empty list of names")
        body = self._send(
            "POST",
            f"/members/{_site(site)}/info/batch",
            None,
            {"names": [n.strip() for n in names], "timezone": timezone},
            deadline,
        )
        if body is None:
            raise InvalidResponse(API, "batch endpoint answered 404", status=404)
        return _many(body, BatchMemberInfo)

    def member_model_spending(
        self,
        name: str,
        model: str,
        *,
        site: Site = "chaturbate",
        range: DateRange | None = None,
        timezone: str = "UTC",
        deadline: datetime | None = None,
    ) -> StatbateResponse[MemberModelSpending] | None:
        params = [*_range(range), ("timezone", timezone)]
        path = f"/members/{_site(site)}/{_name(name)}/model/{_name(model)}"
        body = self._get(path, params, deadline)
        return None if body is None else _one(body, MemberModelSpending)

    def member_tips(
        self,
        name: str,
        *,
        site: Site = "chaturbate",
        range: DateRange | None = None,
        timezone: str = "UTC",
        page: int = 1,
        per_page: int = 20,
        deadline: datetime | None = None,
    ) -> StatbateResponse[list[MemberTip]] | None:
        params = [*_range(range), ("timezone", timezone), *_page(page, per_page)]
        body = self._get(f"/members/{_site(site)}/{_name(name)}/tips", params, deadline)
        return None if body is None else _many(body, MemberTip)

    def member_tag_spending(
        self,
        name: str,
        *,
        site: Site = "chaturbate",
        range: DateRange | None = None,
        page: int = 1,
        per_page: int = 20,
        deadline: datetime | None = None,
    ) -> StatbateResponse[list[TagSpending]] | None:
        params = [*_range(range), *_page(page, per_page)]
        body = self._get(f"/members/{_site(site)}/{_name(name)}/tag-spending", params, deadline)
        return None if body is None else _many(body, TagSpending)

    def member_top_models(
        self,
        name: str,
        *,
        site: Site = "chaturbate",
        range: DateRange | None = None,
        timezone: str = "UTC",
        deadline: datetime | None = None,
    ) -> StatbateResponse[list[MemberTopModel]] | None:
        params = [*_range(range), ("timezone", timezone)]
        body = self._get(f"/members/{_site(site)}/{_name(name)}/top-models", params, deadline)
        return None if body is None else _many(body, MemberTopModel)

    def member_activity(
        self,
        name: str,
        *,
        site: Site = "chaturbate",
        range: DateRange | None = None,
        timezone: str = "UTC",
        deadline: datetime | None = None,
    ) -> StatbateResponse[MemberActivity] | None:
        params = [*_range(range), ("timezone", timezone)]
        body = self._get(f"/members/{_site(site)}/{_name(name)}/activity", params, deadline)
        return None if body is None else _one(body, MemberActivity)

    def top_members(
        self,
        *,
        site: Site = "chaturbate",
        range: DateRange | None = None,
        genders: Sequence[int] = (),
        high_tippers: bool | None = None,
        page: int = 1,
        per_page: int = 20,
        deadline: datetime | None = None,
    ) -> StatbateResponse[list[TopMember]]:
        params = [("site", _site(site)), *_range(range), *_genders(genders)]
        if high_tippers is not None:
            params.append(("highTippers", "true" if high_tippers else "false"))
        params += _page(page, per_page)
        return _many(self._require(self._get("/members", params, deadline)), TopMember)

    def online_members(
        self,
        *,
        site: Site = "chaturbate",
        timezone: str | None = None,
        genders: Sequence[int] = (),
        deadline: datetime | None = None,
    ) -> StatbateResponse[list[OnlineMember]]:
        params = [("site", _site(site)), *_genders(genders)]
        if timezone is not None:
            params.append(("timezone", timezone))
        return _many(self._require(self._get("/members/online", params, deadline)), OnlineMember)

    # -- models ----------------------------------------------------------------------------
    def model_info(
        self,
        name: str,
        *,
        site: Site = "chaturbate",
        range: DateRange | None = None,
        timezone: str = "UTC",
        deadline: datetime | None = None,
    ) -> StatbateResponse[ModelInfo] | None:
        body = self._model(name, "info", site, range, timezone, deadline)
        return None if body is None else _one(body, ModelInfo)

    def model_activity(
        self,
        name: str,
        *,
        site: Site = "chaturbate",
        range: DateRange | None = None,
        timezone: str = "UTC",
        deadline: datetime | None = None,
    ) -> StatbateResponse[ModelActivity] | None:
        body = self._model(name, "activity", site, range, timezone, deadline)
        return None if body is None else _one(body, ModelActivity)

    def model_members(
        self,
        name: str,
        *,
        site: Site = "chaturbate",
        range: DateRange | None = None,
        timezone: str = "UTC",
        deadline: datetime | None = None,
    ) -> StatbateResponse[ModelMembers] | None:
        body = self._model(name, "members", site, range, timezone, deadline)
        return None if body is None else _one(body, ModelMembers)

    def model_rank(
        self,
        name: str,
        *,
        site: Site = "chaturbate",
        range: DateRange | None = None,
        timezone: str = "UTC",
        deadline: datetime | None = None,
    ) -> StatbateResponse[ModelRank] | None:
        body = self._model(name, "rank", site, range, timezone, deadline)
        return None if body is None else _one(body, ModelRank)

    def model_tips(
        self,
        name: str,
        *,
        site: Site = "chaturbate",
        range: DateRange | None = None,
        timezone: str = "UTC",
        page: int = 1,
        per_page: int = 20,
        deadline: datetime | None = None,
    ) -> StatbateResponse[list[ModelTip]] | None:
        params = [*_range(range), ("timezone", timezone), *_page(page, per_page)]
        body = self._get(f"/model/{_site(site)}/{_name(name)}/tips", params, deadline)
        return None if body is None else _many(body, ModelTip)

    def top_models(
        self,
        *,
        site: Site = "chaturbate",
        range: DateRange | None = None,
        genders: Sequence[int] = (),
        page: int = 1,
        per_page: int = 20,
        deadline: datetime | None = None,
    ) -> StatbateResponse[list[TopModel]]:
        params = [("site", _site(site)), *_range(range), *_genders(genders), *_page(page, per_page)]
        return _many(self._require(self._get("/models", params, deadline)), TopModel)

    # -- tags ------------------------------------------------------------------------------
    def tags(
        self,
        *,
        site: Site = "chaturbate",
        range: DateRange | None = None,
        page: int = 1,
        per_page: int = 20,
        deadline: datetime | None = None,
    ) -> StatbateResponse[list[Tag]]:
        params = [("site", _site(site)), *_range(range), *_page(page, per_page)]
        return _many(self._require(self._get("/tags", params, deadline)), Tag)

    def search_tags(
        self,
        query: str,
        *,
        site: Site = "chaturbate",
        limit: int = 50,
        deadline: datetime | None = None,
    ) -> StatbateResponse[list[TagSearchResult]]:
        if not 1 <= limit <= MAX_TAG_SEARCH:
            raise ValueError(f"limit must be within 1..{MAX_TAG_SEARCH}")
        params = [("query", query), ("site", _site(site)), ("limit", str(limit))]
        return _many(self._require(self._get("/tags/search", params, deadline)), TagSearchResult)

    # -- plumbing --------------------------------------------------------------------------
    def _model(
        self,
        name: str,
        what: str,
        site: str,
        range: DateRange | None,
        timezone: str,
        deadline: datetime | None,
    ) -> dict[str, Any] | None:
        params = [*_range(range), ("timezone", timezone)]
        return self._get(f"/model/{_site(site)}/{_name(name)}/{what}", params, deadline)

    def _get(
        self, path: str, params: list[tuple[str, str]], deadline: datetime | None
    ) -> dict[str, Any] | None:
        return self._send("GET", path, params, None, deadline)

    @staticmethod
    def _require(body: dict[str, Any] | None) -> dict[str, Any]:
        if body is None:
            raise InvalidResponse(API, "list endpoint answered 404", status=404)
        return body

    def _send(
        self,
        method: str,
        path: str,
        params: list[tuple[str, str]] | None,
        json_body: Any,
        deadline: datetime | None,
    ) -> dict[str, Any] | None:
        """The JSON body of a 200, None for a 404; typed errors for everything else."""
        self._pacer.wait(API, deadline)
        response = self._http.request(
            method,
            join_url(self._base, path),
            params=params,
            headers={"Accept": "application/json", "Authorization": f"Bearer {self._token}"},
            json_body=json_body,
            deadline=deadline,
        )
        status = response.status_code
        if status == 200:
            return json_object(API, response)
        if status == 404 and not is_cloudflare_challenge(response):
            return None
        raise status_error(API, response, auth="token rejected")


def _range(value: DateRange | None) -> list[tuple[str, str]]:
    return value.params() if value is not None else []


M = TypeVar("M", bound=LenientModel)


def _meta(body: Mapping[str, Any], problems: list[str]) -> Meta:
    meta, found = parse_lenient(Meta, body.get("meta") or {})
    problems.extend(f"meta.{p}" for p in found)
    return meta or Meta()


def _one(body: Mapping[str, Any], model: type[M]) -> StatbateResponse[M]:
    data = body.get("data")
    if not isinstance(data, Mapping):
        raise InvalidResponse(API, "'data' is not an object", status=200)
    problems: list[str] = []
    parsed, found = parse_lenient(model, data)
    problems.extend(f"data.{p}" for p in found)
    if parsed is None:
        raise InvalidResponse(API, "'data' cannot be read", status=200)
    return StatbateResponse(parsed, _meta(body, problems), body, tuple(problems))


def _many(body: Mapping[str, Any], model: type[M]) -> StatbateResponse[list[M]]:
    data = body.get("data")
    if not isinstance(data, list):
        raise InvalidResponse(API, "'data' is not a list", status=200)
    problems: list[str] = []
    items: list[M] = []
    for index, item in enumerate(data):
        parsed, found = parse_lenient(model, item)
        problems.extend(f"data.{index}.{p}" for p in found)
        if parsed is not None:
            items.append(parsed)
    return StatbateResponse(items, _meta(body, problems), body, tuple(problems))
