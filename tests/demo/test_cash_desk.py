"""The demo's today: after the history, the cashier's drawer is open for the open business day on a
float from the vault and the mobile banker has collected from their Daily Susu members without
remitting; seeding again adds nothing. On a short history window, as tests/demo/test_history.py."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from apps.cash import services as cash
from apps.cash.models import CashDrawer, CollectionRun, FloatIssue
from apps.core.models import BusinessDay
from apps.demo import cash_desk as cash_demo
from apps.demo import history as demo
from apps.demo.staff import demo_staff, seed_users
from apps.ledger.management.commands.verify_ledger import find_differences
from apps.ledger.models import JournalEntry, Transaction

pytestmark = pytest.mark.django_db

MEMBERS = 12


def window():
    """Two weeks across the boundary between the last two calendar months, all before today."""
    first_of_last_month = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
    return first_of_last_month - timedelta(days=7), first_of_last_month + timedelta(days=7)


def seed_history():
    staff = demo_staff()
    desk = cash_demo.CashDesk(cashier=staff.cashier, banker=staff.banker, manager=staff.manager)
    demo.seed_banking(desk=desk, member_count=MEMBERS, window=window())
    return staff


def counts():
    return {model.__name__: model.objects.count()
            for model in (Transaction, JournalEntry, FloatIssue, CashDrawer, CollectionRun)}


@pytest.fixture
def staff():
    seed_users(password="Demo-password-2026")
    return seed_history()


def test_today_opens_the_cashiers_drawer_and_the_bankers_round_is_collected(staff):
    today = timezone.localdate()
    assert BusinessDay.objects.get(status=BusinessDay.Status.OPEN).date == today

    result = cash_demo.seed_today(cashier=staff.cashier, banker=staff.banker, manager=staff.manager)

    assert result.business_date == today and result.note == ""
    drawer = cash.current_drawer(staff.cashier)
    assert (drawer.status, drawer.business_date, drawer.opening_balance) == (
        CashDrawer.Status.OPEN, today, cash_demo.DAILY_FLOAT)
    assert FloatIssue.objects.get(cashier=staff.cashier, business_date=today).drawer == drawer
    assert cash.drawer_expected(drawer) == cash_demo.DAILY_FLOAT
    run = CollectionRun.objects.get(banker=staff.banker, business_date=today)
    assert run.status == CollectionRun.Status.OPEN  # collected, not yet remitted
    collections = Transaction.objects.filter(initiated_by=staff.banker, business_date=today)
    assert collections.count() == result.collected > 0
    assert set(collections.values_list("channel", flat=True)) == {"field"}
    held = collections.aggregate(s=Sum("amount"))["s"]
    assert cash.gl_balance(run.gl_account) == held
    sheet = cash.collection_sheet(staff.banker)
    paid = [row for row in sheet if row["collected_today"] > 0]
    assert len(paid) == result.collected < len(sheet)  # a round in progress: some members still to visit
    assert all(row["collected_today"] == row["daily_amount"] for row in paid)
    assert find_differences() == []


def test_seeding_today_again_adds_nothing(staff):
    cash_demo.seed_today(cashier=staff.cashier, banker=staff.banker, manager=staff.manager)
    before = counts()
    vault = cash.vault_balance()

    again = cash_demo.seed_today(cashier=staff.cashier, banker=staff.banker, manager=staff.manager)

    assert counts() == before and cash.vault_balance() == vault
    assert (again.float_issued, again.drawer_opened, again.collected) == (False, False, 0)
    assert again.drawer == cash.current_drawer(staff.cashier)


def test_a_remitted_round_is_left_alone(staff):
    cash_demo.seed_today(cashier=staff.cashier, banker=staff.banker, manager=staff.manager)
    run = CollectionRun.objects.get(banker=staff.banker, business_date=timezone.localdate())
    cash.field_remit(actor=staff.banker, cashier=staff.cashier,
                     denominations=cash_demo.count_for(cash.field_cash_expected(run.gl_account)))
    before = counts()

    again = cash_demo.seed_today(cashier=staff.cashier, banker=staff.banker, manager=staff.manager)

    assert counts() == before
    assert "already remitted" in again.note


def test_seed_demo_starts_today_once(monkeypatch, console):
    """The command runs the today step after the history; run twice, it posts nothing the second time."""
    from apps.demo.management.commands import seed_demo

    monkeypatch.setattr(seed_demo, "seed_banking", lambda **kwargs: demo.seed_banking(
        member_count=MEMBERS, window=window(), **kwargs))
    out = io.StringIO()
    call_command("seed_demo", password="Demo-password-2026", stdout=out)
    assert "the cashier's drawer open with GH₵ 20,000.00" in out.getvalue()
    assert "collected in the field, not yet remitted" in out.getvalue()
    assert "Approvals queue: 4 waiting for a manager" in out.getvalue()
    assert "manager2@example.com" in out.getvalue()
    staff = demo_staff()
    before = counts()
    drawer = cash.current_drawer(staff.cashier)
    assert drawer.status == CashDrawer.Status.OPEN and drawer.business_date == timezone.localdate()
    assert CollectionRun.objects.get(banker=staff.banker, business_date=timezone.localdate()).status == "open"

    call_command("seed_demo", password="Demo-password-2026", stdout=io.StringIO())

    assert counts() == before
    assert find_differences() == []
    # the manager's branch cash position shows the drawer and the banker's uncollected cash
    body = console(staff.manager).get(reverse("admin:cash_position")).content.decode()
    assert staff.banker.email in body or staff.banker.get_full_name() in body
    assert f"{cash_demo.DAILY_FLOAT:,.2f}" in body


def test_seed_demo_if_missing_adds_nothing_to_a_seeded_database_and_writes_the_summary(monkeypatch, tmp_path):
    """What scripts/start runs: quiet (-v 0), the second factors in a file only its owner reads, and
    nothing but the logins refreshed once the demo is there."""
    from apps.demo.management.commands import seed_demo
    from apps.demo.staff import demo_backup_codes

    calls = []

    def seed_banking(**kwargs):
        calls.append(1)
        return demo.seed_banking(member_count=MEMBERS, window=window(), **kwargs)

    monkeypatch.setattr(seed_demo, "seed_banking", seed_banking)
    summary = tmp_path / "demo.txt"
    out = io.StringIO()
    call_command("seed_demo", "--if-missing", password="Demo-password-2026", summary=str(summary), verbosity=0,
                 stdout=out)
    assert out.getvalue() == "" and calls == [1]
    text = summary.read_text()
    assert "Demo data is ready." in text and "authenticator key" in text
    assert " ".join(demo_backup_codes("manager@example.com")) in text
    assert summary.stat().st_mode & 0o777 == 0o600
    before = counts()

    call_command("seed_demo", "--if-missing", password="Demo-password-2026", summary=str(summary), verbosity=0,
                 stdout=out)

    assert calls == [1] and counts() == before and out.getvalue() == ""
    assert "already present" in summary.read_text() and "manager2@example.com" in summary.read_text()
