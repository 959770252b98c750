"""Chaturbate affiliate feed: every online room, fetched once per cycle.

The earlier system re-paged the feed per user; here a cycle reads the whole feed once (500 rooms
a page, paced) and works on that copy. The feed shifts while it is paged, so rooms are
deduplicated by username and the total is checked against the feed's own `count`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx
from pydantic import Field

from mhc.clients.errors import InvalidResponse
from mhc.clients.http import (
    ApiHttp,
    ClientDeps,
    RetryPolicy,
    Timeouts,
    check_base_url,
    json_object,
    status_error,
)
from mhc.domain.lenient import LenientModel, parse_lenient

if TYPE_CHECKING:
    from mhc.config import Settings

API = "affiliate"
PAGE_SIZE = 500
GENDERS = frozenset({"f", "m", "t", "c"})
REGIONS = frozenset({"asia", "europe_russia", "northamerica", "southamerica", "other"})
MAX_TAGS = 5


class OnlineRoom(LenientModel):
    username: str
    display_name: str | None = None
    gender: str | None = None
    age: int | None = None
    birthday: str | None = None
    location: str | None = None
    country: str | None = None
    spoken_languages: str | None = None
    is_new: bool | None = None
    is_hd: bool | None = None
    #: public | private | group | away (others kept as given).
    current_show: str | None = None
    room_subject: str | None = None
    tags: list[str] = Field(default_factory=list)
    num_users: int | None = None
    num_followers: int | None = None
    seconds_online: int | None = None
    image_url: str | None = None
    image_url_360x270: str | None = None
    chat_room_url: str | None = None
    slug: str | None = None


@dataclass(frozen=True)
class RoomsPage:
    offset: int
    count: int
    rooms: list[OnlineRoom]
    #: Results without a usable username, kept as received.
    rejected: list[Any]
    raw: Mapping[str, Any] = field(repr=False)


@dataclass(frozen=True)
class OnlineRoomsFeed:
    """The whole feed as one cycle saw it (rooms unique by username, first sighting kept)."""

    rooms: list[OnlineRoom]
    reported_count: int
    pages: int
    duplicates: int
    rejected: list[Any]

    @property
    def missing(self) -> int:
        """Rooms the feed said it had that this cycle did not see (churn while paging)."""
        return max(0, self.reported_count - len(self.rooms) - len(self.rejected))

    def is_complete(self, tolerance: float = 0.02) -> bool:
        """True when no more than `tolerance` of the reported rooms went unseen."""
        return self.missing <= self.reported_count * tolerance


def _filters(
    gender: Sequence[str], region: Sequence[str], tags: Sequence[str], hd: bool | None
) -> list[tuple[str, str]]:
    if bad := set(gender) - GENDERS:
        raise ValueError(f"unknown gender filter {sorted(bad)}")
    if bad := set(region) - REGIONS:
        raise ValueError(f"unknown region filter {sorted(bad)}")
    if len(tags) > MAX_TAGS:
        raise ValueError(f"at most {MAX_TAGS} tags")
    params = [("gender", g) for g in gender] + [("region", r) for r in region]
    params += [("tag", t) for t in tags]
    if hd is not None:
        params.append(("hd", "true" if hd else "false"))
    return params


class AffiliateClient:
    def __init__(
        self,
        client: httpx.Client,
        *,
        campaign: str,
        base_url: str = "https://chaturbate.com/api/public/affiliates/onlinerooms/",
        page_delay_seconds: float = 0.75,
        deps: ClientDeps | None = None,
        retry: RetryPolicy | None = None,
        timeouts: Timeouts | None = None,
    ) -> None:
        self._campaign = campaign
        self._base = check_base_url(API, base_url)
        self._page_delay = page_delay_seconds
        self._http = ApiHttp.with_defaults(API, client, timeouts=timeouts, retry=retry, deps=deps)
        self._deps = self._http.deps

    @classmethod
    def from_settings(
        cls, settings: Settings, client: httpx.Client, **kwargs: Any
    ) -> AffiliateClient:
        return cls(
            client,
            campaign=settings.require_affiliate_campaign(),
            base_url=settings.mhc_affiliate_api_url,
            page_delay_seconds=settings.mhc_affiliate_page_delay_seconds,
            timeouts=Timeouts.from_settings(settings),
            **kwargs,
        )

    def fetch_page(
        self,
        offset: int,
        *,
        gender: Sequence[str] = (),
        region: Sequence[str] = (),
        tags: Sequence[str] = (),
        hd: bool | None = None,
        deadline: datetime | None = None,
    ) -> RoomsPage:
        params = [
            ("wm", self._campaign),
            ("client_ip", "request_ip"),
            ("format", "json"),
            ("limit", str(PAGE_SIZE)),
            ("offset", str(offset)),
            *_filters(gender, region, tags, hd),
        ]
        response = self._http.request(
            "GET",
            self._base,
            params=params,
            headers={"Accept": "application/json"},
            deadline=deadline,
        )
        if response.status_code != 200:
            raise status_error(
                API,
                response,
                auth="campaign code or access refused",
                not_found="feed URL not found",
            )
        body = json_object(API, response)
        count, results = body.get("count"), body.get("results")
        if isinstance(count, bool) or not isinstance(count, int) or not isinstance(results, list):
            raise InvalidResponse(API, "page has no integer 'count' and 'results' list", status=200)
        rooms: list[OnlineRoom] = []
        rejected: list[Any] = []
        for item in results:
            room, _ = parse_lenient(OnlineRoom, item) if isinstance(item, dict) else (None, ())
            if room is None:
                rejected.append(item)
            else:
                rooms.append(room)
        return RoomsPage(offset=offset, count=count, rooms=rooms, rejected=rejected, raw=body)

    def iter_pages(
        self,
        *,
        gender: Sequence[str] = (),
        region: Sequence[str] = (),
        tags: Sequence[str] = (),
        hd: bool | None = None,
        deadline: datetime | None = None,
    ) -> Iterator[RoomsPage]:
        """Page through the feed until a short page or `offset >= count`, pausing between pages."""
        offset = 0
        while True:
            page = self.fetch_page(
                offset, gender=gender, region=region, tags=tags, hd=hd, deadline=deadline
            )
            yield page
            size = len(page.rooms) + len(page.rejected)
            offset += size
            if size < PAGE_SIZE or offset >= page.count:
                return
            if self._page_delay:
                self._deps.sleeper(self._page_delay)

    def iter_rooms(self, **filters: Any) -> Iterator[OnlineRoom]:
        """Every room of the feed, possibly repeated when the feed shifted while paging."""
        for page in self.iter_pages(**filters):
            yield from page.rooms

    def fetch_feed(
        self,
        *,
        gender: Sequence[str] = (),
        region: Sequence[str] = (),
        tags: Sequence[str] = (),
        hd: bool | None = None,
        deadline: datetime | None = None,
    ) -> OnlineRoomsFeed:
        """The whole feed once, deduplicated by username, with its reported count."""
        seen: dict[str, OnlineRoom] = {}
        rejected: list[Any] = []
        duplicates = pages = count = 0
        for page in self.iter_pages(
            gender=gender, region=region, tags=tags, hd=hd, deadline=deadline
        ):
            pages += 1
            count = page.count
            rejected.extend(page.rejected)
            for room in page.rooms:
                key = room.username.lower()
                if key in seen:
                    duplicates += 1
                else:
                    seen[key] = room
        return OnlineRoomsFeed(
            rooms=list(seen.values()),
            reported_count=count,
            pages=pages,
            duplicates=duplicates,
            rejected=rejected,
        )
