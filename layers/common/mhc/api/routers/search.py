"""Full-text search over chat, private messages, notes, pastes and imports."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from mhc.api.deps import Db
from mhc.api.routes import RouteTable
from mhc.domain.models import Interaction, InteractionType, Page
from mhc.domain.paging import MAX_PAGE_SIZE
from mhc.services import interactions

routes = RouteTable(tags=["search"])


@routes.get("/search", response_model=Page[Interaction])
def search(
    db: Db,
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=interactions.MAX_QUERY_LENGTH,
            description='web-search syntax: words, "phrases", -not, or',
        ),
    ],
    type: Annotated[list[InteractionType] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    include_excluded: bool = False,
) -> Page[Interaction]:
    """Newest matches first; `cursor` pages on."""
    return interactions.search(
        db,
        q,
        types=tuple(type or ()),
        limit=limit,
        cursor=cursor,
        include_excluded=include_excluded,
    )
