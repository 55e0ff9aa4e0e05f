"""`record` is how every app writes the audit log; call it inside the action's own transaction."""

from django.db import models

from .models import AuditEvent


def client_ip(request) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def record(actor, action: str, target=None, *, request=None, **details) -> AuditEvent:
    """Write one audit event. `target` is a model instance, a string, or None."""
    target_type = target_id = target_repr = ""
    if isinstance(target, models.Model):
        target_type = target._meta.label_lower
        target_id = str(target.pk)
        target_repr = str(target)[:255]
    elif target is not None:
        target_repr = str(target)[:255]
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEvent.objects.create(
        actor=actor if is_user else None,
        actor_email=getattr(actor, "email", "") if is_user else "",
        action=action,
        target_type=target_type,
        target_id=target_id,
        target_repr=target_repr,
        details=details,
        ip_address=client_ip(request),
    )
