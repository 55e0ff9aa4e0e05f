from datetime import timedelta

from django.db.models import Count
from django.utils import timezone

from .models import AuditEvent


def audit_summary(*, days: int = 7, recent: int = 20) -> dict:
    since = timezone.now() - timedelta(days=days)
    window = AuditEvent.objects.filter(created_at__gte=since)
    by_action = dict(window.values_list("action").annotate(n=Count("id")).order_by("-n"))
    return {
        "since": since,
        "total": window.count(),
        "by_action": by_action,
        "recent": list(AuditEvent.objects.select_related("actor")[:recent]),
    }
