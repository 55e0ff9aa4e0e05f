"""The ledger tells managers when a movement waits for a second person (kind `ledger.approvals_waiting`)."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from apps.ledger import services
from apps.ledger.models import LedgerPolicy, Transaction
from apps.messaging.models import Notification

from .factories import fund, make_member, open_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def accounts(cashier, operations_manager):
    member = make_member(registrar=cashier, verifier=operations_manager)
    susu = fund(open_account(actor=cashier, member=member), "1000.00", cashier=cashier)
    return susu, open_account(actor=cashier, member=member, kind="monthly_contribution")


def told(kind="ledger.approvals_waiting"):
    return Notification.objects.filter(kind=kind).order_by("user_id")


def test_a_large_movement_tells_every_manager_with_a_link_to_approvals(accounts, cashier, manager, make_user,
                                                                        django_capture_on_commit_callbacks):
    second = make_user("manager")
    make_user("operations_manager")
    managers = sorted(get_user_model().objects.filter(role="manager", is_active=True).values_list("pk", flat=True))
    assert {manager.pk, second.pk} <= set(managers)
    susu, monthly = accounts
    LedgerPolicy.objects.update_or_create(pk=LedgerPolicy.current().pk,
                                          defaults={"approval_threshold": Decimal("100.00")})
    with django_capture_on_commit_callbacks(execute=True):
        txn = services.transfer_create(actor=cashier, from_account=susu, to_account_number=monthly.account_number,
                                       amount="500.00")
    assert txn.status == Transaction.Status.PENDING
    rows = list(told())
    assert [r.user_id for r in rows] == managers  # every active manager, nobody else
    assert all(r.link == "/admin/ledger/transaction/approvals/" for r in rows)
    assert "500.00 waits for approval" in rows[0].title and txn.reference in rows[0].body
    assert mail.outbox == []  # the bell only, unless a manager chose e-mail


def test_a_small_movement_tells_nobody(accounts, cashier, manager):
    susu, monthly = accounts
    services.transfer_create(actor=cashier, from_account=susu, to_account_number=monthly.account_number,
                             amount="50.00")
    assert not told().exists()


def test_a_reversal_tells_the_managers(accounts, cashier, manager):
    susu, monthly = accounts
    original = services.transfer_create(actor=cashier, from_account=susu, to_account_number=monthly.account_number,
                                        amount="300.00")
    reversal = services.reversal_request(actor=cashier, original=original, reason="Keyed the wrong account")
    [row] = told().filter(user=manager)
    assert row.title.startswith("Reversal of")
    assert reversal.reference in row.body and "Keyed the wrong account" in row.body


def test_a_retried_request_tells_nobody_twice(accounts, cashier, manager):
    susu, monthly = accounts
    LedgerPolicy.objects.update_or_create(pk=LedgerPolicy.current().pk,
                                          defaults={"approval_threshold": Decimal("100.00")})
    for _ in range(2):
        services.transfer_create(actor=cashier, from_account=susu, to_account_number=monthly.account_number,
                                 amount="500.00", idempotency_key="retry-1")
    assert told().filter(user=manager).count() == 1
