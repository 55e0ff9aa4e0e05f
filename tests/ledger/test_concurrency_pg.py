"""Concurrency on PostgreSQL: row locks in primary-key order, no lost update, no deadlock, and an
Idempotency-Key that posts once however many copies of the request arrive together.

These tests need real row locks and several connections at once, so they run only on PostgreSQL
(DATABASE_URL=postgres://...); on SQLite they are skipped.
"""

import random
import threading
import uuid
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.db.models import Sum

from apps.ledger import services
from apps.ledger.errors import LedgerError
from apps.ledger.management.commands.verify_ledger import find_differences
from apps.ledger.models import Account, GLAccount, IdempotencyRecord, JournalEntry, Posting, Transaction
from apps.ledger.selectors import posted_balance
from tests.support import restore_reference_data

from .factories import fund, make_member, open_account, open_drawer

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="needs PostgreSQL row locks and concurrent connections (set DATABASE_URL)"),
    pytest.mark.django_db(transaction=True),
]

@pytest.fixture(autouse=True)
def reference_data(transactional_db):
    restore_reference_data()


THREADS = 8
OPERATIONS = 40
START_BALANCE = Decimal("1000.00")
BIG_LIMIT = Decimal("10000000.00")


def run_threads(count: int, work) -> list:
    """Run work(index) in `count` threads released together; each closes its own connection."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def target(index):
        try:
            barrier.wait(timeout=30)
            results[index] = work(index)
        except BaseException as exc:  # noqa: BLE001 - reported by the test, not swallowed
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads), "a worker thread hung (lock wait?)"
    return results


def cash_position() -> Decimal:
    """Cash held by the branch: the vault and every drawer and field-cash sub-ledger (debit-normal)."""
    cash = GLAccount.objects.filter(code__regex=r"^10[0-2]0($|-)")
    totals = Posting.objects.filter(gl_account__in=cash).aggregate(d=Sum("debit"), c=Sum("credit"))
    return (totals["d"] or Decimal("0")) - (totals["c"] or Decimal("0"))


@pytest.fixture
def four_accounts(make_user):
    """Four funded accounts (Daily Susu and Monthly Contribution of two verified members)."""
    registrar = make_user("cashier")
    verifier = make_user("operations_manager")
    accounts = []
    for first in ("Ama", "Kojo"):
        member = make_member(registrar=registrar, verifier=verifier, first_name=first)
        for kind in ("daily_susu", "monthly_contribution"):
            account = open_account(actor=registrar, member=member, kind=kind)
            accounts.append(fund(account, START_BALANCE, cashier=registrar))
    return accounts


def test_concurrent_withdrawals_and_transfers_lose_nothing_and_never_deadlock(make_user, four_accounts):
    # One cashier per thread, each with an open drawer: the threads contend on the accounts, not on
    # one user's row.
    cashiers = [make_user("cashier", daily_transaction_limit=BIG_LIMIT) for _ in range(THREADS)]
    for cashier in cashiers:
        open_drawer(cashier)
    ids = [a.pk for a in four_accounts]
    numbers = {a.pk: a.account_number for a in four_accounts}
    members_before = sum(a.balance for a in Account.objects.filter(pk__in=ids))
    cash_before = cash_position()
    transactions_before = Transaction.objects.count()

    def work(index):
        rng = random.Random(index)
        outcome = {"withdrawn": Decimal("0"), "done": 0, "refused": 0, "errors": []}
        for _ in range(OPERATIONS):
            amount = Decimal(rng.randint(100, 9000)) / 100
            try:
                if rng.random() < 0.4:
                    services.withdrawal_create(actor=cashiers[index], account=rng.choice(ids), amount=amount)
                    outcome["withdrawn"] += amount
                else:
                    source, target = rng.sample(ids, 2)  # random direction: A→B and B→A race each other
                    services.transfer_create(actor=cashiers[index], from_account=source,
                                             to_account_number=numbers[target], amount=amount)
                outcome["done"] += 1
            except LedgerError as exc:
                if exc.code != "insufficient_funds":
                    outcome["errors"].append(f"{exc.code}: {exc.message}")
                outcome["refused"] += 1
            except Exception as exc:  # a deadlock or serialization failure must never reach the caller
                outcome["errors"].append(repr(exc))
        return outcome

    results = run_threads(THREADS, work)

    crashed = [r for r in results if isinstance(r, BaseException)]
    assert not crashed, crashed
    errors = [e for r in results for e in r["errors"]]
    assert errors == [], errors[:5]
    done = sum(r["done"] for r in results)
    assert done + sum(r["refused"] for r in results) == THREADS * OPERATIONS
    assert done > THREADS * OPERATIONS // 4, "too few operations succeeded to prove anything"
    assert sum(r["refused"] for r in results) > 0, "no withdrawal ever ran out of money: raise the amounts"

    accounts = list(Account.objects.filter(pk__in=ids).select_related("product__control_account"))
    for account in accounts:
        assert account.balance >= 0, f"{account.account_number} went negative: {account.balance}"
        assert account.balance == posted_balance(account), f"lost update on {account.account_number}"
    withdrawn = sum(r["withdrawn"] for r in results)
    members_after = sum(a.balance for a in accounts)
    assert members_after == members_before - withdrawn  # transfers move money, withdrawals take it out
    assert members_after - cash_position() == members_before - cash_before  # and the cash left the drawers
    # every movement that went through is there once; every refused one is on record as failed
    failed = Transaction.objects.filter(status=Transaction.Status.FAILED)
    assert Transaction.objects.count() - failed.count() == transactions_before + done
    assert failed.count() == sum(r["refused"] for r in results)
    assert not JournalEntry.objects.filter(transaction__in=failed).exists()
    assert find_differences() == []


def test_same_idempotency_key_from_many_threads_posts_once(make_user, four_accounts):
    cashier = make_user("cashier", daily_transaction_limit=BIG_LIMIT)
    source, target = four_accounts[0], four_accounts[1]
    key = f"retry-{uuid.uuid4().hex}"

    def work(index):
        txn = services.transfer_create(actor=cashier, from_account=source.pk,
                                       to_account_number=target.account_number, amount="125.50",
                                       description="School fees", idempotency_key=key)
        return txn.pk

    results = run_threads(6, work)

    assert not [r for r in results if isinstance(r, BaseException)], results
    assert len(set(results)) == 1, f"more than one transaction for one key: {results}"
    assert IdempotencyRecord.objects.filter(user=cashier, key=key).count() == 1
    assert Transaction.objects.filter(initiated_by=cashier, transaction_type="transfer").count() == 1
    source.refresh_from_db()
    target.refresh_from_db()
    assert source.balance == START_BALANCE - Decimal("125.50")
    assert target.balance == START_BALANCE + Decimal("125.50")
    assert find_differences() == []


def test_same_idempotency_key_through_the_api_posts_once(make_user, four_accounts, api):
    from tests.support import new_client

    customer = make_user("customer")
    source = four_accounts[2]
    member = source.member
    member.user = customer
    member.save(update_fields=["user"])
    headers = api(customer)
    key = f"api-{uuid.uuid4().hex}"
    body = {"from_account_id": source.pk, "to_account_number": four_accounts[0].account_number,
            "amount": "40.00", "description": "Rent"}

    def work(index):
        response = new_client().post("/api/transactions/transfer/", body, content_type="application/json",
                                     headers={**headers, "Idempotency-Key": key})
        return response.status_code, response.json().get("id")

    results = run_threads(5, work)

    assert not [r for r in results if isinstance(r, BaseException)], results
    assert {status for status, _ in results} <= {200, 201}, results
    assert len({pk for _, pk in results}) == 1, results
    assert Transaction.objects.filter(initiated_by=customer).count() == 1
    source.refresh_from_db()
    assert source.balance == START_BALANCE - Decimal("40.00")
    assert find_differences() == []
    connections.close_all()
