"""Cash tells people: managers about an advance waiting and a drawer over or short; the member whose
cheque cleared or bounced."""

import pytest

from apps.cash import services as cash
from apps.messaging.models import Notification
from tests.ledger.factories import make_member, open_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def drawer(manager, cashier):
    cash.vault_receive(actor=manager, amount="50000.00", note="Bank withdrawal slip 0042")
    cash.float_issue(actor=manager, cashier=cashier, amount="1500.00")
    return cash.drawer_open(actor=cashier, denominations={"200.00": 5, "100.00": 4, "50.00": 2})


@pytest.fixture
def member_account(cashier, operations_manager, customer):
    member = make_member(registrar=cashier, verifier=operations_manager, user=customer)
    return open_account(actor=cashier, member=member)


def told(kind):
    return list(Notification.objects.filter(kind=kind).order_by("user_id"))


def test_a_cash_advance_waits_and_the_managers_are_told(drawer, cashier, manager):
    movement = cash.cash_movement_request(actor=cashier, kind="advance", amount="2000.00", reason="Market day")
    [row] = told("cash.advance_waiting")
    assert row.user_id == manager.pk and row.link == "/admin/cash/cashdrawer/sign-offs/"
    assert "Cash advance of" in row.title and "2,000.00" in row.title and "Market day" in row.body
    cash.cash_movement_approve(actor=manager, movement=movement)
    assert len(told("cash.advance_waiting")) == 1


def test_a_drawer_short_at_close_tells_managers_and_operations_managers(drawer, cashier, manager,
                                                                       operations_manager):
    closed = cash.drawer_close(actor=cashier, drawer=drawer, denominations={"200.00": 7})
    rows = told("cash.drawer_variance")
    assert [r.user_id for r in rows] == sorted([manager.pk, operations_manager.pk])
    assert all(r.link == f"/admin/cash/cashdrawer/{closed.pk}/change/" for r in rows)
    assert "100.00 short" in rows[0].title and "waits for a manager's sign-off" in rows[0].body


def test_a_small_variance_is_told_and_an_exact_count_is_not(drawer, cashier, manager, make_user):
    cash.drawer_close(actor=cashier, drawer=drawer,
                      denominations={"200.00": 7, "50.00": 1, "20.00": 2, "5.00": 1, "2.00": 1})
    [row] = told("cash.drawer_variance")
    assert "3.00 short" in row.title and "posted to cash over and short" in row.body
    other = make_user("cashier")
    cash.float_issue(actor=manager, cashier=other, amount="200.00")
    exact = cash.drawer_open(actor=other, denominations={"200.00": 1})
    cash.drawer_close(actor=other, drawer=exact, denominations={"200.00": 1})
    assert len(told("cash.drawer_variance")) == 1


def test_the_depositing_member_hears_their_cheque_cleared(cashier, operations_manager, customer, member_account):
    cheque = cash.cheque_deposit(actor=cashier, account=member_account, amount="800.00", drawer_bank="GCB Bank",
                                 cheque_number="004512")
    assert told("cash.cheque_cleared") == []
    cash.cheque_clear(actor=operations_manager, cheque=cheque)
    [row] = told("cash.cheque_cleared")
    assert row.user_id == customer.pk and row.link == f"/my/accounts/{member_account.pk}/"
    assert "800.00 has cleared" in row.title and member_account.account_number in row.body


def test_the_depositing_member_hears_their_cheque_bounced(cashier, operations_manager, customer, member_account,
                                                         mailoutbox, django_capture_on_commit_callbacks):
    cheque = cash.cheque_deposit(actor=cashier, account=member_account, amount="800.00", drawer_bank="Ecobank",
                                 cheque_number="77")
    with django_capture_on_commit_callbacks(execute=True):
        cash.cheque_bounce(actor=operations_manager, cheque=cheque, reason="Refer to drawer")
    [row] = told("cash.cheque_bounced")
    assert row.user_id == customer.pk and "Refer to drawer" in row.body
    [mail] = mailoutbox  # a returned cheque is e-mailed unless the member turned it off
    assert mail.to == [customer.email] and "was returned" in mail.subject
