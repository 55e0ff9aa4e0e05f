"""The staff dashboard: real figures from the database, scoped to what the viewer may see."""

import json
from datetime import timedelta

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.core.roles import ROLES
from apps.users.models import User, UserActivity


def environment_badge(request):
    if settings.DEBUG:
        return ["Demo (embedded)", "warning"]
    return ["Production", "danger"] if not settings.DATABASES["default"]["ENGINE"].endswith("sqlite3") else [
        "Embedded", "info"]


def _sign_in_series(days: int = 14) -> dict:
    start = timezone.localdate() - timedelta(days=days - 1)
    labels = [start + timedelta(days=i) for i in range(days)]
    rows = (UserActivity.objects.filter(created_at__date__gte=start,
                                        event__in=[UserActivity.Event.LOGIN, UserActivity.Event.LOGIN_FAILED])
            .values_list("created_at", "event"))
    ok = dict.fromkeys(labels, 0)
    failed = dict.fromkeys(labels, 0)
    for created_at, event in rows:
        day = timezone.localtime(created_at).date()
        if day in ok:
            (ok if event == UserActivity.Event.LOGIN else failed)[day] += 1
    return {
        "labels": [d.strftime("%d %b") for d in labels],
        "datasets": [
            {"label": "Sign-ins", "data": list(ok.values()), "backgroundColor": "var(--color-primary-600)"},
            {"label": "Failed", "data": list(failed.values()), "backgroundColor": "var(--color-red-500, #ef4444)"},
        ],
    }


def dashboard_callback(request, context):
    today = timezone.localdate()
    by_role = dict(User.objects.values_list("role").annotate(n=Count("id")))
    activity_today = UserActivity.objects.filter(created_at__date=today)
    context.update({
        "users_by_role": [(ROLES[code].label, by_role.get(code, 0)) for code in ROLES],
        "users_total": sum(by_role.values()),
        "sign_ins_today": activity_today.filter(event=UserActivity.Event.LOGIN).count(),
        "failed_today": activity_today.filter(event=UserActivity.Event.LOGIN_FAILED).count(),
        "locked_now": User.objects.filter(locked_until__gt=timezone.now()).count(),
        "sign_in_chart": json.dumps(_sign_in_series()),
        "can_see_audit": request.user.has_perm("audit.view_auditevent"),
        "recent_audit": AuditEvent.objects.select_related("actor")[:10]
        if request.user.has_perm("audit.view_auditevent") else [],
    })
    return context
