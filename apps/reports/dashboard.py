"""The staff dashboard: real figures from the database, scoped to what the viewer may see."""

import json
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Sum
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.core.models import BusinessDay
from apps.core.roles import ROLES
from apps.ledger.models import ZERO, Account, Transaction
from apps.ledger.selectors import pending_approvals
from apps.members.models import Member
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


def _banking(user) -> dict:
    """Banking figures, each only for the roles that may see it: bank-wide money for managers,
    operations and administrators; a teller's own day for cashiers and field bankers."""
    figures = {}
    day = BusinessDay.objects.order_by("-date").first()
    business_date = day.date if day else timezone.localdate()
    figures["business_date"] = business_date
    completed = Transaction.objects.filter(business_date=business_date, status=Transaction.Status.COMPLETED)
    if user.has_perm("ledger.view_glaccount"):
        by_product = (Account.objects.exclude(status=Account.Status.CLOSED).values("product__name")
                      .annotate(total=Sum("balance"), accounts=Count("id")).order_by("product__name"))
        figures["deposits_by_product"] = [(row["product__name"], row["total"] or ZERO, row["accounts"])
                                          for row in by_product]
        figures["deposits_total"] = sum((row[1] for row in figures["deposits_by_product"]), ZERO)
        today = completed.aggregate(n=Count("id"), volume=Sum("amount"))
        figures["today_scope"] = "All staff"
    elif user.has_perm("ledger.add_transaction"):
        today = completed.filter(initiated_by=user).aggregate(n=Count("id"), volume=Sum("amount"))
        figures["today_scope"] = "Posted by you"
    else:
        today = None
    if today is not None:
        figures["today_count"], figures["today_volume"] = today["n"] or 0, today["volume"] or ZERO
    if user.has_perm("ledger.approve_transaction"):
        figures["pending_approvals"] = pending_approvals().count()
    if user.has_perm("members.verify_kyc") or user.has_perm("members.view_member"):
        figures["kyc_pending"] = Member.objects.filter(kyc_status=Member.Kyc.PENDING).count()
    return figures


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
        "banking": _banking(request.user),
    })
    return context
