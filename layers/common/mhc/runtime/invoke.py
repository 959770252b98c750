"""Asynchronous Lambda invocations: the events poller's next chain link, and the function
the API asks to run a job now (the stats poller; the chat import for `chat_import`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from mhc.config import Settings
from mhc.domain.jobs import JobKind


def invoke_async(client: Any, function_name: str, payload: dict[str, Any]) -> None:
    """Invoke with InvocationType=Event; raise unless Lambda accepted it (HTTP 202)."""
    response = client.invoke(
        FunctionName=function_name,
        InvocationType="Event",
        Payload=json.dumps(payload).encode(),
    )
    status = response.get("StatusCode")
    if status != 202:
        raise RuntimeError(f"invoking {function_name} was not accepted (status {status})")


def _lambda_client() -> Any:
    import boto3  # the Lambda runtime ships boto3; imported on first use (cold start)

    return boto3.client("lambda")


class LambdaChainInvoker:
    """Invokes `function_name` (this function's own ARN) with InvocationType=Event."""

    def __init__(self, function_name: str, client: Any = None) -> None:
        self.function_name = function_name
        self._lambda = client if client is not None else _lambda_client()

    def continue_chain(self, chain_id: str) -> None:
        invoke_async(self._lambda, self.function_name, {"trigger": "chain", "chain_id": chain_id})


class StatsPollerStarter:
    """Starts a job the API just made due: invokes the stats poller (MHC_STATS_POLLER_FUNCTION)
    with `{"jobs": [name]}`. Without that setting it does nothing and the job waits for the next
    scheduled tick. The Lambda client is created on first use, not at the API's cold start."""

    def __init__(
        self, settings: Callable[[], Settings], client_factory: Callable[[], Any] = _lambda_client
    ) -> None:
        self._settings = settings
        self._client_factory = client_factory
        self._client: Any = None

    def __call__(self, job_name: str) -> None:
        function_name = self._settings().mhc_stats_poller_function
        if function_name is None:
            return
        if self._client is None:
            self._client = self._client_factory()
        invoke_async(self._client, function_name, {"jobs": [job_name]})


class ChatImportStarter:
    """Starts the chat import the API just made due: invokes MHC_CHAT_IMPORT_FUNCTION with
    `{"jobs": ["chat_import"]}`. Without that setting the next hourly run takes it."""

    def __init__(
        self, settings: Callable[[], Settings], client_factory: Callable[[], Any] = _lambda_client
    ) -> None:
        self._settings = settings
        self._client_factory = client_factory
        self._client: Any = None

    def __call__(self, job_name: str) -> None:
        function_name = self._settings().mhc_chat_import_function
        if function_name is None:
            return
        if self._client is None:
            self._client = self._client_factory()
        invoke_async(self._client, function_name, {"jobs": [job_name]})


def job_starter(
    settings: Callable[[], Settings], client_factory: Callable[[], Any] | None = None
) -> Callable[[str], None]:
    """The API's "run now" in AWS (a JobStarter): the chat import in its own function, every
    other job in the stats poller (decision 34)."""
    factory = client_factory or (lambda: _lambda_client())
    chat = ChatImportStarter(settings, factory)
    stats = StatsPollerStarter(settings, factory)

    def start(job_name: str) -> None:
        (chat if job_name == JobKind.CHAT_IMPORT.value else stats)(job_name)

    return start
