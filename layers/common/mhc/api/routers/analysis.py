"""Behavioural analysis: a person's insights, the owner's audience, a session's recap (read
only; every figure with its evidence and uncertainty, docs/analysis.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from mhc.api.deps import Context, Db, Owner
from mhc.api.routes import RouteTable
from mhc.api.schemas import DateTimeInRange
from mhc.services import analysis
from mhc.services.analysis import AudienceView, PersonInsights, RecapView

routes = RouteTable(tags=["analysis"])

Id = Annotated[int, Path(ge=1, le=2**63 - 1)]


@routes.get("/persons/{person_id}/insights", response_model=PersonInsights)
def person_insights(db: Db, context: Context, owner: Owner, person_id: Id) -> PersonInsights:
    """Spending, timing, tags, loyalty and engagement, each with evidence (counts, window,
    sources, an interactions query) and uncertainty; the headline totals; attributes MHC
    proposes (accept one with PUT /persons/{id}/attributes/{key}, evidence_kind `inferred`)."""
    return analysis.person_insights(
        db,
        person_id,
        owner=owner,
        timezone=context.settings().mhc_owner_timezone,
        clock=context.clock,
        rfm_cache=context.rfm_cache,
    )


@routes.get("/owner/audience", response_model=AudienceView)
def owner_audience(
    db: Db,
    context: Context,
    owner: Owner,
    since: DateTimeInRange | None = None,
    until: DateTimeInRange | None = None,
) -> AudienceView:
    """Top spenders, regulars, newcomers, at-risk regulars and the best hours of the week over
    [since, until) (default: the 90 days to now); excluded persons and the owner appear nowhere."""
    return analysis.owner_audience(
        db,
        owner=owner,
        timezone=context.settings().mhc_owner_timezone,
        since=since,
        until=until,
        clock=context.clock,
    )


@routes.get("/sessions/{session_id}/recap", response_model=RecapView)
def session_recap(db: Db, context: Context, owner: Owner, session_id: Id) -> RecapView:
    """One session's tokens, tips, top tippers, follows, visitors (new and returning), chat and
    peak viewers, each against the owner's median over the sessions before it."""
    return analysis.session_recap_of(db, session_id, owner=owner, clock=context.clock)
