"""Chat import Lambda: the Statbate Plus chat history, through the `chat_import` job.

The hourly schedule sends a plain scheduled event (the job runs when due); the API's "import
now" sends `{"jobs": ["chat_import"]}`, which runs it at once. Each page is committed with its
checkpoint, so a run cut short by the timeout resumes there next time; an expired session is
recorded as `auth_expired` and flagged in the UI.
"""

from __future__ import annotations

from mhc.runtime.collector import ScheduledHandler, build_chat_importer

_function = ScheduledHandler(build_chat_importer, finished="chat import finished")
handler = _function.handler
