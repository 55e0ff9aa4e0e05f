"""Random sequences of deposits, withdrawals, transfers, payments, fees, reversals, approvals and
rejections keep the books sound.

After every step: no member balance below zero, no account that lost money (or had some put on
hold) below what its product must keep, every balance equals its postings, every entry balances,
the trial balance is zero, and a refused operation changed nothing.
"""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from apps.ledger import services
from apps.ledger.errors import LedgerError
from apps.ledger.management.commands.verify_ledger import find_differences
from apps.ledger.models import Account, LedgerPolicy, Posting, Product, ServiceCharge, Transaction

from .factories import fund, make_member, open_account, open_drawer

pytestmark = pytest.mark.django_db

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("900.00"), places=2)
accounts_index = st.integers(0, 3)  # Daily Susu, Monthly Contribution (keeps a minimum), Shares, another member's
operation = st.one_of(
    st.tuples(st.just("deposit"), accounts_index, amounts | st.sampled_from([Decimal("20.00"), Decimal("100.00")])),
    st.tuples(st.just("withdrawal"), accounts_index, amounts),
    st.tuples(st.just("transfer"), st.tuples(accounts_index, accounts_index), amounts),
    st.tuples(st.just("payment"), accounts_index, amounts),
    st.tuples(st.just("fee"), accounts_index, amounts),
    st.tuples(st.just("reverse"), st.integers(0, 50), st.just(Decimal("0"))),
    st.tuples(st.just("approve"), st.integers(0, 50), st.just(Decimal("0"))),
    st.tuples(st.just("reject"), st.integers(0, 50), st.just(Decimal("0"))),
)
SHARE_PRICE = Decimal("20.00")
MINIMUM = Decimal("50.00")  # what a Monthly Contribution account must keep here


# Refusals a random sequence can legitimately meet; anything else (a closed drawer, say) is a bug here.
EXPECTED_REFUSALS = {"insufficient_funds", "already_reversed", "not_reversible", "not_pending",
                     "withdrawal_not_allowed"}


def ledger_state(accounts):
    return [(a.balance, a.held_balance) for a in Account.objects.filter(pk__in=[a.pk for a in accounts])
            .order_by("pk")], Posting.objects.count()


def check_invariants(accounts, before):
    assert find_differences() == []
    (old_balances, _), now = before, Account.objects.filter(pk__in=[a.pk for a in accounts]).order_by("pk")
    for account, (old_balance, old_held) in zip(now.select_related("product"), old_balances, strict=True):
        assert account.balance >= 0
        assert 0 <= account.held_balance <= account.balance
        if account.balance < old_balance or account.held_balance > old_held:  # money left or was put on hold
            assert account.balance - account.held_balance >= account.product.minimum_balance
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
    if kind == "payment":
        return services.payment_create(actor=cashier, account=accounts[target], amount=amount, description="ECG")
    if kind == "transfer":
        source, dest = accounts[target[0]], accounts[target[1]]
        return services.transfer_create(actor=cashier, from_account=source, to_account_number=dest.account_number,
                                        amount=amount)
    if not completed:
        return None
    if kind == "reverse":
        return services.reversal_request(actor=cashier, original=completed[target % len(completed)], reason="test")
    pending = list(Transaction.objects.filter(status=Transaction.Status.PENDING, initiated_by=cashier).order_by("pk"))
    if not pending:
        return None
    if kind == "reject":
        return services.transaction_reject(actor=manager, txn=pending[target % len(pending)], reason="test")
    return services.transaction_approve(actor=manager, txn=pending[target % len(pending)])


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(operation, min_size=1, max_size=18))
def test_random_operations_keep_the_ledger_invariants(ops, cashier, manager, operations_manager):
    cashier.daily_transaction_limit = Decimal("1000000")
    cashier.save()
    open_drawer(cashier)
    LedgerPolicy.objects.update(approval_threshold=Decimal("600.00"))
    ServiceCharge.objects.get_or_create(name="Transfer fee", transaction_type="transfer",
                                        defaults={"amount": Decimal("0.50")})
    Product.objects.filter(kind="monthly_contribution").update(minimum_balance=MINIMUM)
    Product.objects.filter(kind="shares").update(share_price=SHARE_PRICE)
    member = make_member(registrar=cashier, verifier=operations_manager)
    accounts = [open_account(actor=cashier, member=member, kind=kind)
                for kind in ("daily_susu", "monthly_contribution", "shares")]
    other = make_member(registrar=cashier, verifier=operations_manager)
    accounts.append(open_account(actor=cashier, member=other, kind="daily_susu"))
    for account, opening in zip(accounts, ("1500.00", "1500.00", "200.00", "800.00"), strict=True):
        fund(account, opening, cashier=cashier)  # most random movements then fit, and some do not
    completed = []
    for op in ops:
        before = ledger_state(accounts)
        try:
            txn = apply(op, accounts, (cashier, manager), completed)
        except LedgerError as exc:
            event(f"{op[0]} refused: {exc.code}")  # --hypothesis-show-statistics shows what the runs covered
            assert exc.code in EXPECTED_REFUSALS, exc.message
            assert ledger_state(accounts) == before, f"a refused {op[0]} changed the books"
        except ValidationError as exc:  # e.g. a transfer to the same account, part of a share: nothing changes
            event(f"{op[0]} refused: invalid")
            assert ledger_state(accounts) == before, f"a refused {op[0]} changed the books: {exc}"
        else:
            event(f"{op[0]}: {txn.status if txn is not None else 'nothing to do'}")
            if txn is not None and txn.status == Transaction.Status.COMPLETED and txn.transaction_type != "reversal":
                completed.append(txn)
        check_invariants(accounts, before)
