"""Random sequences of deposits, withdrawals, transfers, fees and reversals keep the books sound.

After every step: no member balance below zero, every balance equals its postings, every entry
balances, the trial balance is zero, and a refused operation changed nothing.
"""

from decimal import Decimal

import pytest
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.ledger import services
from apps.ledger.errors import LedgerError
from apps.ledger.management.commands.verify_ledger import find_differences
from apps.ledger.models import Account, LedgerPolicy, Posting, ServiceCharge, Transaction

from .factories import make_member, open_account, open_drawer

pytestmark = pytest.mark.django_db

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("900.00"), places=2)
operation = st.one_of(
    st.tuples(st.just("deposit"), st.integers(0, 2), amounts),
    st.tuples(st.just("withdrawal"), st.integers(0, 2), amounts),
    st.tuples(st.just("transfer"), st.tuples(st.integers(0, 2), st.integers(0, 2)), amounts),
    st.tuples(st.just("fee"), st.integers(0, 2), amounts),
    st.tuples(st.just("reverse"), st.integers(0, 50), st.just(Decimal("0"))),
    st.tuples(st.just("approve"), st.integers(0, 50), st.just(Decimal("0"))),
)


# Refusals a random sequence can legitimately meet; anything else (a closed drawer, say) is a bug here.
EXPECTED_REFUSALS = {"insufficient_funds", "already_reversed", "not_reversible", "not_pending"}


def ledger_state(accounts):
    return [(a.balance, a.held_balance) for a in Account.objects.filter(pk__in=[a.pk for a in accounts])
            .order_by("pk")], Posting.objects.count()


def check_invariants(accounts):
    assert find_differences() == []
    for account in Account.objects.filter(pk__in=[a.pk for a in accounts]):
        assert account.balance >= 0
        assert 0 <= account.held_balance <= account.balance
    totals = Posting.objects.aggregate(d=Sum("debit"), c=Sum("credit"))
    assert totals["d"] == totals["c"]


def apply(op, accounts, actors, completed):
    kind, target, amount = op
    cashier, manager = actors
    if kind == "deposit":
        return services.deposit_create(actor=cashier, account=accounts[target], amount=amount)
    if kind == "withdrawal":
        return services.withdrawal_create(actor=cashier, account=accounts[target], amount=amount)
    if kind == "fee":
        return services.fee_charge(actor=cashier, account=accounts[target], amount=amount, description="Test fee")
    if kind == "transfer":
        source, dest = accounts[target[0]], accounts[target[1]]
        return services.transfer_create(actor=cashier, from_account=source, to_account_number=dest.account_number,
                                        amount=amount)
    if not completed:
        return None
    if kind == "reverse":
        return services.reversal_request(actor=cashier, original=completed[target % len(completed)], reason="test")
    pending = list(Transaction.objects.filter(status=Transaction.Status.PENDING, initiated_by=cashier))
    if pending:
        return services.transaction_approve(actor=manager, txn=pending[target % len(pending)])
    return None


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(operation, min_size=1, max_size=18))
def test_random_operations_keep_the_ledger_invariants(ops, cashier, manager, operations_manager):
    cashier.daily_transaction_limit = Decimal("1000000")
    cashier.save()
    open_drawer(cashier)
    LedgerPolicy.objects.update(approval_threshold=Decimal("600.00"))
    ServiceCharge.objects.get_or_create(name="Transfer fee", transaction_type="transfer",
                                        defaults={"amount": Decimal("0.50")})
    member = make_member(registrar=cashier, verifier=operations_manager)
    accounts = [open_account(actor=cashier, member=member, kind=kind)
                for kind in ("daily_susu", "monthly_contribution")]
    other = make_member(registrar=cashier, verifier=operations_manager)
    accounts.append(open_account(actor=cashier, member=other, kind="daily_susu"))
    completed = []
    for op in ops:
        before = ledger_state(accounts)
        try:
            txn = apply(op, accounts, (cashier, manager), completed)
        except LedgerError as exc:
            assert exc.code in EXPECTED_REFUSALS, exc.message
            assert ledger_state(accounts) == before, f"a refused {op[0]} changed the books"
        except Exception as exc:  # validation errors (e.g. transfer to the same account) change nothing too
            assert ledger_state(accounts) == before, f"a refused {op[0]} changed the books: {exc}"
        else:
            if txn is not None and txn.status == Transaction.Status.COMPLETED and txn.transaction_type != "reversal":
                completed.append(txn)
        check_invariants(accounts)
