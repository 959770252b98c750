"""Chat import Lambda: the Statbate Plus chat history, through the `chat_import` job.

The hourly schedule sends a plain scheduled event (the job runs when due); the API's "import
now" sends `{"jobs": ["chat_import"]}`, which runs it at once. Each page is committed with its
checkpoint, so a run cut short by the timeout resumes there next time; an expired session is
recorded as `auth_expired` and flagged in the UI.
"""

from __future__ import annotations

import warnings
from typing import Any

from mhc.config import get_settings
from mhc.db.resolve import lambda_database
from mhc.observability import PowertoolsMetricsSink, get_metrics, logger
from mhc.runtime.budget import remaining_time
from mhc.runtime.chat_import import build_chat_importer
from mhc.runtime.collector import jobs_from_event
from mhc.services.collect import Collector

metrics = get_metrics()
_collector: Collector | None = None
# Most hourly runs that find the job not due publish no metric: not worth a warning.
warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)


def _get_collector() -> Collector:
    global _collector
    if _collector is None:
        settings = get_settings()
        db = lambda_database(settings)
        _collector = build_chat_importer(settings, db, metrics=PowertoolsMetricsSink(metrics))
    return _collector


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    reports = _get_collector().run_due(remaining_time(context), only=jobs_from_event(event))
    summary = {"jobs": [report.model_dump(mode="json") for report in reports]}
    logger.info("chat import finished", extra=summary)
    return summary
