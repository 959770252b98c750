"""Statbate Plus chat import: where it stands, the write-only session form, and "import now"
for the owner's room or a person's chat across rooms."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, status
from pydantic import BaseModel, ConfigDict, Field

from mhc.api.deps import Context, Db, Owner
from mhc.api.routes import RouteTable
from mhc.config import ConfigError
from mhc.domain.chat_import_runs import ImportTarget, TargetKind
from mhc.services import chat_import
from mhc.services.chat_import import ChatImportStatus

routes = RouteTable(tags=["chat import"])

PersonId = Annotated[int, Path(ge=1, le=2**63 - 1, description="person id")]


class PlusSession(BaseModel):
    """The two cookies of a signed-in Statbate Plus browser (DevTools → Application →
    Cookies), as values or as `name=value`. Kept where the import reads them; never shown."""

    model_config = ConfigDict(extra="forbid")

    session: str = Field(min_length=1, max_length=8192, description="statbate_plus_session")
    xsrf: str = Field(min_length=1, max_length=8192, description="XSRF-TOKEN")


class SessionSaved(BaseModel):
    saved: bool
    #: The import was asked to run now, to try the new session.
    import_started: bool


@routes.get("/chat-import", response_model=ChatImportStatus)
def chat_import_status(db: Db, context: Context) -> ChatImportStatus:
    """Whether the Plus session works, each chat's import (checkpoint, last run, counts), and
    the responses the field map could not read (with an example item to map)."""
    return chat_import.status(db, field_map=context.settings().statbate_plus_field_map())


@routes.put("/chat-import/session", response_model=SessionSaved)
def save_plus_session(db: Db, context: Context, body: PlusSession) -> SessionSaved:
    """Store the owner's Plus cookies (in AWS: the two SSM parameters, the only ones this API
    may write) and start an import to try them. The values are never returned or logged."""
    if context.plus_session is None:
        raise ConfigError("the Statbate Plus session cannot be stored by this server")
    started = chat_import.save_session(
        db,
        context.plus_session(),
        session=body.session,
        xsrf=body.xsrf,
        start=context.start_job,
        clock=context.clock,
    )
    return SessionSaved(saved=True, import_started=started)


@routes.post(
    "/owner/chat-import", response_model=ImportTarget, status_code=status.HTTP_202_ACCEPTED
)
def import_owner_room(db: Db, context: Context, owner: Owner) -> ImportTarget:
    """Queue an import of the owner's room chat and start it now."""
    return chat_import.request_import(
        db, TargetKind.ROOM, owner, start=context.start_job, clock=context.clock
    )


@routes.post(
    "/persons/{person_id}/chat-import",
    response_model=ImportTarget,
    status_code=status.HTTP_202_ACCEPTED,
)
def import_person_chat(db: Db, context: Context, person_id: PersonId) -> ImportTarget:
    """Queue an import of what the person said across rooms (Plus's member chat) and start it
    now; the messages join their timeline as imported chat."""
    return chat_import.request_person_import(
        db, person_id, start=context.start_job, clock=context.clock
    )
