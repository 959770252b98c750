"""The live room and alerts: who is in the owner's room now, the alert rules and the alerts."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response
from pydantic import BaseModel, ConfigDict, Field

from mhc.api.deps import Context, Db, Owner
from mhc.api.routes import RouteTable
from mhc.api.schemas import DateTimeInRange
from mhc.domain.alerts import MAX_RULES, AlertRule, parse_rules
from mhc.domain.paging import MAX_PAGE_SIZE
from mhc.services import alerts, live_room
from mhc.services.alerts import AlertPage, RulesView
from mhc.services.live_room import LiveRoom

routes = RouteTable(prefix="/owner", tags=["live"])


class AlertRulesRequest(BaseModel):
    """The whole rule set (replaces the one in force). The domain's `AlertRules` checks it
    (unique ids); it is not the body type itself because FastAPI warns on a body model built
    lazily (`defer_build`), which the domain's models are."""

    model_config = ConfigDict(extra="forbid")

    rules: list[AlertRule] = Field(default=[], max_length=MAX_RULES)


@routes.get("/room", response_model=LiveRoom)
def room(db: Db, context: Context, owner: Owner) -> Response:
    """Who is in the room now (since the open session began), newest arrivals first, with what
    matters about each, and the session's running totals. `live: false` with no open session."""
    view = live_room.room(db, owner=owner, clock=context.clock)
    # Serialized here: FastAPI would dump the model, validate the dump against the response
    # model and serialize it again, 20 ms for 500 people on a read polled every 2 seconds.
    return Response(view.model_dump_json(), media_type="application/json")


@routes.get("/alerts", response_model=AlertPage)
def list_alerts(
    db: Db,
    since: DateTimeInRange | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
    cursor: Annotated[str | None, Query(max_length=300)] = None,
) -> AlertPage:
    """Alerts raised, newest first (`since` a time; `cursor` pages on)."""
    return alerts.list_alerts(db, since=since, limit=limit, cursor=cursor)


@routes.get("/alert-rules", response_model=RulesView)
def get_alert_rules(db: Db, context: Context, owner: Owner) -> RulesView:
    """The rules in force, and thresholds suggested from your own history with the reasoning."""
    return alerts.get_rules(db, owner=owner, clock=context.clock)


@routes.put("/alert-rules", response_model=RulesView)
def put_alert_rules(db: Db, context: Context, owner: Owner, body: AlertRulesRequest) -> RulesView:
    """Replace the rules (at most 50, unique ids). Saving the same rules again changes nothing."""
    rules = parse_rules(body.model_dump(mode="json"))
    return alerts.put_rules(db, rules, owner=owner, clock=context.clock)
