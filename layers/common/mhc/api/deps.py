"""What routes depend on, held on `app.state` and handed out through FastAPI dependencies."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from mhc.config import Settings
from mhc.db.connection import TransactionSource
from mhc.domain.clock import Clock
from mhc.domain.plus_cookies import SessionWriter
from mhc.services.analysis import RfmCache
from mhc.services.jobs import JobStarter
from mhc.services.lookup import StatbateFactory


@dataclass(frozen=True)
class ApiContext:
    db: Callable[[], TransactionSource]
    settings: Callable[[], Settings]
    statbate: StatbateFactory
    start_job: JobStarter
    clock: Clock
    #: Where the UI's Statbate Plus session form writes (None: this server cannot keep it).
    plus_session: Callable[[], SessionWriter] | None = None
    #: The audience's RFM edges, kept a while by this app (a person's loyalty places them).
    rfm_cache: RfmCache = field(default_factory=RfmCache)


def _context(request: Request) -> ApiContext:
    context: ApiContext = request.app.state.mhc
    return context


Context = Annotated[ApiContext, Depends(_context)]


def _db(context: Context) -> TransactionSource:
    return context.db()


def _owner(context: Context) -> str:
    return context.settings().require_owner()


Db = Annotated[TransactionSource, Depends(_db)]
#: The owner's username; a route that needs it answers 503 when MHC_OWNER_USERNAME is unset.
Owner = Annotated[str, Depends(_owner)]
