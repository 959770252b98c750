"""POST /api/lookup: who is this? (find or create, keep the paste, optionally ask Statbate)."""

from __future__ import annotations

from mhc.api.deps import Context, Db
from mhc.api.routes import RouteTable
from mhc.api.schemas import LookupRequest, PasteRequest
from mhc.services.lookup import LookupResult, PasteReadingView, lookup, read_pasted

routes = RouteTable(tags=["lookup"])


@routes.post("/lookup", response_model=LookupResult)
def lookup_person(db: Db, context: Context, body: LookupRequest) -> LookupResult:
    """A Statbate failure is an outcome in `statbate` (and a job run), never a failed lookup."""
    return lookup(
        db,
        username=body.username,
        role=body.role,
        pasted_text=body.pasted_text,
        usernames=body.usernames,
        include_statbate=body.include_statbate,
        include_my_room=body.include_my_room,
        owner=context.settings().mhc_owner_username,
        statbate=context.statbate,
        clock=context.clock,
    )


@routes.post("/paste/read", response_model=PasteReadingView)
def read_paste(db: Db, context: Context, body: PasteRequest) -> PasteReadingView:
    """The names a paste holds (chat lines, tips, joins, follows, lists, room URLs, mentions),
    each with the line it came from and whether MHC knows them; nothing is stored. Choose among
    them, then `POST /api/lookup` with `pasted_text` and `usernames`."""
    return read_pasted(db, body.pasted_text, owner=context.settings().mhc_owner_username)
