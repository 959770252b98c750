"""The owner's dashboard (read only; every figure labelled with its provider and source)."""

from __future__ import annotations

from mhc.api.deps import Context, Db, Owner
from mhc.api.routes import RouteTable
from mhc.services.owner import OwnerDashboard, dashboard

routes = RouteTable(tags=["owner"])


@routes.get("/owner", response_model=OwnerDashboard)
def owner_dashboard(db: Db, context: Context, owner: Owner) -> OwnerDashboard:
    """Live status, current session, latest Stats API snapshot with delta, tips, sessions."""
    return dashboard(db, owner, clock=context.clock)
