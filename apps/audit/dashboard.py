"""The recent audit events card of the console's home page (registered in AuditConfig.ready)."""

from .labels import action_label
from .models import AuditEvent


def recent_audit_card(request) -> dict | None:
    if not request.user.has_perm("audit.view_auditevent"):
        return None
    return {"recent_audit": [(event, action_label(event.action))
                             for event in AuditEvent.objects.select_related("actor")[:10]]}
