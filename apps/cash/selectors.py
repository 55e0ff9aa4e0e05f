"""Reads of cash that more than one screen needs."""

from django.db.models import Q

from apps.ledger import chart
from apps.ledger.models import Transaction

from .models import CashPolicy, LargeCashTransaction

CASH_TYPES = (Transaction.Type.DEPOSIT, Transaction.Type.WITHDRAWAL)


def is_cash(queryset):
    """Movements whose other side is a cashier's drawer or a field banker's cash: cash over the counter."""
    return queryset.filter(Q(counterparty_gl__code__startswith=f"{chart.CASH_DRAWERS}-")
                           | Q(counterparty_gl__code__startswith=f"{chart.CASH_FIELD}-"))


def large_cash_transactions(*, threshold=None, business_date=None):
    """Completed cash deposits and withdrawals at or above the cash transaction report threshold
    (the current policy's unless given), newest first. Read by query: posting money writes nothing extra."""
    threshold = CashPolicy.current().cash_report_threshold if threshold is None else threshold
    rows = is_cash(LargeCashTransaction.objects.filter(status=Transaction.Status.COMPLETED,
                                                       transaction_type__in=CASH_TYPES, amount__gte=threshold))
    if business_date is not None:
        rows = rows.filter(business_date=business_date)
    return rows.select_related("from_account__member", "to_account__member", "initiated_by").order_by(
        "-business_date", "-created_at", "-id")
