"""The owner's dashboard (read only; every figure labelled with its provider and source)."""

from __future__ import annotations

from fastapi import APIRouter

from mhc.api.deps import Context, Db, Owner
from mhc.services.owner import OwnerDashboard, dashboard

router = APIRouter(tags=["owner"])


@router.get("/owner", response_model=OwnerDashboard)
def owner_dashboard(db: Db, context: Context, owner: Owner) -> OwnerDashboard:
    """Live status, current session, latest Stats API snapshot with delta, tips, sessions."""
    return dashboard(db, owner, clock=context.clock)
