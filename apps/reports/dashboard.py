"""The role dashboards and banking figures of the console's home page: real figures from the database,
scoped to what the viewer may see. Registered as dashboard cards in ReportsConfig.ready."""

import json
from datetime import timedelta

from django.db.models import Count, Sum
from django.utils import timezone

from apps.cash import services as cash
from apps.cash.models import CashDrawer, CashMovement, CollectionRun
from apps.cash.selectors import large_cash_transactions
from apps.core import eod
from apps.core.business_day import reporting_date
from apps.core.closing import checklist
from apps.core.models import BusinessDay, EndOfDayRun
from apps.core.money import in_currency
from apps.core.roles import Role
from apps.ledger import chart
from apps.ledger.models import ZERO, Account, GLAccount, Transaction
from apps.ledger.selectors import pending_approvals
from apps.members.models import Member
from apps.members.selectors import members_visible_to

IN_COLOUR = "var(--color-primary-600)"
OUT_COLOUR = "var(--color-red-500, #ef4444)"


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


def _hourly(rows, *, labels: tuple[str, str]) -> str:
    """Money in and out by hour of the day, as a bar chart's data: rows are (created_at, is_in, amount)."""
    hours = list(range(7, 19))
    money_in, money_out = dict.fromkeys(hours, ZERO), dict.fromkeys(hours, ZERO)
    for created_at, is_in, amount in rows:
        hour = min(max(timezone.localtime(created_at).hour, hours[0]), hours[-1])
        (money_in if is_in else money_out)[hour] += amount
    return json.dumps({
        "labels": [f"{hour:02d}:00" for hour in hours],
        "datasets": [{"label": labels[0], "data": [str(v) for v in money_in.values()], "backgroundColor": IN_COLOUR},
                     {"label": labels[1], "data": [str(v) for v in money_out.values()],
                      "backgroundColor": OUT_COLOUR}],
    })


def cashier_panel(user) -> dict:
    """A cashier's own drawer: opening float, what it should hold now, and today's movements."""
    drawer = cash.current_drawer(user)
    if drawer is None:
        return {"drawer": None}
    movements = (Transaction.objects.filter(counterparty_gl=drawer.gl_account, status=Transaction.Status.COMPLETED,
                                            created_at__gte=drawer.opened_at)
                 .select_related("to_account__member", "from_account__member").order_by("-created_at", "-id"))
    totals = {row["transaction_type"]: row for row in movements.values("transaction_type")
              .annotate(n=Count("id"), total=Sum("amount")).order_by()}
    deposits = totals.get(Transaction.Type.DEPOSIT, {"n": 0, "total": ZERO})
    withdrawals = totals.get(Transaction.Type.WITHDRAWAL, {"n": 0, "total": ZERO})
    return {
        "drawer": drawer, "opening": drawer.opening_balance, "expected": cash.drawer_expected(drawer),
        "deposits_count": deposits["n"], "deposits_total": deposits["total"] or ZERO,
        "withdrawals_count": withdrawals["n"], "withdrawals_total": withdrawals["total"] or ZERO,
        "recent": list(movements[:8]),
        "chart": _hourly([(created_at, kind == Transaction.Type.DEPOSIT, amount) for created_at, kind, amount
                          in movements.values_list("created_at", "transaction_type", "amount")],
                         labels=("Cash in", "Cash out")),
    }


def banker_panel(user) -> dict:
    """A mobile banker's collection run today: collected, members still to visit, cash on hand."""
    business_date = reporting_date()
    collected = (Transaction.objects.filter(initiated_by=user, business_date=business_date, channel="field",
                                            transaction_type=Transaction.Type.DEPOSIT,
                                            status=Transaction.Status.COMPLETED))
    done = collected.aggregate(n=Count("id"), total=Sum("amount"), members=Count("to_account", distinct=True))
    visited = set(collected.values_list("to_account_id", flat=True))
    due = (Account.objects.filter(member__in=members_visible_to(user), product__kind="daily_susu",
                                  status=Account.Status.ACTIVE, contribution_amount__gt=0)
           .select_related("member").order_by("member__last_name", "member__first_name"))
    remaining = [account for account in due if account.pk not in visited]
    gl = GLAccount.objects.filter(code=f"{chart.CASH_FIELD}-{user.pk:05d}").first()
    week = [business_date - timedelta(days=offset) for offset in range(6, -1, -1)]
    by_day = dict(Transaction.objects.filter(initiated_by=user, channel="field", business_date__in=week,
                                             transaction_type=Transaction.Type.DEPOSIT,
                                             status=Transaction.Status.COMPLETED)
                  .values_list("business_date").annotate(total=Sum("amount")))
    return {
        "business_date": business_date, "collected": done["total"] or ZERO, "collections": done["n"],
        "members_visited": done["members"], "remaining": remaining[:10], "remaining_count": len(remaining),
        "remaining_amount": sum((account.contribution_amount for account in remaining), ZERO),
        "cash_on_hand": cash.field_cash_expected(gl) if gl else ZERO,
        "run": CollectionRun.objects.filter(banker=user, business_date=business_date).first(),
        "chart": json.dumps({"labels": [day.strftime("%a %d") for day in week], "datasets": [
            {"label": in_currency("Collected"), "data": [str(by_day.get(day, ZERO)) for day in week],
             "backgroundColor": IN_COLOUR}]}),
    }


def manager_panel(user) -> dict:
    """What waits for a manager: approvals, exceptions (large cash, refusals, stopped end of day) and
    drawer variances."""
    business_date = reporting_date()
    drawers_waiting = CashDrawer.objects.filter(status=CashDrawer.Status.PENDING_APPROVAL).count()
    runs_waiting = CollectionRun.objects.filter(status=CollectionRun.Status.PENDING_APPROVAL).count()
    since = business_date - timedelta(days=13)
    variances = list(CashDrawer.objects.filter(business_date__gte=since, variance__isnull=False)
                     .exclude(variance=0).select_related("cashier").order_by("-business_date", "-closed_at")[:12])
    large = large_cash_transactions(business_date=business_date)
    return {
        "business_date": business_date,
        "approvals": pending_approvals().count(),
        "cash_movements": CashMovement.objects.filter(status=CashMovement.Status.PENDING).count(),
        "signoffs": drawers_waiting + runs_waiting,
        "large_cash_count": large.count(), "large_cash_total": large.aggregate(s=Sum("amount"))["s"] or ZERO,
        "refused_today": Transaction.objects.filter(business_date=business_date,
                                                    status=Transaction.Status.FAILED).count(),
        "eod_failed": eod.failed_runs_count(),
        "variances": variances,
        "variance_chart": json.dumps({
            "labels": [f"{(d.cashier.get_full_name() or d.cashier.email)} {d.business_date:%d %b}"
                       for d in reversed(variances)],
            "datasets": [{"label": in_currency("Counted minus expected"), "data": [str(d.variance) for d in
                                                                            reversed(variances)],
                          "backgroundColor": [IN_COLOUR if d.variance > 0 else OUT_COLOUR
                                              for d in reversed(variances)]}]}),
    }


def operations_panel(user) -> dict:
    """The business day: its status, the closing checklist in brief, and the last end-of-day run."""
    day = BusinessDay.objects.exclude(status=BusinessDay.Status.CLOSED).order_by("-date").first()
    checks = checklist(day.date) if day and day.status == BusinessDay.Status.OPEN else []
    return {
        "day": day,
        "last_closed": BusinessDay.objects.filter(status=BusinessDay.Status.CLOSED).order_by("-date").first(),
        "checks": [(result.check.label, len(result.open_items), len(result.items)) for result in checks],
        "items_open": sum(len(result.open_items) for result in checks),
        "last_run": EndOfDayRun.objects.order_by("-business_date").first(),
    }


def role_panels_card(request) -> dict | None:
    """Each role's own work: a cashier's drawer, a mobile banker's run, a manager's queue, the
    operations manager's business day."""
    user = request.user
    panel = {Role.CASHIER: ("cashier_panel", cashier_panel), Role.MOBILE_BANKER: ("banker_panel", banker_panel),
             Role.MANAGER: ("manager_panel", manager_panel),
             Role.OPERATIONS_MANAGER: ("operations_panel", operations_panel)}.get(user.role)
    if panel is None:
        return None
    key, figures = panel
    return {key: figures(user)}


def banking_card(request) -> dict:
    """Banking figures, each only for the roles that may see it (the template leaves out the rest)."""
    return {"banking": _banking(request.user)}
