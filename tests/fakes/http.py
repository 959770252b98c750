"""A real threaded HTTP/1.1 server on 127.0.0.1 with scripted replies.

Tests (clients now; the events poller and scheduled jobs later) script what each request gets:
status, headers, body, a delay before answering, a connection dropped mid-body or reset. Every
request is recorded. Replies are taken from a per-path queue, then the shared queue, then
`handler` (a function of the request), then `default`.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

#: Read timeout for clients under test: short enough to keep slow-reply tests quick, long enough
#: that a loaded CI machine building a 500-room page never trips it by accident.
TEST_READ_TIMEOUT = 1.0
#: Delay of a "slow" reply: well past TEST_READ_TIMEOUT (delayed replies are released at shutdown).
SLOW_REPLY_SECONDS = 5.0

CLOUDFLARE_CHALLENGE_HTML = (
    '<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>'
    '<meta http-equiv="refresh" content="390"></head><body>'
    '<div id="challenge-platform">Checking your browser before accessing.</div>'
    '<script src="/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1"></script>'
    "</body></html>"
)


@dataclass
class Reply:
    """One scripted answer. `body` may be bytes, str, or any JSON-serialisable value."""

    status: int = 200
    body: Any = b""
    headers: dict[str, str] = field(default_factory=dict)
    #: Seconds to wait before sending anything (real time: use small values with short timeouts).
    delay: float = 0.0
    #: "mid_body": send the headers and half the body, then close the connection.
    #: "reset": send the headers and half the body, then reset the connection (RST).
    #: "before_reply": close without answering at all.
    drop: str | None = None
    #: Headers sent in addition to `headers`, for names that repeat (`Set-Cookie`).
    header_list: list[tuple[str, str]] = field(default_factory=list)

    def encoded(self) -> tuple[bytes, dict[str, str]]:
        headers = dict(self.headers)
        if isinstance(self.body, bytes):
            data = self.body
        elif isinstance(self.body, str):
            data = self.body.encode()
            headers.setdefault("Content-Type", "text/html; charset=utf-8")
        else:
            data = json.dumps(self.body).encode()
            headers.setdefault("Content-Type", "application/json")
        return data, headers


def json_reply(body: Any, status: int = 200, **headers: str) -> Reply:
    return Reply(status=status, body=body, headers=dict(headers))


def cloudflare_reply(status: int = 403) -> Reply:
    return Reply(
        status=status,
        body=CLOUDFLARE_CHALLENGE_HTML,
        headers={
            "cf-ray": "8c1d2e3f4a5b6c7d-AMS",
            "cf-mitigated": "challenge",
            "Server": "cloudflare",
        },
    )


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    target: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None


class FakeHttpServer:
    """Start with `with FakeHttpServer() as server:`; `server.url` is its http://127.0.0.1:port."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self.handler: Callable[[RecordedRequest], Reply] | None = None
        self.default = Reply(status=599, body={"error": "no scripted reply"})
        self._queue: deque[Reply] = deque()
        self._by_path: dict[str, deque[Reply]] = {}
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    # -- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> FakeHttpServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._release.set()  # wake delayed replies so shutdown is immediate
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    # -- scripting -------------------------------------------------------------------------
    def enqueue(self, *replies: Reply, path: str | None = None) -> None:
        with self._lock:
            if path is None:
                self._queue.extend(replies)
            else:
                self._by_path.setdefault(path, deque()).extend(replies)

    @property
    def request_count(self) -> int:
        with self._lock:
            return len(self.requests)

    def _next_reply(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
            queue = self._by_path.get(request.path)
            if queue:
                return queue.popleft()
            if self._queue:
                return self._queue.popleft()
        if self.handler is not None:
            return self.handler(request)
        return self.default

    # -- the request handler ---------------------------------------------------------------
    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return  # keep test output clean

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                split = urlsplit(self.path)
                request = RecordedRequest(
                    method=self.command,
                    target=self.path,
                    path=split.path,
                    query=parse_qs(split.query, keep_blank_values=True),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                reply = fake._next_reply(request)
                if reply.delay and fake._release.wait(reply.delay):
                    return
                if reply.drop == "before_reply":
                    self.close_connection = True
                    return
                data, headers = reply.encoded()
                self.send_response(reply.status)
                for name, value in [*headers.items(), *reply.header_list]:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if reply.drop in ("mid_body", "reset"):
                    self.wfile.write(data[: max(1, len(data) // 2)])
                    self.wfile.flush()
                    if reply.drop == "reset":
                        self.connection.setsockopt(
                            socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                        )
                    self.close_connection = True
                    return
                self.wfile.write(data)

            do_GET = _serve
            do_POST = _serve
            do_PUT = _serve
            do_DELETE = _serve

        return Handler


@contextmanager
def fake_http_server() -> Iterator[FakeHttpServer]:
    with FakeHttpServer() as server:
        yield server
