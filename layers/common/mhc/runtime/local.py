"""The pollers of `mhc run`: the same services the Lambdas run, on threads of the local server.

- Events: when MHC_EVENTS_URL and MHC_OWNER_USERNAME are set, the events poller long-polls
  continuously (one link after another, like the Lambda chain, minus the self-invoke); when
  not, a "not configured" run naming them is recorded for the Jobs & health page.
- Scheduled jobs: every minute the collector runs the jobs that are due; jobs whose
  credentials are missing record "not configured" runs, shown on the Jobs page. `wake` (the
  API's "run now") makes it look at once instead of at the end of its minute.
Each poller has its own single connection (the events poller's lock is a session lock).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta

from mhc.config import Settings
from mhc.db.connection import Database
from mhc.domain.health import EVENTS_POLLER_SETTINGS
from mhc.domain.polling import Trigger, TriggerKind
from mhc.observability import logger, redact

#: How long one local events "link" polls before starting the next.
EVENTS_LINK_SECONDS = 120.0
#: How often the collector looks for due jobs; jobs have their own intervals.
JOBS_TICK_SECONDS = 60.0
#: Time budget of one collector run (the Lambda has ~280 s).
JOBS_BUDGET_SECONDS = 240.0
#: Pause after a poller failed before it tries again.
RETRY_PAUSE_SECONDS = 30.0


class LocalPollers:
    def __init__(
        self, settings: Settings, url: str, *, events: bool = True, jobs: bool = True
    ) -> None:
        self._settings = settings
        self._url = url
        self._events, self._jobs = events, jobs
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> list[str]:
        """Start what is configured; return a line per poller saying what runs."""
        lines = []
        missing = self._settings.unavailable(EVENTS_POLLER_SETTINGS) if self._events else {}
        if not self._events:
            pass
        elif not missing:
            self._spawn("mhc-events-poller", self._events_loop)
            lines.append("events poller: long-polling the Events API")
        else:
            self._record_not_configured(missing)
            lines.append(f"events poller: not configured (set {' and '.join(missing)})")
        if self._jobs:
            self._spawn("mhc-collector", self._jobs_loop)
            lines.append(f"scheduled jobs: checked every {JOBS_TICK_SECONDS:.0f} s (Jobs page)")
        return lines

    def _record_not_configured(self, missing: dict[str, str]) -> None:
        """Shown on the Jobs & health page as "not configured" (not "never run")."""
        from mhc.services.events_poller import record_not_configured

        db = Database(self._url)
        try:
            record_not_configured(db, missing)
        except Exception as exc:  # the server still starts; the page then says "never run"
            logger.error("could not record the events poller's state", extra={"error": redact(exc)})
        finally:
            db.close()

    def wake(self, _job_name: str = "") -> None:
        """Run the due jobs now (a JobStarter: the API has just made a job due)."""
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout)

    def _spawn(self, name: str, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _events_loop(self) -> None:
        from dataclasses import replace

        from mhc.runtime.poller import build_events_poller, poller_config

        db = Database(self._url)
        try:
            # Pages are prepared in place here: this process has threads (the server's), and
            # forking one to prepare pages is not worth it for a workstation's live room.
            config = replace(poller_config(self._settings), pipeline_min_events=None)
            poller = build_events_poller(self._settings, db, config=config)
            while not self._stop.is_set():
                try:
                    outcome = poller.run(
                        Trigger(TriggerKind.MANUAL), self._budget(EVENTS_LINK_SECONDS)
                    )
                    failed = outcome.status.value == "failed"
                except Exception as exc:
                    logger.error("local events poller failed", extra={"error": redact(exc)})
                    failed = True
                if failed:
                    self._stop.wait(RETRY_PAUSE_SECONDS)
        finally:
            db.close()

    def _budget(self, seconds: float) -> Callable[[], timedelta]:
        """Time left for one run; stopping the server ends it at its next loop turn."""
        deadline = time.monotonic() + seconds

        def remaining() -> timedelta:
            left = 0.0 if self._stop.is_set() else deadline - time.monotonic()
            return timedelta(seconds=left)

        return remaining

    def _jobs_loop(self) -> None:
        from mhc.runtime.collector import build_collector, local_jobs

        db = Database(self._url)
        try:
            collector = build_collector(self._settings, db, jobs=local_jobs())
            while not self._stop.is_set():
                self._wake.clear()
                try:
                    collector.run_due(self._budget(JOBS_BUDGET_SECONDS))
                except Exception as exc:
                    logger.error("local collector failed", extra={"error": redact(exc)})
                self._wake.wait(JOBS_TICK_SECONDS)
        finally:
            db.close()
