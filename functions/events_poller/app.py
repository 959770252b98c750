"""Events poller Lambda: a chained, short-timeout long-poll of the owner's Events API feed.

Invoked by the watchdog schedule (starts a chain only when the current one is stale) and by
itself (`{"trigger": "chain", "chain_id": ...}`) as the last step of each link.
"""

from __future__ import annotations

from typing import Any

from mhc.config import get_settings
from mhc.db.resolve import lambda_database
from mhc.domain.polling import trigger_from_event
from mhc.observability import PowertoolsMetricsSink, get_metrics, logger
from mhc.runtime.budget import remaining_time
from mhc.runtime.invoke import LambdaChainInvoker
from mhc.runtime.poller import build_events_poller
from mhc.services.events_poller import EventsPoller

metrics = get_metrics()
_poller: EventsPoller | None = None


def _get_poller(function_arn: str) -> EventsPoller:
    global _poller
    if _poller is None:
        settings = get_settings()
        db = lambda_database(settings)
        _poller = build_events_poller(
            settings,
            db,
            invoker=LambdaChainInvoker(function_arn),
            metrics=PowertoolsMetricsSink(metrics),
        )
    return _poller


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    outcome = _get_poller(context.invoked_function_arn).run(
        trigger_from_event(event), remaining_time(context)
    )
    logger.info("events poll finished", extra=outcome.summary())
    return outcome.summary()
