"""`mhc invoke`: a Lambda handler run on this machine, as `sam local invoke` would without Docker.

The handler is `functions/<name>/app.py`, imported by file path exactly as Lambda imports the
deployed package (so module-level state starts empty), called with a sample event from
`events/` and a Lambda-like context: the function's timeout and memory from template.yaml, a
request id, and a deadline on the monotonic clock. Asynchronous Lambda invokes the handler asks
for (the events poller's next chain link) are recorded and reported, not sent to AWS. Logs and
metrics go to stderr, so stdout carries only the handler's result.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import importlib.util
import json
import logging
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO

from mhc.config import REPO_ROOT

FUNCTIONS_DIR = REPO_ROOT / "functions"
EVENTS_DIR = REPO_ROOT / "events"
TEMPLATE = REPO_ROOT / "template.yaml"
#: The stage that names functions run locally (`mhc-local-lookup`).
LOCAL_STAGE = "local"
#: Sample events carry this instead of a real bearer token.
TOKEN_PLACEHOLDER = "replace-with-MHC_API_TOKEN"  # noqa: S105 (a placeholder, not a secret)


class UnknownFunction(LookupError):
    """No `functions/<name>/app.py`."""


@dataclass(frozen=True)
class FunctionSpec:
    """What template.yaml says about a function (Globals filled in)."""

    name: str
    function_name: str
    timeout_seconds: float
    memory_mb: int


def function_names() -> list[str]:
    return sorted(path.parent.name for path in FUNCTIONS_DIR.glob("*/app.py"))


def _check(name: str) -> str:
    name = name.replace("-", "_")
    if name not in function_names():
        raise UnknownFunction(
            f"no function {name!r} (functions/<name>/app.py): {', '.join(function_names())}"
        )
    return name


def _cloudformation_yaml(text: str) -> Any:
    """template.yaml as data; a short-form intrinsic (`!Sub x`) becomes `{"Fn::Sub": x}`."""
    import yaml

    def intrinsic(loader: Any, suffix: str, node: Any) -> Any:
        name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
        if isinstance(node, yaml.ScalarNode):
            return {name: loader.construct_scalar(node)}
        if isinstance(node, yaml.SequenceNode):
            return {name: loader.construct_sequence(node, deep=True)}
        return {name: loader.construct_mapping(node, deep=True)}

    # A subclass, so SafeLoader itself learns no tags.
    loader: Any = type("CloudFormationLoader", (yaml.SafeLoader,), {})
    loader.add_multi_constructor("!", intrinsic)
    return yaml.load(text, Loader=loader)  # noqa: S506 (a SafeLoader subclass)


def function_spec(name: str, template: Path = TEMPLATE) -> FunctionSpec:
    """The function's name, timeout and memory from the SAM template (Globals as defaults)."""
    name = _check(name)
    document = _cloudformation_yaml(template.read_text("utf-8"))
    defaults = document.get("Globals", {}).get("Function", {})
    for resource in document.get("Resources", {}).values():
        properties = resource.get("Properties", {})
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        if str(properties.get("CodeUri", "")).rstrip("/") != f"functions/{name}":
            continue
        merged = {**defaults, **properties}
        function_name = merged.get("FunctionName", name)
        if isinstance(function_name, dict):  # !Sub mhc-${Stage}-lookup
            function_name = str(function_name.get("Fn::Sub", name))
        return FunctionSpec(
            name=name,
            function_name=function_name.replace("${Stage}", LOCAL_STAGE),
            timeout_seconds=float(merged.get("Timeout", 3)),
            memory_mb=int(merged.get("MemorySize", 128)),
        )
    raise UnknownFunction(f"template.yaml has no function with CodeUri functions/{name}/")


def sample_events(name: str) -> list[Path]:
    """The function's sample events (`events/<name>_*.json`), the default one first."""
    name = _check(name)
    return sorted(EVENTS_DIR.glob(f"{name}_*.json"))


def load_function(name: str) -> ModuleType:
    """A fresh import of functions/<name>/app.py (module-level state starts empty)."""
    path = FUNCTIONS_DIR / _check(name) / "app.py"
    spec = importlib.util.spec_from_file_location(f"{name}_app", path)
    if spec is None or spec.loader is None:  # pragma: no cover - a file that exists imports
        raise UnknownFunction(str(path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class LocalContext:
    """The Lambda context object, with the remaining time counted down on `clock`."""

    def __init__(self, spec: FunctionSpec, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._deadline = clock() + spec.timeout_seconds
        self.function_name = spec.function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = (
            f"arn:aws:lambda:{LOCAL_STAGE}:000000000000:function:{spec.function_name}"
        )
        self.memory_limit_in_mb = spec.memory_mb
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{spec.function_name}"
        self.log_stream_name = f"{LOCAL_STAGE}/[$LATEST]{uuid.uuid4().hex}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - self._clock()) * 1000))


@dataclass
class RecordedInvokes:
    """Stands in for the boto3 Lambda client: each invoke is kept, and answered as accepted."""

    calls: list[dict[str, Any]] = field(default_factory=list)

    def invoke(self, **request: Any) -> dict[str, Any]:
        payload = request.get("Payload", b"")
        self.calls.append(
            {
                "FunctionName": request.get("FunctionName"),
                "InvocationType": request.get("InvocationType", "RequestResponse"),
                "Payload": json.loads(payload) if payload else None,
            }
        )
        return {"StatusCode": 202 if request.get("InvocationType") == "Event" else 200}


@contextlib.contextmanager
def recorded_lambda_invokes() -> Iterator[RecordedInvokes]:
    """Route the handlers' Lambda invokes (mhc.runtime.invoke) to a recorder, not AWS."""
    from mhc.runtime import invoke

    recorder = RecordedInvokes()
    original = invoke._lambda_client
    invoke._lambda_client = lambda: recorder
    try:
        yield recorder
    finally:
        invoke._lambda_client = original


@contextlib.contextmanager
def output_to(stream: TextIO) -> Iterator[None]:
    """Send the handler's log lines and printed metrics to `stream` for the call."""
    from mhc.observability import logger

    handlers = [h for h in logger.handlers if isinstance(h, logging.StreamHandler)]
    previous = [h.setStream(stream) for h in handlers]
    try:
        with contextlib.redirect_stdout(stream):
            yield
    finally:
        for handler, old in zip(handlers, previous, strict=True):
            if old is not None:
                handler.setStream(old)


def with_api_token(event: Any, token: str | None) -> Any:
    """The event with the placeholder bearer token of the samples replaced by `token`."""
    if token is None:
        return event
    text = json.dumps(event)
    if TOKEN_PLACEHOLDER not in text:
        return event
    return json.loads(text.replace(TOKEN_PLACEHOLDER, token))


@dataclass
class Invocation:
    spec: FunctionSpec
    request_id: str
    result: Any = None
    error: BaseException | None = None
    seconds: float = 0.0
    invokes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def timed_out(self) -> bool:
        """Lambda would have stopped the handler at its timeout."""
        return self.seconds > self.spec.timeout_seconds


def invoke(
    name: str,
    event: Any,
    *,
    timeout_seconds: float | None = None,
    log_stream: TextIO | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Invocation:
    """Import the handler afresh and call it once with `event` and a local context; its logs
    go to `log_stream` (default: stderr)."""
    spec = function_spec(name)
    if timeout_seconds is not None:
        spec = dataclasses.replace(spec, timeout_seconds=timeout_seconds)
    with recorded_lambda_invokes() as recorder, output_to(log_stream or sys.stderr):
        module = load_function(spec.name)
        context = LocalContext(spec, clock=clock)
        outcome = Invocation(spec, context.aws_request_id)
        started = clock()
        try:
            outcome.result = module.handler(copy.deepcopy(event), context)
        except Exception as exc:
            outcome.error = exc
        outcome.seconds = clock() - started
    outcome.invokes = recorder.calls
    return outcome
