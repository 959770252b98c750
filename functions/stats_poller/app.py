"""Stats poller Lambda: runs the scheduled collection jobs that are due (every 5 minutes).

The schedule sends a plain scheduled event; `{"jobs": ["name", ...]}` runs those jobs now.
"""

from __future__ import annotations

import warnings
from typing import Any

from mhc.config import get_settings
from mhc.db.resolve import lambda_database
from mhc.observability import PowertoolsMetricsSink, get_metrics, logger
from mhc.runtime.budget import remaining_time
from mhc.runtime.collector import build_collector, jobs_from_event
from mhc.services.collect import Collector

metrics = get_metrics()
_collector: Collector | None = None
# Most 5-minute ticks find no job due and publish no metric: not worth a warning in the log.
warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)


def _get_collector() -> Collector:
    global _collector
    if _collector is None:
        settings = get_settings()
        db = lambda_database(settings)
        _collector = build_collector(settings, db, metrics=PowertoolsMetricsSink(metrics))
    return _collector


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    reports = _get_collector().run_due(remaining_time(context), only=jobs_from_event(event))
    summary = {"jobs": [report.model_dump(mode="json") for report in reports]}
    logger.info("collection finished", extra=summary)
    return summary
