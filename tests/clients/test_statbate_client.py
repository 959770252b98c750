"""Statbate Premium client: every endpoint checked against statbate_openapi.json, every status."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from fakes.clock import FakeClock
from fakes.http import (
    SLOW_REPLY_SECONDS,
    TEST_READ_TIMEOUT,
    FakeHttpServer,
    RecordedRequest,
    Reply,
    cloudflare_reply,
    json_reply,
)
from fakes.samples import load
from mhc.clients.errors import (
    AuthError,
    BadRequest,
    Blocked,
    InvalidResponse,
    TransientExhausted,
    ValidationFailed,
)
from mhc.clients.http import ClientDeps, RetryPolicy, Timeouts
from mhc.clients.statbate import DateRange, StatbateClient
from mhc.domain.metrics import normalize_statbate_member, normalize_statbate_model
from pydantic import BaseModel

TOKEN = "4242|statbateSECRETtokenVALUE"
SPEC: dict[str, Any] = load("statbate_openapi.json")
RANGE = DateRange(
    datetime(2026, 3, 1, 1, 2, 3, tzinfo=timezone(timedelta(hours=2))),
    datetime(2026, 3, 31, 23, 59, 59, tzinfo=UTC),
)


@pytest.fixture
def client(
    server: FakeHttpServer, http: httpx.Client, deps: ClientDeps, retry: RetryPolicy
) -> StatbateClient:
    return StatbateClient(
        http,
        token=TOKEN,
        base_url=f"{server.url}/api",
        request_interval_seconds=2.0,
        deps=deps,
        retry=retry,
        timeouts=Timeouts(connect=1.0, read=TEST_READ_TIMEOUT),
    )


# -- every endpoint, called with every parameter it accepts ------------------------------
Call = Callable[[StatbateClient], Any]
CALLS: dict[str, Call] = {
    "GET /models": lambda c: c.top_models(range=RANGE, genders=[0, 3], page=2, per_page=200),
    "GET /members": lambda c: c.top_members(
        site="stripchat", range=RANGE, genders=[1], high_tippers=True, page=3, per_page=50
    ),
    "GET /members/{site}/{name}/info": lambda c: c.member_info(
        "member_a", timezone="Europe/Berlin"
    ),
    "POST /members/{site}/info/batch": lambda c: c.members_info_batch(
        ["donatorA", "donatorB"], timezone="Europe/Bucharest"
    ),
    "GET /members/{site}/{name}/model/{model}": lambda c: c.member_model_spending(
        "member_a", "model_x", range=RANGE, timezone="UTC"
    ),
    "GET /model/{site}/{name}/info": lambda c: c.model_info("model_x", range=RANGE),
    "GET /model/{site}/{name}/activity": lambda c: c.model_activity("model_x", range=RANGE),
    "GET /model/{site}/{name}/members": lambda c: c.model_members("model_x", range=RANGE),
    "GET /model/{site}/{name}/rank": lambda c: c.model_rank("model_x", range=RANGE),
    "GET /model/{site}/{name}/tips": lambda c: c.model_tips("model_x", range=RANGE, per_page=200),
    "GET /members/{site}/{name}/tips": lambda c: c.member_tips("member_a", range=RANGE, page=4),
    "GET /members/{site}/{name}/tag-spending": lambda c: c.member_tag_spending(
        "member_a", range=RANGE, per_page=10
    ),
    "GET /members/{site}/{name}/top-models": lambda c: c.member_top_models("member_a", range=RANGE),
    "GET /members/{site}/{name}/activity": lambda c: c.member_activity("member_a", range=RANGE),
    "GET /tags": lambda c: c.tags(site="mfc", range=RANGE, page=1, per_page=20),
    "GET /tags/search": lambda c: c.search_tags("fee", limit=100),
    "GET /members/online": lambda c: c.online_members(timezone="Europe/Berlin", genders=[0, 1]),
}


def spec_operations() -> dict[str, dict[str, Any]]:
    return {
        f"{method.upper()} {path}": op
        for path, ops in SPEC["paths"].items()
        for method, op in ops.items()
    }


def example_for(schema: dict[str, Any]) -> Any:
    """An instance of `schema`: its own `example` where the spec gives one, else a typed value."""
    if "example" in schema:
        return schema["example"]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next(k for k in kind if k != "null")
    if kind == "object":
        return {k: example_for(v) for k, v in schema.get("properties", {}).items()}
    if kind == "array":
        return [example_for(schema["items"])]
    if kind == "integer":
        return schema.get("enum", [7])[-1]
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return True
    if schema.get("format") == "date-time":
        return "2026-03-01T10:00:00+00:00"
    if schema.get("format") == "date":
        return "2026-03-01"
    return schema.get("enum", ["text"])[0]


def response_example(operation: str, status: str = "200") -> Any:
    content = spec_operations()[operation]["responses"][status]["content"]["application/json"]
    return content.get("example", example_for(content["schema"]))


def assert_fully_typed(value: Any, example: Any, where: str = "") -> None:
    """Every documented key is a typed field (nothing left in model_extra) with the same value."""
    if isinstance(value, BaseModel):
        assert not value.model_extra, f"{where}: untyped {value.model_extra}"
        fields = {(f.alias or n): n for n, f in type(value).model_fields.items()}
        for key, sub in example.items():
            assert key in fields, f"{where}.{key} has no typed field"
            assert_fully_typed(getattr(value, fields[key]), sub, f"{where}.{key}")
    elif isinstance(example, list) and not isinstance(value, dict):
        assert len(value) == len(example), where
        for index, (item, sub) in enumerate(zip(value, example, strict=True)):
            assert_fully_typed(item, sub, f"{where}.{index}")
    else:
        assert value == example, where


def check_against_spec(operation: str, request: RecordedRequest) -> None:
    method, template = operation.split(" ", 1)
    op = spec_operations()[operation]
    assert request.method == method
    path_re = re.sub(r"\\\{[a-z]+\\\}", "[^/]+", re.escape(template))
    assert re.fullmatch(f"/api{path_re}", request.path), (request.path, template)
    params = {p["name"]: p for p in op.get("parameters", [])}
    for name, values in request.query.items():
        assert name in params, f"{operation}: undocumented parameter {name}"
        assert params[name]["in"] == "query"
        schema = params[name]["schema"]
        for value in values:
            item = schema.get("items", schema)
            if "enum" in item:
                assert type(item["enum"][0])(value) in item["enum"], (name, value)
            if "maximum" in schema:
                assert int(value) <= schema["maximum"], (name, value)
            if schema.get("format") == "date-time":
                assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", value), value
    for name, param in params.items():
        if param.get("required") and param["in"] == "query":
            assert name in request.query, f"{operation}: missing required {name}"
        if param["in"] == "path" and "enum" in param["schema"]:
            segments = template.strip("/").split("/")
            position = segments.index("{" + name + "}")
            assert request.path.split("/")[2 + position] in param["schema"]["enum"]
    if "requestBody" in op:
        body = request.json()
        schema = op["requestBody"]["content"]["application/json"]["schema"]
        assert set(schema["required"]) <= set(body) <= set(schema["properties"])
    assert request.headers["authorization"] == f"Bearer {TOKEN}"


def test_the_client_covers_all_17_documented_endpoints() -> None:
    assert set(CALLS) == set(spec_operations())
    assert len(CALLS) == 17


@pytest.mark.parametrize("operation", sorted(CALLS))
def test_each_request_matches_the_spec_and_each_documented_response_parses(
    server: FakeHttpServer, client: StatbateClient, operation: str
) -> None:
    # Given the documented 200 response of this endpoint
    example = response_example(operation)
    server.enqueue(json_reply(example))
    # When the client calls it with every parameter it supports
    result = CALLS[operation](client)
    # Then the request is one the spec allows...
    assert server.request_count == 1
    check_against_spec(operation, server.requests[0])
    # ...and every documented field arrives typed, with nothing dropped
    assert result is not None
    assert result.raw == example
    assert result.problems == ()
    assert_fully_typed(result.data, example["data"], "data")
    assert_fully_typed(result.meta, example.get("meta", {}), "meta")


def test_range_is_formatted_in_utc_and_the_batch_body_is_the_spec_example(
    server: FakeHttpServer, client: StatbateClient
) -> None:
    server.default = json_reply(response_example("POST /members/{site}/info/batch"))
    CALLS["POST /members/{site}/info/batch"](client)
    op = spec_operations()["POST /members/{site}/info/batch"]
    assert server.requests[0].json() == op["requestBody"]["content"]["application/json"]["example"]
    server.default = json_reply(response_example("GET /models"))
    CALLS["GET /models"](client)
    assert server.requests[1].query["range[0]"] == ["2026-02-28 23:02:03"]
    assert server.requests[1].query["range[1]"] == ["2026-03-31 23:59:59"]
    assert server.requests[1].query["selectedGenders[]"] == ["0", "3"]


@pytest.mark.parametrize(
    "operation",
    [
        "GET /model/{site}/{name}/info",
        "GET /model/{site}/{name}/activity",
        "GET /model/{site}/{name}/members",
        "GET /model/{site}/{name}/rank",
        "GET /members/{site}/{name}/top-models",
    ],
)
def test_documented_404s_mean_none(
    server: FakeHttpServer, client: StatbateClient, operation: str
) -> None:
    server.enqueue(json_reply(response_example(operation, "404"), status=404))
    assert CALLS[operation](client) is None


def test_documented_422_is_a_validation_error(
    server: FakeHttpServer, client: StatbateClient
) -> None:
    server.enqueue(
        json_reply(response_example("POST /members/{site}/info/batch", "422"), status=422)
    )
    with pytest.raises(ValidationFailed) as caught:
        client.members_info_batch(["x"])
    assert caught.value.error == "names array is required"


def test_batch_keeps_per_name_errors(server: FakeHttpServer, client: StatbateClient) -> None:
    member = load("statbate_member_info_sample.json")[
        "response_data_object_as_stored_in_raw_payload"
    ]
    missing = {"name": "nobody", "did": None, "first_tip_date": None, "error": "Member not found"}
    body = {"data": [member, missing], "meta": {"site": "chaturbate", "found": 1, "requested": 2}}
    server.enqueue(json_reply(body))
    result = client.members_info_batch(["member_a", "nobody"])
    found, failed = result.data
    assert found.ok
    assert found.did == 288077
    assert not failed.ok
    assert failed.error == "Member not found"
    assert failed.did is None
    assert (result.meta.found, result.meta.requested) == (1, 2)


def test_member_info_sample_and_its_normalized_metrics(
    server: FakeHttpServer, client: StatbateClient
) -> None:
    sample = load("statbate_member_info_sample.json")
    data = sample["response_data_object_as_stored_in_raw_payload"]
    server.enqueue(json_reply({"data": data, "meta": {"site": "chaturbate", "timezone": "UTC"}}))
    result = client.member_info("Member_A")
    assert result is not None
    assert result.data.did == 288077
    assert result.data.per_day_tokens[-1].tokens == 1
    assert server.requests[0].path == "/api/members/chaturbate/Member_A/info"
    metrics = normalize_statbate_member(result.raw["data"])
    assert set(metrics) == set(data) - {"name"}  # the seed: "same keys as data minus name"
    assert metrics["all_time_tokens"] == 580


def test_model_info_normalizes_flat() -> None:
    data = response_example("GET /model/{site}/{name}/info")["data"]
    assert normalize_statbate_model(data) == {
        "rid": 7,
        "gender": 7,
        "rank": 7,
        "sessions_count": 7,
        "sessions_total_duration": 7,
        "sessions_average_duration": 7,
        "income_tokens": 7,
        "income_usd": 1.5,
        "tags": ["text"],
    }


def test_unknown_fields_and_values_are_kept(server: FakeHttpServer, client: StatbateClient) -> None:
    body = {
        "data": {"name": "m", "rid": 2**40, "rank": "first", "new_thing": [1], "income": {"x": 1}},
        "meta": {"site": "chaturbate", "other": True},
    }
    server.enqueue(json_reply(body))
    result = client.model_info("m")
    assert result is not None
    assert result.data.rid == 2**40  # beyond int32: Statbate ids are bigint
    assert result.data.rank is None
    assert result.problems == ("data.rank: int_parsing",)
    assert result.data.model_extra == {"new_thing": [1]}
    assert result.raw == body


@pytest.mark.parametrize("status", [401, 403])
def test_auth_errors(server: FakeHttpServer, client: StatbateClient, status: int) -> None:
    server.enqueue(json_reply({"message": "Unauthenticated."}, status=status))
    with pytest.raises(AuthError):
        client.member_info("x")
    assert server.request_count == 1


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504, 520, 521, 522, 523, 524])
def test_transient_statuses_are_retried(
    server: FakeHttpServer, client: StatbateClient, clock: FakeClock, status: int
) -> None:
    server.enqueue(Reply(status=status), json_reply(response_example("GET /tags")))
    assert client.tags().data[0].tag == "text"
    assert clock.sleeps == [1.0]


def test_requests_are_paced(
    server: FakeHttpServer, client: StatbateClient, clock: FakeClock
) -> None:
    server.default = json_reply(response_example("GET /tags"))
    client.tags()
    client.tags()
    client.tags()
    assert clock.sleeps == [2.0, 2.0]


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (Reply(body=b"{no", headers={"Content-Type": "application/json"}), InvalidResponse),
        (json_reply({"data": "nope", "meta": {}}), InvalidResponse),
        (json_reply({"error": "bad"}, status=400), BadRequest),
        (cloudflare_reply(403), Blocked),
        (Reply(body=b"{}", delay=SLOW_REPLY_SECONDS), TransientExhausted),
        (Reply(body=b'{"data": []}', drop="reset"), TransientExhausted),
    ],
    ids=["malformed", "wrong-shape", "400", "cloudflare", "slow", "reset"],
)
def test_failures(
    server: FakeHttpServer, client: StatbateClient, reply: Reply, error: type[Exception]
) -> None:
    server.default = reply
    with pytest.raises(error):
        client.model_info("x")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c: c.tags(per_page=201), "per_page"),
        (lambda c: c.tags(page=0), "page"),
        (lambda c: c.search_tags("x", limit=101), "limit"),
        (lambda c: c.top_models(genders=[9]), "gender"),
        (lambda c: c.member_info("x", site="onlyfans"), "site"),
        (lambda c: c.member_info(" "), "name"),
        (lambda c: c.members_info_batch([]), "names"),
    ],
)
def test_invalid_parameters_are_refused_before_any_request(
    server: FakeHttpServer, client: StatbateClient, call: Call, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        call(client)
    assert server.request_count == 0


def test_naive_range_bounds_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        DateRange(datetime(2026, 1, 1), datetime(2026, 1, 2))  # noqa: DTZ001
