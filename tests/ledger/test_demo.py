"""The demo data: members, accounts and history posted through the services, on a short window.

The real `seed_demo` walks twelve months for about two hundred members; these tests walk five
weeks for a dozen, which exercises the same code (business days opened and closed, the cash
desk, every kind of movement) in seconds.
"""

from datetime import timedelta

import pytest
from django.db.models import Q
from django.utils import timezone

from apps.cash.demo import CashDesk
from apps.core.models import BusinessDay
from apps.ledger import demo
from apps.ledger.management.commands.verify_ledger import find_differences
from apps.ledger.models import Account, JournalEntry, Posting, Transaction
from apps.members.models import Member
from apps.members.selectors import can_collect_from
from apps.users.demo import seed_users

pytestmark = pytest.mark.django_db

MEMBERS = 12


def window():
    """Five weeks across the boundary between the last two calendar months, all before today: long
    enough for the first members' Daily Susu cycle (31 days) to end and be paid out."""
    first_of_last_month = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
    return first_of_last_month - timedelta(days=7), first_of_last_month + timedelta(days=27)


def seed(**kwargs):
    staff = demo.demo_staff()
    desk = CashDesk(cashier=staff.cashier, banker=staff.banker, manager=staff.manager)
    return demo.seed_banking(desk=desk, member_count=MEMBERS, window=window(), **kwargs)


def counts():
    return {model.__name__: model.objects.count()
            for model in (Member, Account, Transaction, JournalEntry, Posting, BusinessDay)}


@pytest.fixture
def staff():
    seed_users(password="Demo-password-2026")
    return demo.demo_staff()


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
    # created timestamps follow the business dates they were booked on
    sample = Transaction.objects.order_by("?").first()
    assert timezone.localtime(sample.created_at).date() == sample.business_date
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


def test_an_interrupted_seed_carries_on_from_the_last_whole_month(staff, monkeypatch):
    start, end = window()
    second_month = end.replace(day=1)
    run_day = demo.History.run_day

    def crash_in_second_month(self, day):
        if day >= second_month:
            raise RuntimeError("power cut")
        return run_day(self, day)

    monkeypatch.setattr(demo.History, "run_day", crash_in_second_month)
    with pytest.raises(RuntimeError):
        seed()
    assert not BusinessDay.objects.filter(date__gte=second_month).exists()  # that month rolled back whole
    assert BusinessDay.objects.filter(date__lt=second_month).exists()

    monkeypatch.setattr(demo.History, "run_day", run_day)
    result = seed()

    assert result["note"].startswith("carried on after")
    assert BusinessDay.objects.filter(date__gte=second_month, date__lte=end).count() == len(
        demo.business_days(second_month, end))
    assert find_differences() == []
