"""Stats poller Lambda: runs the scheduled collection jobs that are due (every 5 minutes).

The schedule sends a plain scheduled event; `{"jobs": ["name", ...]}` runs those jobs now.
"""

from __future__ import annotations

from mhc.runtime.collector import ScheduledHandler, build_collector

_function = ScheduledHandler(build_collector, finished="collection finished")
handler = _function.handler
