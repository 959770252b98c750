"""A fake Chaturbate Events API feed on loopback, with scripted faults.

The feed holds a list of envelopes with increasing ids. `GET /events/<owner>/<token>/?i=<id>`
answers the events after `<id>` (a page at most `page_size` long) and a `nextUrl` carrying the
last id, like the real API. Faults are scripted per request number: 5xx, 429, a reply slower
than the client's read timeout, a connection reset mid-body, a stale-cursor 400 that skips
ahead (the skipped events are "inside the gap"), or any scripted `Reply`.
An empty page is answered at once and, when a `FakeClock` is attached, advances it by the
requested server `timeout` (the long-poll hold) instead of really waiting.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from fakes.clock import FakeClock
from fakes.http import FakeHttpServer, RecordedRequest, Reply, json_reply

OWNER = "owner_cam"
TOKEN = "tkn0123456789abcdefFAKE"
EPOCH_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def make_events(count: int, *, owner: str = OWNER, seed: int = 7) -> list[dict[str, Any]]:
    """A realistic mix: chat, tips (some anonymous), enters/leaves, PMs both ways, follows,
    media, fan-club joins, subject changes, broadcast start/stop, events elsewhere, and an
    unknown method now and then."""
    rng = random.Random(seed)
    viewers = [f"viewer_{n:04d}" for n in range(max(10, count // 40))]
    events: list[dict[str, Any]] = []
    moment = EPOCH_MS
    for n in range(count):
        moment += rng.randint(1, 900)
        event_id = f"{moment}-{n % 3}"
        viewer = rng.choice(viewers)
        user = {
            "username": viewer,
            "inFanclub": rng.random() < 0.1,
            "hasTokens": True,
            "isMod": False,
            "recentTips": rng.choice(["none", "few", "some", "lots", "tons"]),
            "gender": "m",
            "subgender": "",
            "language": "en",
        }
        roll = rng.random()
        if n % 2000 == 0:
            method, obj = (
                ("broadcastStart" if (n // 2000) % 2 == 0 else "broadcastStop"),
                {"broadcaster": owner, "user": {"username": owner}},
            )
        elif roll < 0.45:
            method, obj = (
                "chatMessage",
                {
                    "broadcaster": owner,
                    "user": user,
                    "message": {
                        "message": f"chat line {n}",
                        "color": "#494949",
                        "bgColor": None,
                        "font": "default",
                    },
                },
            )
        elif roll < 0.60:
            method, obj = (
                "tip",
                {
                    "broadcaster": owner,
                    "user": user,
                    "tip": {
                        "tokens": rng.choice([1, 10, 25, 100]),
                        "isAnon": rng.random() < 0.1,
                        "message": "| hi",
                    },
                },
            )
        elif roll < 0.72:
            method, obj = "userEnter", {"broadcaster": owner, "user": user}
        elif roll < 0.82:
            method, obj = "userLeave", {"broadcaster": owner, "user": user}
        elif roll < 0.86:
            incoming = rng.random() < 0.5
            sender, recipient = (viewer, owner) if incoming else (owner, viewer)
            method, obj = (
                "privateMessage",
                {
                    "broadcaster": owner,
                    "user": {"username": sender},
                    "message": {"message": f"pm {n}", "fromUser": sender, "toUser": recipient},
                },
            )
        elif roll < 0.89:
            method, obj = (
                rng.choice(["follow", "unfollow", "fanclubJoin"]),
                {"broadcaster": owner, "user": user},
            )
        elif roll < 0.91:
            method, obj = (
                "mediaPurchase",
                {
                    "broadcaster": owner,
                    "user": user,
                    "media": {
                        "id": rng.choice([7, "8"]),
                        "type": rng.choice(["photos", "video", "socialMedia"]),
                        "name": "set",
                        "tokens": 50,
                    },
                },
            )
        elif roll < 0.92:
            method, obj = "roomSubjectChange", {"broadcaster": owner, "subject": f"goal {n}"}
        elif roll < 0.98:
            method, obj = (
                "tip",
                {
                    "broadcaster": f"model_{n % 50:02d}",
                    "user": {"username": owner},
                    "tip": {"tokens": 5, "isAnon": False, "message": ""},
                },
            )
        elif roll < 0.99:
            method, obj = (
                "privateMessage",
                {
                    "broadcaster": "",
                    "user": {"username": viewer},
                    "message": {"message": "dm", "fromUser": viewer, "toUser": owner},
                },
            )
        else:
            method, obj = "futureMethod", {"broadcaster": owner, "whatever": n}
        events.append({"method": method, "id": event_id, "object": obj})
    return events


def event_ms(event_id: str) -> tuple[int, int]:
    ms, seq = event_id.split("-")
    return int(ms), int(seq)


class FakeEventsFeed:
    """Serve `events` as the Events API would; script faults with `faults[request_number]`."""

    def __init__(
        self,
        events: list[dict[str, Any]],
        *,
        page_size: int = 200,
        owner: str = OWNER,
        clock: FakeClock | None = None,
        hold_when_caught_up: bool = False,
    ) -> None:
        self.events = events
        #: Without a fake clock: hold an empty page for the request's `timeout`, in real time
        #: (for code that runs on the real clock, like `mhc poll-events`).
        self.hold_when_caught_up = hold_when_caught_up
        self.page_size = page_size
        self.owner = owner
        self.clock = clock
        #: request number (1-based) -> fault name or a Reply
        self.faults: dict[int, str | Reply] = {}
        #: ids skipped by stale-cursor faults: lost "inside a recorded gap"
        self.skipped: set[str] = set()
        #: called before answering each request (e.g. to block a poller in a test)
        self.before_reply: Callable[[RecordedRequest], None] | None = None
        self.served: dict[str, float] = {}  # event id -> time.perf_counter() when first served
        self._lock = threading.Lock()
        self._number = 0
        #: cursor position (`i`) answered stale -> where its answer resumes
        self._stale: dict[str | None, str | None] = {}
        self.server = FakeHttpServer()
        self.server.handler = self._handle

    def __enter__(self) -> FakeEventsFeed:
        self.server.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.close()

    @property
    def base_url(self) -> str:
        return f"{self.server.url}/events/{self.owner}/{TOKEN}/"

    def _url(self, after: str | None, timeout: str) -> str:
        query = f"?i={after}&timeout={timeout}" if after else f"?timeout={timeout}"
        return self.base_url + query

    def _position(self, after: str | None) -> int:
        if not after:
            return 0
        key = event_ms(after)
        for index, event in enumerate(self.events):
            if event_ms(event["id"]) > key:
                return index
        return len(self.events)

    def _handle(self, request: RecordedRequest) -> Reply:
        import time

        with self._lock:
            self._number += 1
            number = self._number
        if self.before_reply is not None:
            self.before_reply(request)
        after = request.param("i")
        timeout = request.param("timeout") or "10"
        fault = self.faults.get(number)
        if isinstance(fault, Reply):
            return fault
        if fault == "500":
            return json_reply({"error": "boom"}, status=502)
        if fault == "429":
            return json_reply({"error": "slow down"}, status=429)
        if fault == "timeout":
            return Reply(
                status=200,
                body={"events": [], "nextUrl": self._url(after, timeout)},
                delay=float(timeout) + 2,
            )
        if fault == "reset":
            start = self._position(after)
            page = self.events[start : start + self.page_size]
            return Reply(
                status=200,
                body={"events": page, "nextUrl": self._url(after, timeout)},
                drop="reset",
            )
        if fault == "stale" or (fault is None and after in self._stale):
            # A cursor once stale stays stale (asked again, say after a crash, it is refused
            # again, with the same way on), as the real API's are.
            if after not in self._stale:
                start = self._position(after)
                skip = self.events[start : start + 37]
                self.skipped.update(e["id"] for e in skip)
                self._stale[after] = skip[-1]["id"] if skip else after
            return json_reply(
                {
                    "status": "Invalid URL. You waited too long. Please start over using 'nextUrl'.",
                    "nextUrl": self._url(self._stale[after], timeout),
                },
                status=400,
            )
        start = self._position(after)
        page = self.events[start : start + self.page_size]
        if not page and self.clock is not None:
            self.clock.advance(float(timeout))  # the long-poll hold, in fake time
        now = time.perf_counter()
        for event in page:
            self.served.setdefault(event["id"], now)
        last = page[-1]["id"] if page else after
        reply = json_reply({"events": page, "nextUrl": self._url(last, timeout)})
        if not page and self.clock is None and self.hold_when_caught_up:
            return replace(reply, delay=float(timeout))
        return reply


class StubLambda:
    """Records `invoke` calls (moto cannot run Lambda code without Docker); can be told to fail."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.fail_next = 0

    def invoke(self, **kwargs: Any) -> dict[str, Any]:
        if self.fail_next:
            self.fail_next -= 1
            raise ConnectionError("lambda endpoint unreachable")
        self.calls.append(kwargs)
        return {"StatusCode": 202}


def ts(event_id: str) -> datetime:
    return datetime.fromtimestamp(event_ms(event_id)[0] / 1000, tz=UTC)
