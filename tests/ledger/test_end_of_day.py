"""Business days, the end-of-day chain, and the product life cycles it runs."""

from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.core import eod
from apps.core.closing import open_items
from apps.core.models import BusinessDay, EndOfDayRun, EndOfDayStep
from apps.ledger import chart, lifecycle, services
from apps.ledger.business_days import business_day_close, business_day_open, close_item_override, end_of_day_resume
from apps.ledger.dividends import dividend_post, dividend_preview
from apps.ledger.errors import LedgerError
from apps.ledger.models import (
    Account,
    FeeCharge,
    InterestPosting,
    Posting,
    Product,
    ScheduledFee,
    SusuCycle,
    Transaction,
)

from .factories import make_member, on_day, open_account, open_drawer, opened

pytestmark = pytest.mark.django_db




def gl_total(code: str) -> Decimal:
    rows = Posting.objects.filter(gl_account__code=code)
    return sum((p.credit - p.debit for p in rows), Decimal("0"))


@pytest.fixture
def member(cashier, operations_manager):
    return make_member(registrar=cashier, verifier=operations_manager)


@pytest.fixture
def susu(cashier, member):
    open_drawer(cashier)
    account = open_account(actor=cashier, member=member)
    account.contribution_amount = Decimal("10.00")
    account.save()
    return opened(account, date(2026, 1, 1))


def deposit_on(day, account, amount, cashier):
    on_day(day)
    services.deposit_create(actor=cashier, account=account, amount=amount)


# --- Susu --------------------------------------------------------------------------------------

def test_susu_cycle_commission_with_missed_and_advance_days(cashier, susu):
    start = date(2026, 1, 1)
    deposit_on(start, susu, "10.00", cashier)                      # day 1 paid
    deposit_on(start + timedelta(days=2), susu, "50.00", cashier)  # covers 2 (late), 3, and 4–6 in advance
    deposit_on(start + timedelta(days=20), susu, "150.00", cashier)  # covers 7–21, late
    grid = lifecycle.susu_cycle_grid(susu, start + timedelta(days=20))
    statuses = [row["status"] for row in grid]
    assert statuses[:3] == ["paid", "missed", "paid"]
    assert statuses[3:6] == ["advance"] * 3
    assert statuses[6] == "missed"
    assert statuses[30] == "due"
    end = start + timedelta(days=30)
    on_day(end)
    result = lifecycle.close_susu_cycles(business_date=end, actor=cashier)
    cycle = SusuCycle.objects.get(account=susu)
    assert result["susu_cycles_closed"] == 1
    assert (cycle.contributions, cycle.days_paid, cycle.days_missed) == (Decimal("210.00"), 21, 10)
    assert cycle.commission == Decimal("10.00") and cycle.closed
    susu.refresh_from_db()
    assert susu.balance == Decimal("200.00")
    assert gl_total(chart.SUSU_COMMISSION) == Decimal("10.00")
    lifecycle.close_susu_cycles(business_date=end, actor=cashier)  # a re-run takes nothing twice
    assert Transaction.objects.filter(transaction_type="commission").count() == 1


def test_a_frozen_susu_account_still_pays_the_cycles_commission(cashier, manager, susu):
    """A freeze stops the member's movements, not the collector's commission on the cycle's own
    contributions: it is taken at the cycle's end (a cycle, once closed, is never revisited)."""
    deposit_on(date(2026, 1, 5), susu, "310.00", cashier)
    services.account_set_status(actor=manager, account=susu, status="frozen", reason="Court order")
    lifecycle.close_susu_cycles(business_date=date(2026, 1, 31), actor=cashier)
    cycle = SusuCycle.objects.get(account=susu)
    assert cycle.closed and cycle.commission == Decimal("10.00")
    susu.refresh_from_db()
    assert (susu.balance, susu.status) == (Decimal("300.00"), "frozen")


def test_susu_percentage_commission(cashier, susu):
    Product.objects.filter(kind="daily_susu").update(commission_mode="percent", commission_rate=Decimal("5"))
    susu.refresh_from_db()
    deposit_on(date(2026, 1, 5), susu, "310.00", cashier)
    lifecycle.close_susu_cycles(business_date=date(2026, 1, 31), actor=cashier)
    assert SusuCycle.objects.get().commission == Decimal("15.50")


def test_early_susu_withdrawal_refused_or_charged_commission_first(cashier, susu):
    deposit_on(date(2026, 1, 3), susu, "100.00", cashier)
    Product.objects.filter(kind="daily_susu").update(early_withdrawal="refuse")
    with pytest.raises(LedgerError) as exc:
        services.withdrawal_create(actor=cashier, account=susu, amount="20.00")
    assert exc.value.code == "susu_cycle_locked"
    Product.objects.filter(kind="daily_susu").update(early_withdrawal="commission")
    services.withdrawal_create(actor=cashier, account=susu, amount="20.00")
    services.withdrawal_create(actor=cashier, account=susu, amount="20.00")
    susu.refresh_from_db()
    assert susu.balance == Decimal("50.00")  # 100 − 10 commission (once) − 2 × 20
    lifecycle.close_susu_cycles(business_date=date(2026, 1, 31), actor=cashier)
    assert Transaction.objects.filter(transaction_type="commission").count() == 1


# --- interest ------------------------------------------------------------------------------------

@pytest.fixture
def monthly(cashier, member):
    open_drawer(cashier)
    Product.objects.filter(kind="monthly_contribution").update(interest_rate=Decimal("12"))
    return open_account(actor=cashier, member=member, kind="monthly_contribution")


def daily(balance, rate=Decimal("12")):
    return (balance * rate / Decimal(36500)).quantize(Decimal("0.000001"), rounding=ROUND_HALF_EVEN)


def test_interest_actual_365_across_a_month_boundary_in_a_leap_year(cashier, monthly):
    deposit_on(date(2028, 2, 27), monthly, "1000.00", cashier)
    for day in (date(2028, 2, 27), date(2028, 2, 28), date(2028, 2, 29)):  # 29 Feb exists in 2028
        lifecycle.accrue_interest(business_date=day, actor=cashier)
    february = InterestPosting.objects.get(account=monthly, period_end=date(2028, 2, 29))
    accrued = 3 * daily(Decimal("1000.00"))
    assert february.accrued == accrued
    assert february.posted == accrued.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN) == Decimal("0.99")
    assert february.residue == accrued - Decimal("0.99")  # carried, not lost
    monthly.refresh_from_db()
    assert monthly.balance == Decimal("1000.99")
    for offset in range(31):
        lifecycle.accrue_interest(business_date=date(2028, 3, 1) + timedelta(days=offset), actor=cashier)
    march = InterestPosting.objects.get(account=monthly, period_end=date(2028, 3, 31))
    assert march.accrued == 31 * daily(Decimal("1000.99")) + february.residue
    assert march.posted == march.accrued.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
    assert gl_total(chart.INTEREST_EXPENSE) == -(february.posted + march.posted)


def test_interest_accrual_is_idempotent(cashier, monthly):
    deposit_on(date(2026, 3, 30), monthly, "500.00", cashier)
    lifecycle.accrue_interest(business_date=date(2026, 3, 31), actor=cashier)
    lifecycle.accrue_interest(business_date=date(2026, 3, 31), actor=cashier)
    assert InterestPosting.objects.count() == 1
    assert Transaction.objects.filter(transaction_type="interest").count() == 1


def test_weekend_days_accrue_and_a_month_ending_on_sunday_posts_on_monday(cashier, monthly):
    friday, monday = date(2026, 5, 29), date(2026, 6, 1)  # 31 May 2026 is a Sunday
    deposit_on(friday, monthly, "1000.00", cashier)
    lifecycle.accrue_interest(business_date=friday, actor=cashier)
    deposit_on(monday, monthly, "500.00", cashier)  # Monday's deposit must not reach the weekend's accruals
    result = lifecycle.accrue_interest(business_date=monday, actor=cashier)
    assert result["months_posted"] == "May 2026"
    weekend = monthly.accruals.filter(date__in=[date(2026, 5, 30), date(2026, 5, 31)])
    assert [a.balance for a in weekend] == [Decimal("1000.00")] * 2
    may = InterestPosting.objects.get(account=monthly, period_end=date(2026, 5, 31))
    assert may.accrued == 3 * daily(Decimal("1000.00"))
    assert may.transaction.business_date == monday
    monday_accrual = monthly.accruals.get(date=monday)
    assert monday_accrual.balance == Decimal("1500.00") + may.posted  # today's closing balance, interest included
    lifecycle.accrue_interest(business_date=monday, actor=cashier)  # a re-run posts nothing twice
    assert Transaction.objects.filter(transaction_type="interest").count() == 1
    assert monthly.accruals.count() == 4


# --- dormancy and fees ----------------------------------------------------------------------------

def test_accounts_without_member_activity_turn_dormant(cashier, manager, member):
    open_drawer(cashier)
    account = open_account(actor=cashier, member=member, kind="monthly_contribution")
    deposit_on(date(2026, 1, 10), account, "50.00", cashier)
    opened(account, date(2026, 1, 10))
    Product.objects.filter(kind="monthly_contribution").update(dormancy_days=30)
    assert lifecycle.mark_dormant(business_date=date(2026, 2, 5), actor=cashier)["accounts_made_dormant"] == 0
    assert lifecycle.mark_dormant(business_date=date(2026, 2, 10), actor=cashier)["accounts_made_dormant"] == 1
    account.refresh_from_db()
    assert account.status == Account.Status.DORMANT
    on_day(date(2026, 2, 11))
    with pytest.raises(LedgerError) as exc:
        services.deposit_create(actor=cashier, account=account, amount="5.00")
    assert exc.value.code == "account_dormant"
    services.account_set_status(actor=manager, account=account, status="active", reason="Member visited")
    services.deposit_create(actor=cashier, account=account, amount="5.00")


def test_scheduled_fees_are_charged_once_per_month(cashier, member):
    open_drawer(cashier)
    account = open_account(actor=cashier, member=member, kind="monthly_contribution")
    poor = open_account(actor=cashier, member=member)
    deposit_on(date(2026, 4, 2), account, "100.00", cashier)
    ScheduledFee.objects.create(name="SMS alerts", amount=Decimal("1.50"))
    assert lifecycle.charge_scheduled_fees(business_date=date(2026, 4, 29), actor=cashier) == {
        "fees": "no month ended"}
    result = lifecycle.charge_scheduled_fees(business_date=date(2026, 4, 30), actor=cashier)
    assert (result["fees_charged"], result["fees_skipped"]) == (1, 1)
    assert FeeCharge.objects.get(account=poor).status == "skipped"
    lifecycle.charge_scheduled_fees(business_date=date(2026, 4, 30), actor=cashier)
    account.refresh_from_db()
    assert account.balance == Decimal("98.50")


def test_a_fee_month_ending_on_a_sunday_is_charged_on_monday_once(cashier, member):
    open_drawer(cashier)
    account = open_account(actor=cashier, member=member, kind="monthly_contribution")
    deposit_on(date(2026, 5, 29), account, "100.00", cashier)
    ScheduledFee.objects.create(name="Maintenance", amount=Decimal("2.00"))
    on_day(date(2026, 6, 1))
    result = lifecycle.charge_scheduled_fees(business_date=date(2026, 6, 1), actor=cashier)
    assert (result["fees_charged"], result["fee_months"]) == (1, "May 2026")
    lifecycle.charge_scheduled_fees(business_date=date(2026, 6, 1), actor=cashier)
    account.refresh_from_db()
    assert account.balance == Decimal("98.00")
    assert FeeCharge.objects.get(account=account).period == date(2026, 5, 1)


# --- business day and the chain ---------------------------------------------------------------------

def accept_open_items(actor) -> None:
    """The operations manager overrides what is still open (here, the test cashier's drawer) with a reason."""
    day = BusinessDay.objects.get(status=BusinessDay.Status.OPEN)
    for item in open_items(day.date):
        close_item_override(actor=actor, item_key=item.key, reason="Test: accepted for this close")


def test_closing_runs_the_chain_and_closes_the_day(operations_manager, cashier, susu,
                                                   django_capture_on_commit_callbacks):
    today = timezone.localdate()
    on_day(today)
    accept_open_items(operations_manager)
    with django_capture_on_commit_callbacks(execute=True):
        run = business_day_close(actor=operations_manager)  # the queued chain runs synchronously in tests
    run.refresh_from_db()
    assert run.status == EndOfDayRun.Status.COMPLETED
    assert [s.name for s in run.steps.all()] == [step.name for step in eod.ordered_steps()]
    assert run.summary["verify_ledger"] == {"verify_ledger": "ok"}
    assert (run.job.kind, run.job.status) == ("end_of_day", "done")  # its job, for the progress bar and the API
    assert run.job.current == run.job.total == len(eod.ordered_steps())
    day = BusinessDay.objects.get(date=today)
    assert day.status == BusinessDay.Status.CLOSED
    last = day.history.order_by("-history_id").first()  # the day's history says who closed it
    assert (last.status, last.history_user, last.closed_by) == ("closed", operations_manager, operations_manager)
    assert "closing" in set(day.history.values_list("status", flat=True))
    with pytest.raises(LedgerError) as exc:
        services.deposit_create(actor=cashier, account=susu, amount="5.00")
    assert exc.value.code == "business_day_closed"
    with pytest.raises(LedgerError):
        business_day_close(actor=operations_manager)  # twice
    with pytest.raises(ValidationError, match="in the past"):
        business_day_open(actor=operations_manager, day=today - timedelta(days=1))
    with pytest.raises(ValidationError, match="already used"):
        business_day_open(actor=operations_manager, day=today)
    tomorrow = business_day_open(actor=operations_manager)
    assert tomorrow.date == today + timedelta(days=1)


def test_a_crashed_chain_stops_and_resumes_without_posting_twice(operations_manager, cashier, monthly, mailoutbox,
                                                                monkeypatch, django_capture_on_commit_callbacks):
    month_end = date(2026, 5, 31)
    deposit_on(month_end, monthly, "1000.00", cashier)
    ScheduledFee.objects.create(name="Maintenance", amount=Decimal("2.00"))
    BusinessDay.objects.filter(date=month_end).update(status=BusinessDay.Status.OPEN)
    real = eod.STEPS["verify_ledger"]
    calls = {"n": 0}

    def crash_once(**kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("power cut")
        return real.func(**kwargs)

    monkeypatch.setitem(eod.STEPS, "verify_ledger", eod.Step("verify_ledger", real.position, crash_once, real.label))
    accept_open_items(operations_manager)
    with django_capture_on_commit_callbacks(execute=True):
        run = business_day_close(actor=operations_manager)
    run.refresh_from_db()
    assert run.status == EndOfDayRun.Status.FAILED
    assert EndOfDayStep.objects.get(run=run, name="verify_ledger").status == EndOfDayStep.Status.FAILED
    assert BusinessDay.objects.get(date=month_end).status == BusinessDay.Status.CLOSING
    [mail] = mailoutbox  # the people who can resume it are told, with the error
    assert mail.to == [operations_manager.email] and "31 May 2026" in mail.subject
    assert "RuntimeError: power cut" in mail.body and "/admin/business-day/" in mail.body
    assert eod.failed_runs_count() == 1
    posted = Transaction.objects.filter(transaction_type__in=["interest", "fee"]).count()
    assert posted == 2  # interest and the maintenance fee, once each
    with django_capture_on_commit_callbacks(execute=True):
        end_of_day_resume(actor=operations_manager, run=run)
    run.refresh_from_db()
    assert run.status == EndOfDayRun.Status.COMPLETED
    assert run.job.status == "done" and run.job.attempts == 2 and run.job.current == run.job.total
    assert Transaction.objects.filter(transaction_type__in=["interest", "fee"]).count() == posted
    assert BusinessDay.objects.get(date=month_end).status == BusinessDay.Status.CLOSED
    assert eod.failed_runs_count() == 0 and len(mailoutbox) == 1


def test_only_operations_managers_close_the_day(cashier):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        business_day_close(actor=cashier)


# --- shares and dividends ----------------------------------------------------------------------------

def test_shares_are_bought_in_whole_shares(cashier, member):
    open_drawer(cashier)
    shares = open_account(actor=cashier, member=member, kind="shares")
    with pytest.raises(ValidationError, match="whole shares of GH₵ 10.00"):
        services.deposit_create(actor=cashier, account=shares, amount="25.00")
    services.deposit_create(actor=cashier, account=shares, amount="30.00")
    shares.refresh_from_db()
    assert shares.share_count == 3


def test_dividend_on_average_balance_previewed_then_posted(cashier, operations_manager, member,
                                                           django_capture_on_commit_callbacks):
    open_drawer(cashier)
    shares = open_account(actor=cashier, member=member, kind="shares")
    deposit_on(date(2025, 1, 1), shares, "1000.00", cashier)
    deposit_on(date(2025, 7, 2), shares, "1000.00", cashier)  # held for 183 of 365 days
    with pytest.raises(ValidationError):
        dividend_preview(actor=operations_manager, period_start=date(2025, 1, 1), period_end=date(2025, 12, 31),
                         rate="-1")
    with pytest.raises(ValidationError):
        dividend_preview(actor=operations_manager, period_start=date(2025, 1, 1), period_end=date(2025, 12, 31),
                         rate="150")
    declaration = dividend_preview(actor=operations_manager, period_start=date(2025, 1, 1),
                                   period_end=date(2025, 12, 31), rate="10")
    line = declaration.lines.get()
    expected_avg = ((Decimal("1000") * 182 + Decimal("2000") * 183) / 365).quantize(Decimal("0.01"),
                                                                                   rounding=ROUND_HALF_EVEN)
    assert line.average_balance == expected_avg
    assert line.amount == (expected_avg * Decimal("0.10")).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
    assert not Transaction.objects.filter(transaction_type="dividend").exists()  # preview posts nothing
    on_day(timezone.localdate())
    with django_capture_on_commit_callbacks(execute=True):
        dividend_post(actor=operations_manager, declaration=declaration)
    shares.refresh_from_db()
    assert shares.balance == Decimal("2000.00") + line.amount
    with pytest.raises(LedgerError):
        dividend_post(actor=operations_manager, declaration=declaration)


def test_shares_leave_only_on_exit_with_approval(cashier, manager, member):
    open_drawer(cashier)
    shares = open_account(actor=cashier, member=member, kind="shares")
    savings = open_account(actor=cashier, member=member, kind="monthly_contribution")
    services.deposit_create(actor=cashier, account=shares, amount="50.00")
    with pytest.raises(LedgerError):
        services.transfer_create(actor=cashier, from_account=shares, to_account_number=savings.account_number,
                                 amount="50.00")
    redemption = services.shares_redeem(actor=cashier, shares_account=shares,
                                        to_account_number=savings.account_number, reason="Relocating")
    assert redemption.status == Transaction.Status.PENDING
    services.transaction_approve(actor=manager, txn=redemption)
    savings.refresh_from_db()
    assert savings.balance == Decimal("50.00")
