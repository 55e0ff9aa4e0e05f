from datetime import datetime

from ninja import Router, Schema

from apps.core.apikit.permissions import require_role
from apps.core.roles import Role

from .selectors import audit_summary

router = Router(tags=["audit"])
ROUTERS = [("/audit/", router)]


class EventOut(Schema):
    id: int
    created_at: datetime
    actor_email: str
    action: str
    target_type: str
    target_id: str
    target_repr: str
    ip_address: str | None


class DashboardOut(Schema):
    since: datetime
    total: int
    by_action: dict[str, int]
    recent: list[EventOut]


@router.get("/dashboard/", response=DashboardOut, summary="Audit counts for the last 7 days and recent events")
def dashboard(request):
    require_role(request, Role.MANAGER, Role.ADMIN)
    return audit_summary()
