"""The security card of the console's home page (registered in UsersConfig.ready): users by role,
sign-ins, failures and locks, for the managers and administrators who watch them."""

import json
from datetime import timedelta

from django.db.models import Count
from django.utils import timezone

from apps.core.roles import Role

from .models import User, UserActivity


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


def security_card(request) -> dict | None:
    user = request.user
    if not (user.has_perm("users.view_useractivity") or user.role == Role.ADMIN):
        return None
    today = timezone.localdate()
    by_role = dict(User.objects.values_list("role").annotate(n=Count("id")))
    activity_today = UserActivity.objects.filter(created_at__date=today)
    return {
        "users_by_role": [(role.label, by_role.get(role, 0)) for role in Role],
        "users_total": sum(by_role.values()),
        "sign_ins_today": activity_today.filter(event=UserActivity.Event.LOGIN).count(),
        "failed_today": activity_today.filter(event=UserActivity.Event.LOGIN_FAILED).count(),
        "locked_now": User.objects.filter(locked_until__gt=timezone.now()).count(),
        "locked_users": User.objects.filter(locked_until__gt=timezone.now()).order_by("locked_until")[:10],
        "sign_in_chart": json.dumps(_sign_in_series()),
    }
