"""The demo data: members, accounts and history posted through the services, on a short window.

The real `seed_demo` walks twelve months for about two hundred members; these tests walk five
weeks for a dozen, which exercises the same code (business days opened and closed through the
business-day services with their end of day, the cash desk, every kind of movement) in seconds.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Q, Sum
from django.urls import reverse
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.core.models import BusinessDay, CloseOverride, EndOfDayRun
from apps.demo import history as demo
from apps.demo.approvals import seed_approvals
from apps.demo.cash_desk import CashDesk, seed_today
from apps.demo.staff import demo_staff, seed_users
from apps.ledger import services
from apps.ledger.management.commands.verify_ledger import find_differences
from apps.ledger.models import Account, JournalEntry, LedgerPolicy, Posting, Product, ServiceCharge, Transaction
from apps.ledger.selectors import pending_approvals
from apps.loans.models import LoanProduct
from apps.members.models import Member
from apps.members.selectors import can_collect_from

pytestmark = pytest.mark.django_db

MEMBERS = 12


def window():
    """Five weeks across the boundary between the last two calendar months, all before today: long
    enough for the first members' Daily Susu cycle (31 days) to end and be paid out."""
    first_of_last_month = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
    return first_of_last_month - timedelta(days=7), first_of_last_month + timedelta(days=27)


def seed(**kwargs):
    staff = demo_staff()
    desk = CashDesk(cashier=staff.cashier, banker=staff.banker, manager=staff.manager)
    return demo.seed_banking(desk=desk, member_count=MEMBERS, window=window(), **kwargs)


def counts():
    return {model.__name__: model.objects.count()
            for model in (Member, Account, Transaction, JournalEntry, Posting, BusinessDay)}


@pytest.fixture
def staff():
    seed_users(password="Demo-password-2026")
    return demo_staff()


def test_seed_posts_a_history_that_verifies(staff):
    result = seed()

    assert result["members"] == MEMBERS + 1  # and the demo customer
    assert result["transactions"] > 40
    assert "refused" not in result["note"], result["note"]
    assert find_differences() == []
    start, end = window()
    days = BusinessDay.objects.filter(date__gte=start, date__lte=end)
    assert days.count() == len(demo.business_days(start, end))
    assert set(days.values_list("status", flat=True)) == {BusinessDay.Status.CLOSED}
    today = BusinessDay.objects.get(date=timezone.localdate())
    assert today.status == BusinessDay.Status.OPEN
    booked = set(Transaction.objects.values_list("business_date", flat=True).distinct())
    assert booked <= set(days.values_list("date", flat=True)), "postings landed outside the walked days"
    # each day closed the product way: its checklist clear and its end-of-day chain run to the end
    runs = EndOfDayRun.objects.filter(business_date__gte=start, business_date__lte=end)
    assert runs.count() == days.count()
    assert set(runs.values_list("status", flat=True)) == {EndOfDayRun.Status.COMPLETED}
    assert not CloseOverride.objects.exists()
    # no clock was moved: rows are stamped when the seed ran, the business date says when it happened
    first = Transaction.objects.order_by("business_date", "pk").first()
    assert first.business_date < first.created_at.date() and timezone.now() - first.created_at < timedelta(hours=1)
    assert AuditEvent.objects.filter(action="business_day.open", details__history=True).count() == days.count()
    # accounts opened on past business days say so, whatever day the row was written
    customer = Member.objects.get(user__email="customer@example.com")
    assert set(customer.accounts.values_list("opened_on", flat=True)) == {demo.business_days(start, end)[0]}
    assert staff.cashier.__class__.objects.get(pk=staff.cashier.pk).daily_transaction_limit == 500000


def test_customer_login_holds_one_account_of_each_kind_with_history(staff):
    seed()

    member = Member.objects.get(user__email="customer@example.com")
    assert member.kyc_status == Member.Kyc.VERIFIED
    assert member.registered_by == staff.cashier
    assert member.kyc_reviewed_by == staff.operations
    kinds = sorted(member.accounts.values_list("product__kind", flat=True))
    assert kinds == ["daily_susu", "monthly_contribution", "shares"]
    for account in member.accounts.filter(product__kind__in=["daily_susu", "shares"]):
        assert Transaction.objects.filter(Q(from_account=account) | Q(to_account=account)).exists()
        assert account.balance > 0


def test_members_look_like_people_and_some_are_the_bankers(staff):
    seed()

    members = Member.objects.exclude(user__email="customer@example.com")
    for member in members:
        assert member.national_id.startswith("GHA-") and len(member.national_id) == 15
        assert member.phone.startswith("0") and len(member.phone) == 10
        assert member.occupation
    assigned = members.filter(assigned_banker=staff.banker)
    assert assigned.exists()
    assert all(can_collect_from(staff.banker, member) for member in assigned)
    field = Transaction.objects.filter(initiated_by=staff.banker)
    assert field.exists() and set(field.values_list("channel", flat=True)) == {"field"}
    assert {t for t in Transaction.objects.values_list("transaction_type", flat=True).distinct()} >= {
        "deposit", "withdrawal"}


def test_second_run_adds_nothing(staff):
    seed()
    before = counts()

    again = seed()

    assert counts() == before
    assert again["note"] == "history already present"
    assert find_differences() == []


def test_an_interrupted_seed_carries_on_from_the_last_closed_day(staff, monkeypatch):
    start, end = window()
    second_month = end.replace(day=1)
    crash_day = demo.business_days(second_month, end)[2]
    event = demo.History.event

    def power_cut(self, day, kind, plan, details):
        if day == crash_day and kind == "remit":  # in the middle of the day
            raise RuntimeError("power cut")
        return event(self, day, kind, plan, details)

    monkeypatch.setattr(demo.History, "event", power_cut)
    with pytest.raises(RuntimeError):
        seed()
    assert not BusinessDay.objects.filter(date__gte=crash_day).exists()  # that day rolled back whole
    assert not Transaction.objects.filter(business_date__gte=crash_day).exists()
    last = BusinessDay.objects.order_by("-date").first()
    assert last.status == BusinessDay.Status.CLOSED and last.date < crash_day

    monkeypatch.setattr(demo.History, "event", event)
    result = seed()

    assert result["note"] == f"carried on after {last.date}"
    assert BusinessDay.objects.filter(date__gte=start, date__lte=end).count() == len(demo.business_days(start, end))
    assert BusinessDay.objects.get(date=timezone.localdate()).status == BusinessDay.Status.OPEN
    assert find_differences() == []


def test_products_have_their_own_rules_and_the_history_pays_their_charges(staff):
    seed()

    products = {p.kind: p for p in Product.objects.filter(is_active=True)}
    susu, shares, monthly = products["daily_susu"], products["shares"], products["monthly_contribution"]
    assert susu.daily_withdrawal_limit == Decimal("3000.00")
    assert monthly.minimum_balance == Decimal("50.00")
    assert not shares.allows_withdrawal  # withdrawn only on exit
    charges = {c.name: c for c in ServiceCharge.objects.filter(is_active=True)}
    withdrawal = charges["Monthly Contribution withdrawal charge"]
    assert (withdrawal.transaction_type, withdrawal.product, withdrawal.kind) == ("withdrawal", monthly, "percent")
    assert withdrawal.minimum < withdrawal.maximum
    transfer = charges["Daily Susu transfer charge"]
    assert (transfer.transaction_type, transfer.product, transfer.kind) == ("transfer", susu, "flat")
    assert charges["Bill payment charge"].product is None  # every product
    # set by the operations manager as the console would: in the model history and the audit log
    assert withdrawal.history.get().history_user == staff.operations
    assert monthly.history.latest().history_user == staff.operations
    assert AuditEvent.objects.filter(action="servicecharge.add", actor=staff.operations).count() == len(charges)
    # the history paid them, each with its movement, and kept to the limits
    paid = Transaction.objects.filter(status="completed", fee__gt=0)
    assert {"withdrawal", "transfer", "payment"} <= set(paid.values_list("transaction_type", flat=True))
    assert not paid.filter(transaction_type="transfer", from_account__product=monthly).exists()
    outgoing = (Transaction.objects.filter(from_account__product=susu, status="completed",
                                           transaction_type__in=["withdrawal", "transfer", "payment"])
                .values("from_account", "business_date").annotate(total=Sum("amount")))
    assert max(row["total"] for row in outgoing) <= susu.daily_withdrawal_limit
    assert find_differences() == []
    loan_products = LoanProduct.objects.filter(is_active=True).values_list("name", flat=True)
    assert sorted(loan_products) == ["Emergency loan", "Member's salary loan", "Susu working-capital loan"]


def test_the_history_has_payments_reversals_and_large_movements_a_manager_decided(staff):
    result = seed()

    # bills and school fees the cashier paid (not loan instalments the standing instruction took at end of day)
    payments = Transaction.objects.filter(transaction_type="payment", status="completed").exclude(
        purpose="loan_repayment")
    assert payments.count() > 10
    assert set(payments.values_list("initiated_by", flat=True)) == {staff.cashier.pk}
    assert all(payments.values_list("description", flat=True))
    reversals = Transaction.objects.filter(transaction_type="reversal", status="completed")
    assert reversals.exists()
    for reversal in reversals:
        assert (reversal.initiated_by, reversal.approved_by) == (staff.cashier, staff.second_manager)
        assert reversal.reverses.is_reversed and reversal.description.startswith(
            f"Reversal of {reversal.reverses.reference}: ")
    threshold = LedgerPolicy.current().approval_threshold
    large = Transaction.objects.filter(amount__gt=threshold, transaction_type__in=["withdrawal", "transfer"])
    approved = large.filter(status="completed")
    assert approved.exists() and set(approved.values_list("approved_by", flat=True)) == {staff.manager.pk}
    assert approved.filter(initiated_by=staff.second_manager).exists()  # a manager's own, approved by another
    rejected = large.filter(status="cancelled")
    assert rejected.exists() and all(rejected.values_list("decision_note", flat=True))
    assert not Transaction.objects.filter(status="pending").exists()  # every past day was decided
    assert "refused" not in result["note"], result["note"]


def test_today_leaves_the_manager_an_approvals_queue(staff, console):
    seed()
    seed_today(cashier=staff.cashier, banker=staff.banker, manager=staff.manager)

    result = seed_approvals(staff=staff)

    assert result == {"pending": 4, "note": ""}
    pending = pending_approvals()
    assert sorted(pending.values_list("transaction_type", flat=True)) == ["payment", "reversal", "transfer",
                                                                           "transfer"]
    assert set(pending.values_list("business_date", flat=True)) == {timezone.localdate()}
    assert not pending.filter(initiated_by=staff.manager).exists()  # the demo manager may decide every one
    assert pending.filter(initiated_by=staff.second_manager).exists()
    body = console(staff.manager).get(reverse("admin:ledger_approvals")).content.decode()
    assert all(reference in body for reference in pending.values_list("reference", flat=True))
    services.transaction_approve(actor=staff.manager, txn=pending.get(transaction_type="payment"))
    before = counts()

    again = seed_approvals(staff=staff)

    assert counts() == before and again == {"pending": 3, "note": ""}
    assert find_differences() == []
