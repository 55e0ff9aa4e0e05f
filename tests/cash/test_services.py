"""Cash: drawers open on the issued float, cash moves only through an open drawer, closes reconcile."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.cash import services as cash
from apps.cash.models import CashDrawer, CashMovement, ChequeDeposit, CollectionRun
from apps.ledger import chart, services
from apps.ledger.errors import LedgerError
from apps.ledger.management.commands.verify_ledger import find_differences
from apps.ledger.models import GLAccount, JournalEntry
from apps.members.services import member_assign
from tests.ledger.factories import make_member, open_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def vault(manager):
    cash.vault_receive(actor=manager, amount="50000.00", note="Bank withdrawal slip 0042")
    return manager


@pytest.fixture
def drawer(vault, manager, cashier):
    cash.float_issue(actor=manager, cashier=cashier, amount="1500.00")
    return cash.drawer_open(actor=cashier, denominations={"200.00": 5, "100.00": 4, "50.00": 2})


@pytest.fixture
def account(cashier, operations_manager):
    member = make_member(registrar=cashier, verifier=operations_manager)
    return open_account(actor=cashier, member=member)


def gl(code):
    return GLAccount.objects.get(code=code)


def test_drawer_opens_with_the_counted_float_from_the_vault(drawer, cashier):
    assert drawer.status == CashDrawer.Status.OPEN
    assert cash.drawer_expected(drawer) == Decimal("1500.00")
    assert cash.vault_balance() == Decimal("48500.00")
    assert drawer.counts.get().counts == {"200.00": 5, "100.00": 4, "50.00": 2}


def test_opening_count_must_match_the_float(vault, manager, cashier):
    cash.float_issue(actor=manager, cashier=cashier, amount="1500.00")
    with pytest.raises(ValidationError, match="comes to 1,400.00 but the float issued is 1,500.00"):
        cash.drawer_open(actor=cashier, denominations={"200.00": 7})
    assert not CashDrawer.objects.exists()


def test_no_float_no_drawer_and_only_one_open_drawer(vault, manager, cashier, drawer):
    with pytest.raises(LedgerError) as exc:
        cash.drawer_open(actor=cashier, denominations={"200.00": 5})
    assert exc.value.code == "drawer_already_open"


@pytest.mark.parametrize("counts,message", [
    ({"200.00": -1}, "cannot be negative"),
    ({"200.00": 1.5}, "whole number"),
    ({"200.00": True}, "whole number"),
    ({"3.00": 1}, "not a cedi denomination"),
    ({}, "Count each denomination"),
])
def test_bad_denomination_counts_are_refused(vault, manager, cashier, counts, message):
    cash.float_issue(actor=manager, cashier=cashier, amount="200.00")
    with pytest.raises(ValidationError, match=message):
        cash.drawer_open(actor=cashier, denominations=counts)


def test_cash_needs_an_open_drawer(cashier, account):
    before = JournalEntry.objects.count()
    with pytest.raises(LedgerError) as exc:
        services.deposit_create(actor=cashier, account=account, amount="10.00")
    assert exc.value.code == "drawer_closed"
    assert JournalEntry.objects.count() == before


def test_deposits_and_withdrawals_move_the_drawer_and_the_drawer_cannot_pay_out_more_than_it_holds(
        drawer, cashier, account):
    services.deposit_create(actor=cashier, account=account, amount="500.00")
    services.withdrawal_create(actor=cashier, account=account, amount="120.00")
    assert cash.drawer_expected(drawer) == Decimal("1880.00")
    services.deposit_create(actor=cashier, account=account, amount="5000.00")
    services.withdrawal_create(actor=cashier, account=account, amount="1000.00")
    with pytest.raises(LedgerError) as exc:
        services.withdrawal_create(actor=cashier, account=account, amount="5880.01")
    assert exc.value.code in ("drawer_short", "insufficient_funds")


def test_balanced_close_returns_all_cash_to_the_vault(drawer, cashier, account):
    services.deposit_create(actor=cashier, account=account, amount="100.00")
    closed = cash.drawer_close(actor=cashier, drawer=drawer, denominations={"200.00": 8}, total="1600.00")
    assert (closed.status, closed.expected_balance, closed.variance) == ("closed", Decimal("1600.00"), Decimal("0"))
    assert cash.gl_balance(drawer.gl_account) == Decimal("0.00")
    assert cash.vault_balance() == Decimal("50100.00")
    with pytest.raises(LedgerError):
        services.deposit_create(actor=cashier, account=account, amount="1.00")  # closed drawers are read-only


def test_variance_within_tolerance_settles_at_once(drawer, cashier):
    closed = cash.drawer_close(actor=cashier, drawer=drawer,
                               denominations={"200.00": 7, "50.00": 1, "20.00": 2, "5.00": 1, "2.00": 1})
    assert (closed.status, closed.variance) == (CashDrawer.Status.CLOSED, Decimal("-3.00"))
    assert cash.gl_balance(gl(chart.CASH_VARIANCE)) == Decimal("3.00")
    assert find_differences() == []


def test_large_variance_waits_for_a_manager_who_is_not_the_cashier(drawer, cashier, manager, make_user):
    closed = cash.drawer_close(actor=cashier, drawer=drawer, denominations={"200.00": 7})
    assert (closed.status, closed.variance) == (CashDrawer.Status.PENDING_APPROVAL, Decimal("-100.00"))
    assert cash.gl_balance(drawer.gl_account) == Decimal("1500.00")  # nothing posted yet
    with pytest.raises(PermissionDenied):
        cash.drawer_approve_close(actor=cashier, drawer=closed, note="mine")
    with pytest.raises(ValidationError):
        cash.drawer_approve_close(actor=manager, drawer=closed, note="")
    cash.drawer_approve_close(actor=manager, drawer=closed, note="Counted twice, short confirmed")
    closed.refresh_from_db()
    assert closed.status == CashDrawer.Status.CLOSED
    assert cash.gl_balance(gl(chart.CASH_VARIANCE)) == Decimal("100.00")
    assert cash.gl_balance(drawer.gl_account) == Decimal("0.00")


def test_close_total_must_match_the_counts(drawer, cashier):
    with pytest.raises(ValidationError, match="add up to 1,500.00, not 1,400.00"):
        cash.drawer_close(actor=cashier, drawer=drawer, denominations={"200.00": 5, "100.00": 4, "50.00": 2},
                          total="1400.00")


def test_only_the_owner_closes_a_drawer(drawer, make_user):
    with pytest.raises(PermissionDenied):
        cash.drawer_close(actor=make_user("cashier"), drawer=drawer, denominations={"200.00": 1})


def test_cash_advance_needs_another_person_and_posts_vault_to_drawer(drawer, cashier, manager):
    advance = cash.cash_movement_request(actor=cashier, kind="advance", amount="2000.00", reason="Market day")
    assert cash.drawer_expected(drawer) == Decimal("1500.00")
    with pytest.raises(PermissionDenied):
        cash.cash_movement_approve(actor=cashier, movement=advance)
    cash.cash_movement_approve(actor=manager, movement=advance)
    assert cash.drawer_expected(drawer) == Decimal("3500.00")
    assert cash.vault_balance() == Decimal("46500.00")
    returned = cash.cash_movement_request(actor=cashier, kind="return", amount="3000.00", reason="Too much cash")
    cash.cash_movement_reject(actor=manager, movement=returned, reason="Keep it for the afternoon")
    assert cash.drawer_expected(drawer) == Decimal("3500.00")
    with pytest.raises(LedgerError):
        cash.cash_movement_approve(actor=manager, movement=returned)


def test_cheque_is_held_until_cleared_then_available(cashier, operations_manager, account):
    cheque = cash.cheque_deposit(actor=cashier, account=account, amount="800.00", drawer_bank="GCB Bank",
                                 cheque_number="004512")
    account.refresh_from_db()
    assert (account.balance, account.available_balance) == (Decimal("800.00"), Decimal("0.00"))
    cash.cheque_clear(actor=operations_manager, cheque=cheque)
    account.refresh_from_db()
    assert (account.balance, account.available_balance) == (Decimal("800.00"), Decimal("800.00"))
    with pytest.raises(LedgerError) as exc:
        cash.cheque_clear(actor=operations_manager, cheque=cheque)
    assert exc.value.code == "cheque_decided"
    assert find_differences() == []


def test_bounced_cheque_takes_the_credit_back_and_charges_the_fee_when_it_can(cashier, operations_manager,
                                                                             account, drawer):
    services.deposit_create(actor=cashier, account=account, amount="20.00")
    cheque = cash.cheque_deposit(actor=cashier, account=account, amount="800.00", drawer_bank="Ecobank",
                                 cheque_number="77")
    with pytest.raises(PermissionDenied):
        cash.cheque_bounce(actor=cashier, cheque=cheque, reason="Refer to drawer")
    cash.cheque_bounce(actor=operations_manager, cheque=cheque, reason="Refer to drawer", fee="15.00")
    account.refresh_from_db()
    cheque.refresh_from_db()
    assert (cheque.status, cheque.bounce_fee) == (ChequeDeposit.Status.BOUNCED, Decimal("15.00"))
    assert (account.balance, account.held_balance) == (Decimal("5.00"), Decimal("0.00"))
    assert find_differences() == []


def test_a_bounce_fee_above_the_threshold_is_charged_only_when_approved(cashier, operations_manager, account,
                                                                       drawer):
    from apps.audit.models import AuditEvent
    from apps.ledger.models import LedgerPolicy, Transaction

    LedgerPolicy.objects.update(approval_threshold=Decimal("10.00"))
    services.deposit_create(actor=cashier, account=account, amount="50.00")
    cheque = cash.cheque_deposit(actor=cashier, account=account, amount="300.00", drawer_bank="GCB",
                                 cheque_number="91")
    cash.cheque_bounce(actor=operations_manager, cheque=cheque, reason="Insufficient funds", fee="15.00")
    cheque.refresh_from_db()
    fee = Transaction.objects.get(transaction_type="fee")
    assert (cheque.status, cheque.bounce_fee, fee.status) == (ChequeDeposit.Status.BOUNCED, Decimal("0.00"),
                                                              Transaction.Status.PENDING)
    bounced = AuditEvent.objects.get(action="cash.cheque_bounce")
    assert bounced.details["fee_pending"] == fee.reference


def test_the_same_cheque_cannot_be_deposited_twice(cashier, account):
    cash.cheque_deposit(actor=cashier, account=account, amount="10.00", drawer_bank="GCB", cheque_number="1")
    with pytest.raises(LedgerError) as exc:
        cash.cheque_deposit(actor=cashier, account=account, amount="10.00", drawer_bank="gcb", cheque_number="1")
    assert exc.value.code == "cheque_duplicate"


@pytest.fixture
def banker_member(cashier, operations_manager, manager, mobile_banker):
    member = make_member(registrar=cashier, verifier=operations_manager, first_name="Mansa")
    member_assign(actor=manager, member=member, banker=mobile_banker)
    account = open_account(actor=cashier, member=member)
    account.contribution_amount = Decimal("20.00")
    account.save()
    return account


def test_field_collection_sheet_collect_and_remit(mobile_banker, cashier, banker_member, drawer, account):
    sheet = cash.collection_sheet(mobile_banker)
    assert [row["account_id"] for row in sheet] == [banker_member.pk]  # not the unassigned `account`
    first = cash.field_collect(actor=mobile_banker, account=banker_member, amount="20.00", idempotency_key="c1")
    again = cash.field_collect(actor=mobile_banker, account=banker_member, amount="20.00", idempotency_key="c1")
    cash.field_collect(actor=mobile_banker, account=banker_member, amount="40.00", confirm=True,
                       idempotency_key="c2")  # a second collection the same day is confirmed
    assert first.pk == again.pk
    assert cash.collection_sheet(mobile_banker)[0]["paid_this_cycle"] == Decimal("60.00")
    assert first.reference in cash.receipt_text(first)
    with pytest.raises(PermissionDenied):
        cash.field_collect(actor=mobile_banker, account=account, amount="5.00")
    run = cash.field_remit(actor=mobile_banker, cashier=cashier, denominations={"20.00": 2, "10.00": 1, "5.00": 1})
    assert (run.expected_amount, run.counted_amount, run.variance) == (Decimal("60.00"), Decimal("55.00"),
                                                                       Decimal("-5.00"))
    assert cash.drawer_expected(drawer) == Decimal("1555.00")
    assert cash.gl_balance(run.gl_account) == Decimal("0.00")
    assert cash.gl_balance(gl(chart.CASH_VARIANCE)) == Decimal("5.00")
    with pytest.raises(LedgerError) as exc:
        cash.field_remit(actor=mobile_banker, cashier=cashier, denominations={"20.00": 1})
    assert exc.value.code == "already_remitted"
    assert CollectionRun.objects.get().status == CollectionRun.Status.REMITTED
    assert find_differences() == []


def test_remit_needs_a_cashier_with_an_open_drawer(mobile_banker, cashier, banker_member):
    cash.field_collect(actor=mobile_banker, account=banker_member, amount="20.00")
    with pytest.raises(LedgerError) as exc:
        cash.field_remit(actor=mobile_banker, cashier=cashier, denominations={"20.00": 1})
    assert exc.value.code == "drawer_closed"


movement = st.tuples(st.sampled_from(["deposit", "withdrawal", "advance", "return"]),
                     st.decimals(min_value=Decimal("1"), max_value=Decimal("800"), places=2))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(moves=st.lists(movement, max_size=12))
def test_drawer_expected_balance_equals_the_ledger_after_any_mix(moves, cashier, manager, operations_manager):
    cash.vault_receive(actor=manager, amount="100000.00", note="test")
    drawer = cash.current_drawer(cashier)
    if drawer is None:
        cash.float_issue(actor=manager, cashier=cashier, amount="1000.00")
        drawer = cash.drawer_open(actor=cashier, denominations={"100.00": 10})
    member = make_member(registrar=cashier, verifier=operations_manager)
    account = open_account(actor=cashier, member=member)
    cashier.daily_transaction_limit = Decimal("10000000")
    cashier.save()
    expected = cash.drawer_expected(drawer)
    for kind, amount in moves:
        try:
            if kind == "deposit":
                services.deposit_create(actor=cashier, account=account, amount=amount)
                expected += amount
            elif kind == "withdrawal":
                services.withdrawal_create(actor=cashier, account=account, amount=amount)
                expected -= amount
            else:
                request = cash.cash_movement_request(actor=cashier, kind=kind, amount=amount, reason="test")
                cash.cash_movement_approve(actor=manager, movement=request)
                expected += amount if kind == CashMovement.Kind.ADVANCE else -amount
        except LedgerError as exc:
            assert exc.code in ("insufficient_funds", "drawer_short")
        assert cash.drawer_expected(drawer) == expected
        assert expected >= 0
    assert find_differences() == []


def test_a_cheque_retried_with_its_key_returns_the_first_cheque(cashier, account):
    first = cash.cheque_deposit(actor=cashier, account=account, amount="300.00", drawer_bank="GCB Bank",
                                cheque_number="4410", idempotency_key="form-1")
    again = cash.cheque_deposit(actor=cashier, account=account, amount=Decimal("300"), drawer_bank=" gcb bank ",
                                cheque_number="4410", idempotency_key="form-1")
    assert again.pk == first.pk
    account.refresh_from_db()
    assert (account.balance, account.held_balance) == (Decimal("300.00"), Decimal("300.00"))
    with pytest.raises(LedgerError) as exc:
        cash.cheque_deposit(actor=cashier, account=account, amount="300.00", drawer_bank="GCB Bank",
                            cheque_number="4411", idempotency_key="form-1")
    assert exc.value.code == "idempotency_conflict"
    with pytest.raises(LedgerError) as exc:  # without the first form's key it is the same cheque again
        cash.cheque_deposit(actor=cashier, account=account, amount="300.00", drawer_bank="GCB Bank",
                            cheque_number="4410", idempotency_key="form-2")
    assert exc.value.code == "cheque_duplicate"
    with pytest.raises(ValidationError):
        cash.cheque_deposit(actor=cashier, account=account, amount="abc", drawer_bank="GCB Bank",
                            cheque_number="4410")
    assert ChequeDeposit.objects.count() == 1
    assert find_differences() == []
