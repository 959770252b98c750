"""Events poller Lambda: a chained, short-timeout long-poll of the owner's Events API feed.

Invoked by the watchdog schedule (starts a chain only when the current one is stale) and by
itself (`{"trigger": "chain", "chain_id": ...}`) as the last step of each link.
"""

from __future__ import annotations

import warnings
from typing import Any

from mhc.config import Settings, get_settings
from mhc.db.connection import Database
from mhc.db.resolve import lambda_database
from mhc.domain.health import EVENTS_POLLER_SETTINGS
from mhc.domain.models import JobStatus
from mhc.domain.polling import trigger_from_event
from mhc.observability import PowertoolsMetricsSink, get_metrics, logger
from mhc.runtime.budget import remaining_time
from mhc.runtime.invoke import LambdaChainInvoker
from mhc.runtime.poller import build_events_poller
from mhc.services.events_poller import EventsPoller, record_not_configured

metrics = get_metrics()
_db: Database | None = None
_poller: EventsPoller | None = None
# A poller that is not configured publishes no metric (it records a run instead): no warning.
warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)


def _database(settings: Settings) -> Database:
    global _db
    if _db is None:
        _db = lambda_database(settings)
    return _db


def _get_poller(function_arn: str) -> EventsPoller:
    global _poller
    if _poller is None:
        settings = get_settings()
        _poller = build_events_poller(
            settings,
            _database(settings),
            invoker=LambdaChainInvoker(function_arn),
            metrics=PowertoolsMetricsSink(metrics),
        )
    return _poller


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if _poller is None:
        settings = get_settings()
        missing = settings.unavailable(EVENTS_POLLER_SETTINGS)
        if missing:
            # Said where the owner looks (a run on the Jobs & health page), not only in the
            # logs; the watchdog asks again at its next tick.
            record_not_configured(_database(settings), missing)
            logger.warning("events poller not configured", extra={"missing": list(missing)})
            return {"status": JobStatus.NOT_CONFIGURED.value, "missing": list(missing)}
    outcome = _get_poller(context.invoked_function_arn).run(
        trigger_from_event(event), remaining_time(context)
    )
    logger.info("events poll finished", extra=outcome.summary())
    return outcome.summary()
