"""verify_ledger proves the books, and floating point on SQLite is not mistaken for a difference."""

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import DecimalField, F, Sum

from apps.ledger import services
from apps.ledger.management.commands.verify_ledger import find_differences
from apps.ledger.models import Account, Posting

from .factories import make_member, open_account, open_drawer

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(cashier, operations_manager):
    open_drawer(cashier)
    return open_account(actor=cashier, member=make_member(registrar=cashier, verifier=operations_manager))


def test_amounts_that_are_inexact_in_binary_still_add_up(cashier, account):
    # On SQLite these are binary floats: summed as credits minus debits they come to 63.33000000000027.
    for amount in ("616.39", "709.07", "720.42"):
        services.deposit_create(actor=cashier, account=account, amount=amount)
    for amount in ("624.37", "520.54", "837.64"):
        services.withdrawal_create(actor=cashier, account=account, amount=amount)
    money = DecimalField(max_digits=18, decimal_places=2)
    net = Posting.objects.filter(account=account).aggregate(s=Sum(F("credit") - F("debit"), output_field=money))
    assert net["s"] == Decimal("63.33")
    assert find_differences() == []
    call_command("verify_ledger")


def test_a_balance_that_does_not_match_its_postings_is_reported(cashier, account):
    services.deposit_create(actor=cashier, account=account, amount="10.00")
    with connection.cursor() as cursor:  # what a bug or a manual edit would do
        cursor.execute("UPDATE ledger_account SET balance = balance + 0.01 WHERE id = %s", [account.pk])
    assert find_differences() == [f"account {account.account_number}: balance 10.01 but postings sum to 10.00"]
    with pytest.raises(CommandError, match="1 difference"):
        call_command("verify_ledger")
    assert Account.objects.get(pk=account.pk).balance == Decimal("10.01")


def test_an_entry_whose_postings_do_not_balance_is_reported(cashier, account):
    txn = services.deposit_create(actor=cashier, account=account, amount="10.00")
    entry = txn.entry
    gl = entry.postings.exclude(account=account).get().gl_account
    with connection.cursor() as cursor:  # a posting written beside the engine: the entry no longer balances
        cursor.execute("INSERT INTO ledger_posting (entry_id, gl_account_id, account_id, debit, credit) "
                       "VALUES (%s, %s, NULL, 0.50, 0)", [entry.pk, gl.pk])
    problems = find_differences()
    assert problems[0] == f"entry {entry.reference}: debits 10.50 != credits 10.00"
    assert len(problems) == 2 and problems[1].startswith("trial balance: ")
