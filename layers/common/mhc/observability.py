"""Observability singletons (Powertools Logger/Metrics) and the one secret redactor.

`redact()` is the single function every log line and every exception message passes through:
Events API URLs (the token sits in the path), `token=` query values, bearer tokens, cookies and
any secret value registered at run time are replaced before text leaves the process.
"""

from __future__ import annotations

import logging
import re
import threading
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

if TYPE_CHECKING:
    from aws_lambda_powertools import Metrics

SERVICE_NAME = "mhc"
REDACTED = "[REDACTED]"

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Events API: /events/<username>/<token>/ -> keep the username, hide the token.
    (re.compile(r"(/events/[^/\s?#\"']+/)[^/\s?#\"']+"), rf"\1{REDACTED}"),
    # Query-string secrets: token=, access_token=, api_key=, key=, session=.
    (
        re.compile(
            r"(?i)\b((?:access_|api_|auth_)?token|api_?key|key|session|password)=([^&\s\"']+)"
        ),
        rf"\1={REDACTED}",
    ),
    # Authorization headers.
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=|%\-]+"), rf"\1 {REDACTED}"),
    # Cookies we hold (Statbate Plus session and XSRF) and any *_session cookie.
    (
        re.compile(
            r"(?i)\b([a-z0-9_]*session|xsrf-token|x-xsrf-token|laravel_session)=([^;\s\"']+)"
        ),
        rf"\1={REDACTED}",
    ),
    # Cookie, Set-Cookie and XSRF headers (header lines, repr'd dicts, httpcore's header
    # tuples): whatever cookies they carry, e.g. Cloudflare's or Laravel's remember-me cookie.
    (
        re.compile(
            r"(?i)\b(set-cookie|cookie|x-xsrf-token|x-csrf-token)"
            r"(['\"]?\s*(?:[:=]\s*|,\s*b?(?=['\"]))['\"]?)[^\r\n'\"]+"
        ),
        rf"\1\2{REDACTED}",
    ),
    # postgresql://user:password@host. Anchored on "://", not on the scheme: a scheme pattern
    # (`\b[a-z][a-z0-9+.-]*://`) rescans from every word start, quadratic on "a.a.a.a...".
    (re.compile(r"(://[^:/@\s]+:)[^@\s/]+@"), rf"\1{REDACTED}@"),
)

_known_secrets: set[str] = set()
_known_lock = threading.Lock()
_MIN_SECRET_LENGTH = 6


def register_secret(value: str) -> None:
    """Remember a secret value so it is redacted verbatim wherever it appears."""
    if value and len(value) >= _MIN_SECRET_LENGTH:
        with _known_lock:
            _known_secrets.add(value)


def without_known_secrets(text: str) -> str:
    """`text` with every registered secret value replaced, and nothing else changed: for data
    that is stored as read (a raw response), where a pattern could alter what someone wrote."""
    with _known_lock:
        secrets = sorted(_known_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def redact(text: object) -> str:
    """Return `text` as a string with every secret we know how to recognise removed."""
    result = str(text)
    with _known_lock:
        secrets = sorted(_known_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in result:
            result = result.replace(secret, REDACTED)
    for pattern, replacement in _PATTERNS:
        result = pattern.sub(replacement, result)
    return result


class RedactingFormatter(LambdaPowertoolsFormatter):
    """Powertools JSON formatter whose output has passed through `redact()`."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


logger = Logger(service=SERVICE_NAME, logger_formatter=RedactingFormatter())


def get_metrics(namespace: str = "MHC") -> Metrics:
    """Powertools Metrics (imported lazily: only functions that publish metrics pay for it)."""
    from aws_lambda_powertools import Metrics

    return Metrics(namespace=namespace, service=SERVICE_NAME)


class Metric(StrEnum):
    """Every metric MHC publishes (namespace MHC, dimension service=mhc). CloudWatch alarms in
    template.yaml name these; tests/infra checks every alarm names one that is published.

    CloudWatch bills a custom metric for each hour in which it receives data ($0.30 a month for
    one sent every hour), so a metric is sent only in the hours it has something to say: counts
    of zero are not sent (see `ALWAYS_SENT`), and how a run ended is in `job_runs`, not here.
    """

    #: Sent after every finished poll, zero included: the staleness alarm counts its data points.
    EVENTS_INGESTED = "EventsIngested"
    DUPLICATES = "Duplicates"
    GAPS = "Gaps"
    POLL_ERRORS = "PollErrors"
    #: Newest stored event's age when a poll stored events (in quiet hours: not sent).
    LAG_SECONDS = "LagSeconds"
    #: A scheduled job run that failed (the JobFailures alarm).
    JOB_FAILED = "JobFailed"
    #: A run stopped by an expired sign-in, the Statbate Plus session (the chat import's
    #: ChatImportSessionExpiredAlarm).
    JOB_AUTH_EXPIRED = "JobAuthExpired"


#: Counts sent even when zero. Missing data of every other metric means "nothing happened" to
#: its alarm (TreatMissingData: notBreaching; tests/infra checks it).
ALWAYS_SENT = frozenset({Metric.EVENTS_INGESTED})


class MetricsSink(Protocol):
    """Where services send their metrics (the events poller, the collector)."""

    def add(self, name: str, value: float, unit: str) -> None: ...


class NoMetrics:
    """A MetricsSink that drops everything (local runs and tests that do not count)."""

    def add(self, name: str, value: float, unit: str) -> None:
        return None


class PowertoolsMetricsSink:
    """Adapts Powertools `Metrics` (CloudWatch, through the log) to the MetricsSink interface;
    a zero count is not sent unless the metric is in `ALWAYS_SENT`."""

    def __init__(self, metrics: Any) -> None:
        self._metrics = metrics

    def add(self, name: str, value: float, unit: str) -> None:
        if unit == "Count" and value == 0 and name not in ALWAYS_SENT:
            return
        self._metrics.add_metric(name=name, unit=unit, value=value)
