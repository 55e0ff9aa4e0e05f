"""pledge_hold / pledge_release: money held on an account for another party (a loan guarantee)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from apps.ledger import services
from apps.ledger.errors import LedgerError

from .factories import fund, make_member, open_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(cashier, operations_manager):
    member = make_member(registrar=cashier, verifier=operations_manager)
    return fund(open_account(actor=cashier, member=member, kind="monthly_contribution"), "500.00", cashier=cashier)


def test_a_pledge_lowers_the_available_balance_and_its_release_restores_it(account, cashier):
    held = services.pledge_hold(actor=cashier, account=account, amount="200.00", reason="guarantee")
    assert held.held_balance == Decimal("200.00") and held.balance == Decimal("500.00")
    with pytest.raises(LedgerError):
        services.withdrawal_create(actor=cashier, account=account, amount=Decimal("400.00"))
    released = services.pledge_release(actor=cashier, account=account, amount="200.00", reason="rejected")
    assert released.held_balance == 0


def test_a_pledge_beyond_what_is_available_or_on_a_frozen_account_is_refused(account, cashier, manager):
    with pytest.raises(LedgerError) as exc:
        services.pledge_hold(actor=cashier, account=account, amount="500.01", reason="guarantee")
    assert exc.value.code == "insufficient_funds"
    with pytest.raises(ValidationError):
        services.pledge_hold(actor=cashier, account=account, amount="-1", reason="guarantee")
    account.status = "frozen"
    account.save()
    with pytest.raises(LedgerError) as exc:
        services.pledge_hold(actor=cashier, account=account, amount="1.00", reason="guarantee")
    assert exc.value.code == "account_frozen"
    account.refresh_from_db()
    assert account.held_balance == 0


def test_a_release_never_takes_the_hold_below_zero(account, cashier):
    services.pledge_hold(actor=cashier, account=account, amount="10.00", reason="guarantee")
    assert services.pledge_release(actor=cashier, account=account, amount="50.00", reason="x").held_balance == 0
