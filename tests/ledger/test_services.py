"""The ledger's rules, exercised through the services every channel uses."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction

from apps.core.models import BusinessDay
from apps.ledger import chart, services
from apps.ledger.errors import ApprovalError, LedgerError
from apps.ledger.management.commands.verify_ledger import find_differences
from apps.ledger.models import (
    Account,
    GLAccount,
    JournalEntry,
    LedgerPolicy,
    Posting,
    Product,
    ServiceCharge,
    Transaction,
)
from apps.ledger.selectors import posted_balance
from apps.ledger.services import is_valid_account_number
from apps.members.models import Member

from .factories import fund, make_member, open_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(cashier, operations_manager):
    return make_member(registrar=cashier, verifier=operations_manager)


@pytest.fixture
def susu(cashier, member):
    return fund(open_account(actor=cashier, member=member), "1000.00", cashier=cashier)


@pytest.fixture
def monthly(cashier, member):
    return open_account(actor=cashier, member=member, kind="monthly_contribution")


def gl_balance(code):
    gl = GLAccount.objects.get(code=code)
    rows = Posting.objects.filter(gl_account=gl)
    debit = sum((p.debit for p in rows), Decimal("0"))
    credit = sum((p.credit for p in rows), Decimal("0"))
    return debit - credit if gl.debit_normal else credit - debit


def snapshot():
    """What is posted or waiting: a refused movement adds none of it (only a FAILED record of itself)."""
    posted_or_waiting = Transaction.objects.exclude(status=Transaction.Status.FAILED)
    return posted_or_waiting.count(), JournalEntry.objects.count(), Posting.objects.count()


def test_deposit_posts_one_balanced_entry_against_drawer_cash(cashier, susu):
    assert susu.balance == Decimal("1000.00")
    entry = JournalEntry.objects.get(transaction__to_account=susu)
    lines = {(p.gl_account.code, p.debit, p.credit) for p in entry.postings.all()}
    drawer_gl = f"{chart.CASH_DRAWERS}-{cashier.pk:05d}"  # the cashier's own drawer, under 1010
    assert lines == {(drawer_gl, Decimal("1000.00"), Decimal("0")),
                     (chart.DEPOSITS_SUSU, Decimal("0"), Decimal("1000.00"))}
    assert posted_balance(susu) == susu.balance
    assert GLAccount.objects.get(code=drawer_gl).parent.code == chart.CASH_DRAWERS


def test_withdrawal_cannot_overdraw_and_posts_nothing(cashier, susu):
    before = snapshot()
    with pytest.raises(LedgerError) as exc:
        services.withdrawal_create(actor=cashier, account=susu, amount="1000.01")
    assert exc.value.code == "insufficient_funds"
    assert "available 1,000.00" in exc.value.message
    assert snapshot() == before
    susu.refresh_from_db()
    assert susu.balance == Decimal("1000.00")
    # The refused attempt is on record, with its reason, and posted nothing.
    failed = Transaction.objects.get(status=Transaction.Status.FAILED)
    assert (failed.transaction_type, failed.amount, failed.from_account, failed.initiated_by) == (
        "withdrawal", Decimal("1000.01"), susu, cashier)
    assert failed.decision_note.startswith("insufficient_funds: Insufficient funds in")
    assert not JournalEntry.objects.filter(transaction=failed).exists()


def test_bad_input_and_missing_rights_leave_no_failed_record(cashier, mobile_banker, susu):
    with pytest.raises(ValidationError):
        services.withdrawal_create(actor=cashier, account=susu, amount="-5")
    with pytest.raises(PermissionDenied):
        services.withdrawal_create(actor=mobile_banker, account=susu, amount="5.00")
    assert not Transaction.objects.filter(status=Transaction.Status.FAILED).exists()


def test_a_retry_after_a_refusal_is_tried_afresh(cashier, susu):
    with pytest.raises(LedgerError):
        services.withdrawal_create(actor=cashier, account=susu, amount="1200.00", idempotency_key="w-1")
    services.deposit_create(actor=cashier, account=susu, amount="500.00")
    retried = services.withdrawal_create(actor=cashier, account=susu, amount="1200.00", idempotency_key="w-1")
    assert retried.status == Transaction.Status.COMPLETED
    susu.refresh_from_db()
    assert susu.balance == Decimal("300.00")


def test_withdrawal_of_whole_balance_leaves_zero(cashier, susu):
    services.withdrawal_create(actor=cashier, account=susu, amount="1000")
    susu.refresh_from_db()
    assert susu.balance == Decimal("0.00")


@pytest.mark.parametrize("raw", ["0", "-1", "1.001", "abc", "NaN", "Infinity", None, ""])
def test_bad_amounts_are_refused_before_anything_is_posted(cashier, susu, raw):
    before = snapshot()
    with pytest.raises(ValidationError) as exc:
        services.deposit_create(actor=cashier, account=susu, amount=raw)
    assert "amount" in exc.value.message_dict
    assert snapshot() == before


def test_transfer_moves_money_between_members(cashier, susu, monthly):
    txn = services.transfer_create(actor=cashier, from_account=susu, to_account_number=monthly.account_number,
                                   amount="250.50")
    susu.refresh_from_db(), monthly.refresh_from_db()
    assert txn.status == Transaction.Status.COMPLETED
    assert (susu.balance, monthly.balance) == (Decimal("749.50"), Decimal("250.50"))


def test_transfer_to_same_or_unknown_account_is_refused(cashier, susu):
    with pytest.raises(ValidationError, match="different account"):
        services.transfer_create(actor=cashier, from_account=susu, to_account_number=susu.account_number, amount=1)
    with pytest.raises(ValidationError, match="No account has that number"):
        services.transfer_create(actor=cashier, from_account=susu, to_account_number="1000000000", amount=1)


def test_customer_can_only_transfer_from_own_account(cashier, operations_manager, customer, make_user, susu,
                                                     monthly):
    stranger = make_user("customer")
    with pytest.raises(PermissionDenied):
        services.transfer_create(actor=stranger, from_account=susu, to_account_number=monthly.account_number,
                                 amount=1)
    susu.member.user = customer
    susu.member.save()
    txn = services.transfer_create(actor=customer, from_account=susu, to_account_number=monthly.account_number,
                                   amount=1, channel="portal")
    assert txn.status == Transaction.Status.COMPLETED


@pytest.mark.parametrize("status,code", [("frozen", "account_frozen"), ("dormant", "account_dormant")])
def test_frozen_and_dormant_accounts_refuse_movements_both_ways(cashier, manager, susu, status, code):
    services.account_set_status(actor=manager, account=susu, status=status, reason="Court order")
    before = snapshot()
    for attempt in (lambda: services.deposit_create(actor=cashier, account=susu, amount=5),
                    lambda: services.withdrawal_create(actor=cashier, account=susu, amount=5)):
        with pytest.raises(LedgerError) as exc:
            attempt()
        assert exc.value.code == code
    assert snapshot() == before
    services.account_set_status(actor=manager, account=susu, status="active", reason="Lifted")
    services.withdrawal_create(actor=cashier, account=susu, amount=5)


def test_account_closes_only_at_zero_and_then_refuses_everything(cashier, manager, susu):
    with pytest.raises(LedgerError, match="before closing"):
        services.account_set_status(actor=manager, account=susu, status="closed", reason="Member request")
    services.withdrawal_create(actor=cashier, account=susu, amount="1000.00")
    services.account_set_status(actor=manager, account=susu, status="closed", reason="Member request")
    with pytest.raises(LedgerError) as exc:
        services.deposit_create(actor=cashier, account=susu, amount=5)
    assert exc.value.code == "account_closed"


def test_only_managers_change_account_status(cashier, susu):
    with pytest.raises(PermissionDenied):
        services.account_set_status(actor=cashier, account=susu, status="frozen", reason="x")


def test_shares_cannot_be_withdrawn(cashier, member):
    shares = fund(open_account(actor=cashier, member=member, kind="shares"), 100, cashier=cashier)
    with pytest.raises(LedgerError) as exc:
        services.withdrawal_create(actor=cashier, account=shares, amount=10)
    assert exc.value.code == "withdrawal_not_allowed"


def test_unverified_member_can_pay_in_but_not_take_out(cashier):
    pending = make_member(registrar=cashier)
    account = fund(open_account(actor=cashier, member=pending), 50, cashier=cashier)
    with pytest.raises(LedgerError) as exc:
        services.withdrawal_create(actor=cashier, account=account, amount=10)
    assert exc.value.code == "kyc_not_verified"


def test_user_daily_limit_is_summed_per_business_date(cashier, susu):
    cashier.daily_transaction_limit = Decimal("300.00")
    cashier.save()
    services.withdrawal_create(actor=cashier, account=susu, amount="200.00")
    with pytest.raises(LedgerError) as exc:
        services.withdrawal_create(actor=cashier, account=susu, amount="100.01")
    assert exc.value.code == "limit_exceeded"
    services.withdrawal_create(actor=cashier, account=susu, amount="100.00")  # exactly at the limit
    today = BusinessDay.objects.get()
    today.status = BusinessDay.Status.CLOSED
    today.save()
    BusinessDay.objects.create(date=today.date + timedelta(days=1))
    services.withdrawal_create(actor=cashier, account=susu, amount="300.00")


def test_product_daily_withdrawal_limit(cashier, susu):
    susu.product.daily_withdrawal_limit = Decimal("150.00")
    susu.product.save()
    services.withdrawal_create(actor=cashier, account=susu, amount="100.00")
    with pytest.raises(LedgerError, match="daily limit of 150.00"):
        services.withdrawal_create(actor=cashier, account=susu, amount="60.00")


def test_posting_on_a_closed_business_day_is_refused(cashier, susu):
    BusinessDay.objects.update(status=BusinessDay.Status.CLOSED)
    with pytest.raises(LedgerError) as exc:
        services.deposit_create(actor=cashier, account=susu, amount=5)
    assert exc.value.code == "business_day_closed"


def test_service_charges_are_posted_to_fee_income(cashier, susu):
    ServiceCharge.objects.create(name="Withdrawal fee", transaction_type="withdrawal", kind="percent",
                                 rate=Decimal("1.5"), minimum=Decimal("2.00"), maximum=Decimal("10.00"))
    ServiceCharge.objects.create(name="SMS alert", transaction_type="withdrawal", amount=Decimal("0.50"))
    small = services.withdrawal_create(actor=cashier, account=susu, amount="100.00")  # 1.50 → min 2.00
    large = services.withdrawal_create(actor=cashier, account=susu, amount="800.00")  # 12.00 → max 10.00
    assert (small.fee, large.fee) == (Decimal("2.50"), Decimal("10.50"))
    susu.refresh_from_db()
    assert susu.balance == Decimal("1000.00") - Decimal("900.00") - Decimal("13.00")
    assert gl_balance(chart.FEE_INCOME) == Decimal("13.00")


def test_fee_counts_against_available_balance(cashier, susu):
    ServiceCharge.objects.create(name="Withdrawal fee", transaction_type="withdrawal", amount=Decimal("1.00"))
    with pytest.raises(LedgerError, match="needed 1,001.00"):
        services.withdrawal_create(actor=cashier, account=susu, amount="1000.00")


def test_same_idempotency_key_posts_once_and_different_body_conflicts(cashier, susu):
    first = services.deposit_create(actor=cashier, account=susu, amount="10.00", idempotency_key="abc-1")
    again = services.deposit_create(actor=cashier, account=susu, amount="10.00", idempotency_key="abc-1")
    assert first.pk == again.pk
    with pytest.raises(LedgerError) as exc:
        services.deposit_create(actor=cashier, account=susu, amount="10.01", idempotency_key="abc-1")
    assert exc.value.code == "idempotency_conflict"
    susu.refresh_from_db()
    assert susu.balance == Decimal("1010.00")


def test_large_withdrawal_waits_for_a_different_manager(cashier, manager, make_user, susu):
    LedgerPolicy.objects.update(approval_threshold=Decimal("500.00"))
    txn = services.withdrawal_create(actor=cashier, account=susu, amount="600.00")
    susu.refresh_from_db()
    assert txn.status == Transaction.Status.PENDING
    assert (susu.balance, susu.available_balance) == (Decimal("1000.00"), Decimal("400.00"))
    assert not JournalEntry.objects.filter(transaction=txn).exists()
    with pytest.raises(LedgerError, match="available 400.00"):  # the hold protects the pending amount
        services.withdrawal_create(actor=cashier, account=susu, amount="401.00")
    with pytest.raises(ApprovalError):
        services.transaction_approve(actor=cashier, txn=txn)  # no approve permission
    services.transaction_approve(actor=manager, txn=txn)
    susu.refresh_from_db()
    assert (susu.balance, susu.held_balance) == (Decimal("400.00"), Decimal("0.00"))
    with pytest.raises(LedgerError) as exc:
        services.transaction_approve(actor=make_user("manager"), txn=txn)
    assert exc.value.code == "not_pending"


def test_manager_cannot_approve_own_transfer(manager, cashier, susu, monthly):
    LedgerPolicy.objects.update(approval_threshold=Decimal("100.00"))
    txn = services.transfer_create(actor=manager, from_account=susu, to_account_number=monthly.account_number,
                                   amount="150.00")
    with pytest.raises(ApprovalError) as exc:
        services.transaction_approve(actor=manager, txn=txn)
    assert exc.value.code == "self_approval"


def test_an_administrator_may_not_be_the_second_person(administrator, cashier, susu):
    LedgerPolicy.objects.update(approval_threshold=Decimal("100.00"))
    txn = services.withdrawal_create(actor=cashier, account=susu, amount="150.00")
    for decide in (lambda: services.transaction_approve(actor=administrator, txn=txn),
                   lambda: services.transaction_reject(actor=administrator, txn=txn, reason="No")):
        with pytest.raises(ApprovalError) as exc:
            decide()
        assert exc.value.code == "forbidden"
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.PENDING


def test_payments_and_fees_only_by_the_roles_that_record_them(operations_manager, administrator, mobile_banker,
                                                               manager, susu):
    for actor in (operations_manager, administrator, mobile_banker):
        with pytest.raises(PermissionDenied):
            services.payment_create(actor=actor, account=susu, amount="5.00", description="ECG bill")
    for actor in (administrator, mobile_banker):
        with pytest.raises(PermissionDenied):
            services.fee_charge(actor=actor, account=susu, amount="5.00", description="Passbook")
    assert not Transaction.objects.filter(transaction_type__in=("payment", "fee")).exists()
    services.fee_charge(actor=operations_manager, account=susu, amount="5.00", description="Passbook")
    services.payment_create(actor=manager, account=susu, amount="5.00", description="ECG bill")
    susu.refresh_from_db()
    assert susu.balance == Decimal("990.00")


def test_rejection_leaves_no_trace_on_balances(cashier, manager, susu):
    LedgerPolicy.objects.update(approval_threshold=Decimal("100.00"))
    txn = services.withdrawal_create(actor=cashier, account=susu, amount="150.00")
    services.transaction_reject(actor=manager, txn=txn, reason="Signature mismatch")
    susu.refresh_from_db()
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.CANCELLED
    assert (susu.balance, susu.held_balance, susu.available_balance) == (Decimal("1000.00"),) * 1 + (
        Decimal("0.00"), Decimal("1000.00"))
    assert not Posting.objects.filter(entry__transaction=txn).exists()


def test_reversal_waits_for_approval_then_restores_both_sides(cashier, manager, susu, monthly):
    ServiceCharge.objects.create(name="Transfer fee", transaction_type="transfer", amount=Decimal("2.00"))
    original = services.transfer_create(actor=cashier, from_account=susu, to_account_number=monthly.account_number,
                                        amount="300.00")
    reversal = services.reversal_request(actor=cashier, original=original, reason="Keyed the wrong account")
    assert reversal.status == Transaction.Status.PENDING
    monthly.refresh_from_db()
    assert monthly.available_balance == Decimal("0.00")  # the amount to be taken back is held
    services.transaction_approve(actor=manager, txn=reversal)
    susu.refresh_from_db(), monthly.refresh_from_db()
    assert (susu.balance, monthly.balance) == (Decimal("1000.00"), Decimal("0.00"))
    assert gl_balance(chart.FEE_INCOME) == Decimal("0.00")
    assert reversal.entry.reverses == original.entry
    with pytest.raises(LedgerError) as exc:
        services.reversal_request(actor=cashier, original=original, reason="again")
    assert exc.value.code == "already_reversed"


def test_reversal_of_money_already_spent_is_refused(cashier, susu, monthly):
    deposit = services.deposit_create(actor=cashier, account=monthly, amount="300.00")
    services.withdrawal_create(actor=cashier, account=monthly, amount="300.00")
    before = snapshot()
    with pytest.raises(LedgerError) as exc:
        services.reversal_request(actor=cashier, original=deposit, reason="Counterfeit notes")
    assert exc.value.code == "insufficient_funds"
    assert snapshot() == before


def test_entries_and_postings_are_append_only(susu):
    entry = JournalEntry.objects.first()
    with pytest.raises(ValueError, match="append-only"):
        entry.save()
    with pytest.raises(ValueError, match="append-only"):
        entry.postings.first().delete()
    with pytest.raises(ValueError, match="append-only"):
        Posting.objects.filter(entry=entry).update(debit=Decimal("1.00"))
    with pytest.raises(ValueError, match="append-only"):
        JournalEntry.objects.filter(pk=entry.pk).delete()


@pytest.mark.parametrize("table", ["ledger_posting", "ledger_journalentry"])
def test_the_database_refuses_to_change_the_books(susu, table):
    """Raw SQL (another program, a shell) meets the same rule as the models."""
    column = "debit" if table == "ledger_posting" else "description"
    value = "1.00" if table == "ledger_posting" else "'edited'"
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET {column} = {value}")
    assert find_differences() == []


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite keeps DELETE for the test database's flush")
def test_postgresql_refuses_to_delete_from_the_books(susu):
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM ledger_posting")
    assert Posting.objects.exists()


def test_account_numbers_carry_a_check_digit(susu):
    assert is_valid_account_number(susu.account_number)
    wrong_digit = susu.account_number[:-1] + str((int(susu.account_number[-1]) + 1) % 10)
    assert not is_valid_account_number(wrong_digit)


def test_verify_ledger_passes_on_clean_books_and_reports_a_tampered_balance(cashier, susu, monthly, capsys):
    services.transfer_create(actor=cashier, from_account=susu, to_account_number=monthly.account_number, amount=5)
    call_command("verify_ledger")
    assert "Ledger OK" in capsys.readouterr().out
    Account.objects.filter(pk=susu.pk).update(balance=Decimal("1.00"))
    with pytest.raises(CommandError, match="1 difference"):
        call_command("verify_ledger")
    assert f"account {susu.account_number}: balance 1.00 but postings sum to 995.00" in capsys.readouterr().err


def test_verify_ledger_reports_an_unbalanced_entry_and_the_trial_balance(cashier, susu, capsys):
    entry = JournalEntry.objects.filter(postings__account=susu).first()
    # A stray posting added to a real entry (appending is all the books allow): a debit with no credit.
    Posting.objects.bulk_create([Posting(entry=entry, gl_account=GLAccount.objects.get(code=chart.FEE_INCOME),
                                         debit=Decimal("7.00"))])
    with pytest.raises(CommandError, match="2 difference"):
        call_command("verify_ledger")
    err = capsys.readouterr().err
    assert f"entry {entry.reference}: debits 1007.00 != credits 1000.00" in err
    assert "trial balance: total debits" in err


def test_a_product_specific_charge_applies_to_that_product_only(cashier, susu, monthly):
    services.deposit_create(actor=cashier, account=monthly, amount="300.00")
    ServiceCharge.objects.create(name="Monthly withdrawal fee", transaction_type="withdrawal", product=monthly.product,
                                 amount=Decimal("3.00"))
    on_monthly = services.withdrawal_create(actor=cashier, account=monthly, amount="100.00")
    on_susu = services.withdrawal_create(actor=cashier, account=susu, amount="100.00")
    assert (on_monthly.fee, on_susu.fee) == (Decimal("3.00"), Decimal("0.00"))
    monthly.refresh_from_db()
    assert monthly.balance == Decimal("197.00")
    assert gl_balance(chart.FEE_INCOME) == Decimal("3.00")


def test_a_deadlock_or_serialization_failure_is_retried_and_never_reaches_the_caller(monkeypatch):
    """PostgreSQL may pick a movement as a deadlock victim (40P01) or fail it on serialization (40001):
    retry_on_conflict runs the whole atomic operation again. (Tests run inside a transaction, where
    a retry is impossible; the connection is replaced by one that is not in one.)"""
    from types import SimpleNamespace

    from django.db import OperationalError

    from apps.ledger import posting

    def failure(sqlstate):
        cause = Exception()
        cause.sqlstate = sqlstate
        error = OperationalError("could not serialize access")
        error.__cause__ = cause
        return error

    monkeypatch.setattr(posting, "connection", SimpleNamespace(in_atomic_block=False))
    monkeypatch.setattr(posting.time, "sleep", lambda seconds: None)
    attempts = []

    @posting.retry_on_conflict
    def post(*failures):
        attempts.append(1)
        if len(attempts) <= len(failures):
            raise failure(failures[len(attempts) - 1])
        return "posted"

    assert post("40P01", "40001") == "posted" and len(attempts) == 3
    attempts.clear()
    with pytest.raises(OperationalError):  # any other database error is not retried
        post("08006")
    assert len(attempts) == 1
    attempts.clear()
    with pytest.raises(OperationalError):  # nor a conflict that keeps happening
        post(*["40P01"] * 6)
    assert len(attempts) == 6


def test_mobile_banker_deposits_only_for_assigned_members(mobile_banker, manager, cashier, member, susu):
    with pytest.raises(PermissionDenied):
        services.deposit_create(actor=mobile_banker, account=susu, amount=10)
    from apps.members.services import member_assign

    member_assign(actor=manager, member=member, banker=mobile_banker)
    txn = services.deposit_create(actor=mobile_banker, account=susu, amount=10)
    field_gl = f"{chart.CASH_FIELD}-{mobile_banker.pk:05d}"
    assert txn.entry.postings.filter(gl_account__code=field_gl, debit=Decimal("10.00")).exists()


def test_one_open_account_per_product_per_member(cashier, member, susu):
    with pytest.raises(LedgerError) as exc:
        open_account(actor=cashier, member=member)
    assert exc.value.code == "account_exists"


def test_exited_member_cannot_open_accounts(cashier, member):
    Member.objects.filter(pk=member.pk).update(status=Member.Status.EXITED)
    member.refresh_from_db()
    with pytest.raises(ValidationError):
        open_account(actor=cashier, member=member, kind="shares")


# --- the hot path: cached reference rows, plain-SQL reads and writes --------------------------------

def test_reference_rows_changed_by_any_means_are_seen_by_the_next_movement(cashier, susu, monthly):
    """Products, service charges and the policy are cached per process but checked on every movement:
    a change made with queryset.update() (no signal), twice in one transaction, is seen at once."""
    services.transfer_create(actor=cashier, from_account=susu, to_account_number=monthly.account_number,
                             amount="10.00")  # fills the cache
    ServiceCharge.objects.create(name="Transfer fee", transaction_type="transfer", amount=Decimal("1.00"))
    assert services.transfer_create(actor=cashier, from_account=susu, to_account_number=monthly.account_number,
                                    amount="10.00").fee == Decimal("1.00")
    ServiceCharge.objects.update(amount=Decimal("2.00"))
    assert services.transfer_create(actor=cashier, from_account=susu, to_account_number=monthly.account_number,
                                    amount="10.00").fee == Decimal("2.00")
    ServiceCharge.objects.update(is_active=False)
    assert services.transfer_create(actor=cashier, from_account=susu, to_account_number=monthly.account_number,
                                    amount="10.00").fee == Decimal("0.00")
    for threshold, status in (("5.00", "pending"), ("500.00", "completed"), ("5.00", "pending")):
        LedgerPolicy.objects.update(approval_threshold=Decimal(threshold))
        txn = services.withdrawal_create(actor=cashier, account=susu, amount="10.00")
        assert txn.status == status, threshold
    Product.objects.filter(pk=susu.product_id).update(daily_withdrawal_limit=Decimal("1.00"))
    with pytest.raises(LedgerError, match="daily limit of 1.00"):
        services.transfer_create(actor=cashier, from_account=susu, to_account_number=monthly.account_number,
                                 amount="5.00")
    Product.objects.filter(pk=susu.product_id).update(daily_withdrawal_limit=None, minimum_balance=Decimal("990"))
    with pytest.raises(LedgerError) as exc:
        services.transfer_create(actor=cashier, from_account=susu, to_account_number=monthly.account_number,
                                 amount="5.00")
    assert exc.value.code == "insufficient_funds"


def test_accounts_read_on_the_hot_path_equal_the_orm_s(cashier, member, susu, monthly):
    from apps.ledger.posting import lock_accounts, movement_context, peek_accounts

    context = movement_context(lock_user_id=cashier.pk)
    assert context.business_date == BusinessDay.objects.get(status="open").date
    assert context.user_limit == cashier.daily_transaction_limit
    locked = lock_accounts([monthly.pk, susu.pk], reference=context.reference, with_member=True)
    assert list(locked) == sorted([susu.pk, monthly.pk])
    for pk, account in locked.items():
        orm = Account.objects.select_related("product__control_account", "member").get(pk=pk)
        fields = [f.attname for f in Account._meta.concrete_fields]
        assert [getattr(account, f) for f in fields] == [getattr(orm, f) for f in fields]
        product_fields = [f.attname for f in Product._meta.concrete_fields]
        assert [getattr(account.product, f) for f in product_fields] == [getattr(orm.product, f)
                                                                         for f in product_fields]
        assert account.product.control_account.code == orm.product.control_account.code
        for name in ("id", "first_name", "other_names", "last_name", "kyc_status", "status", "user_id",
                     "assigned_banker_id"):
            assert getattr(account.member, name) == getattr(orm.member, name)
        assert account.member.national_id == member.national_id  # deferred: loads (and decrypts) on use
    again = lock_accounts([susu.pk], reference=context.reference, with_member=False)
    assert again[susu.pk].product is not locked[susu.pk].product  # fresh copies: changing one changes no other
    [peeked] = peek_accounts(numbers=[susu.account_number], with_member=True)
    assert (peeked.pk, peeked.member.full_name, peeked.status) == (susu.pk, member.full_name, "active")


def test_a_movement_keeps_its_history_row_like_any_save(cashier, susu, monthly):
    txn = services.transfer_create(actor=cashier, from_account=susu, to_account_number=monthly.account_number,
                                   amount="10.00", idempotency_key="hist-1")
    [record] = txn.history.all()
    assert record.history_type == "+"
    fields = [f.attname for f in Transaction._meta.concrete_fields]
    assert [getattr(record, f) for f in fields] == [getattr(Transaction.objects.get(pk=txn.pk), f) for f in fields]
    assert record.history_date >= txn.created_at


def test_a_retry_after_the_money_is_gone_returns_the_first_result(cashier, susu):
    first = services.withdrawal_create(actor=cashier, account=susu, amount="1000.00", idempotency_key="all-of-it")
    again = services.withdrawal_create(actor=cashier, account=susu, amount="1000.00", idempotency_key="all-of-it")
    assert again.pk == first.pk
    assert Transaction.objects.filter(transaction_type="withdrawal").count() == 1
    BusinessDay.objects.update(status=BusinessDay.Status.CLOSED)  # and after the day has closed
    assert services.withdrawal_create(actor=cashier, account=susu, amount="1000.00",
                                      idempotency_key="all-of-it").pk == first.pk


def test_a_transfer_takes_few_statements(cashier, susu, monthly, django_assert_max_num_queries):
    """A regression guard for the hot path (PostgreSQL counts BEGIN/COMMIT too; SQLite does not)."""
    services.transfer_create(actor=cashier, from_account=susu.pk, to_account_number=monthly.account_number,
                             amount="1.00")  # warm the reference cache
    with django_assert_max_num_queries(12):
        services.transfer_create(actor=cashier, from_account=susu.pk, to_account_number=monthly.account_number,
                                 amount="1.00", idempotency_key="few-1")


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks (set DATABASE_URL)")
@pytest.mark.django_db(transaction=True)
def test_one_cashier_paying_in_and_out_at_once_never_deadlocks(make_user, monkeypatch):
    """A deposit does not lock its user's row (it has no limit to check); a withdrawal does, FOR NO KEY
    UPDATE. FOR UPDATE would conflict with the key-share lock the deposit's foreign-key checks take on
    the same user's row at COMMIT, while the withdrawal waits for the deposit's account: a deadlock."""
    from apps.ledger import posting
    from tests.support import restore_reference_data

    from .factories import open_drawer
    from .test_concurrency_pg import run_threads

    restore_reference_data()  # a flush by an earlier transactional test may have removed it
    cashier = make_user("cashier", daily_transaction_limit=Decimal("10000000.00"))
    member = make_member(registrar=cashier, verifier=make_user("operations_manager"))
    accounts = [fund(open_account(actor=cashier, member=member, kind=kind), "500.00", cashier=cashier).pk
                for kind in ("daily_susu", "monthly_contribution")]
    open_drawer(cashier)
    conflicts = []
    is_conflict = posting._is_conflict
    monkeypatch.setattr(posting, "_is_conflict", lambda exc: conflicts.append(exc) or is_conflict(exc))

    def work(index):
        errors = []
        for i in range(20):
            try:
                if (index + i) % 2:
                    services.deposit_create(actor=cashier, account=accounts[i % 2], amount="3.00")
                else:
                    services.withdrawal_create(actor=cashier, account=accounts[i % 2], amount="2.00")
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(repr(exc))
        return errors

    results = run_threads(6, work)

    assert not [r for r in results if isinstance(r, BaseException)], results
    assert [e for r in results for e in r] == []
    assert conflicts == [], f"{len(conflicts)} deadlock(s) or serialization failure(s), e.g. {conflicts[0]!r}"
    assert find_differences() == []
