"""Holds add and release to the pesewa on every database (SQLite keeps money as binary floats)."""

from decimal import Decimal

import pytest

from apps.ledger.models import Account
from apps.ledger.posting import adjust_hold, move_balances

from .factories import fund, make_member, open_account

pytestmark = pytest.mark.django_db


def test_a_hold_built_in_parts_is_released_to_exactly_zero(cashier, operations_manager):
    """Found by the property test: 20.00 + 33.91 - 53.91 was -7e-15 on SQLite, which the
    held_balance >= 0 constraint refused, so a manager could not approve a waiting reversal."""
    member = make_member(registrar=cashier, verifier=operations_manager)
    account = fund(open_account(actor=cashier, member=member), "500.00", cashier=cashier)
    for part in ("0.10", "0.20", "20.00", "33.61"):
        adjust_hold(account.pk, Decimal(part))
    adjust_hold(account.pk, Decimal("-53.91"))
    account.refresh_from_db()
    assert account.held_balance == Decimal("0.00")
    assert Account.objects.filter(pk=account.pk, held_balance__lt=0).count() == 0
    assert Account.objects.filter(pk=account.pk, held_balance=0).exists()  # exactly zero in the database


def test_a_balance_moved_in_parts_lands_on_the_pesewa(cashier, operations_manager):
    member = make_member(registrar=cashier, verifier=operations_manager)
    account = fund(open_account(actor=cashier, member=member), "0.30", cashier=cashier)
    for delta in ("-0.10", "-0.20"):
        move_balances({account.pk: Decimal(delta)})
    assert Account.objects.filter(pk=account.pk, balance=0).exists()
