"""Repayments racing on one loan, on PostgreSQL: the loan row lock orders them, so the instalments and
the books add up and nothing beyond the payoff is ever taken. Skipped on SQLite."""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum

from apps.ledger.errors import LedgerError
from apps.ledger.models import Posting
from apps.loans import servicing
from apps.loans.models import Loan, LoanInstalment, LoanTransaction
from tests.ledger.factories import open_drawer
from tests.ledger.test_concurrency_pg import run_threads
from tests.support import restore_reference_data

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="needs PostgreSQL row locks and concurrent connections (set DATABASE_URL)"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(autouse=True)
def reference_data(transactional_db):
    restore_reference_data()


def paid_total(loan) -> Decimal:
    fields = ("principal_paid", "interest_paid", "fees_paid", "penalties_paid")
    sums = LoanInstalment.objects.filter(loan=loan).aggregate(**{f: Sum(f) for f in fields})
    return sum((sums[f] or Decimal("0") for f in fields), Decimal("0"))


def test_two_full_payoffs_racing_take_the_money_once(active_loan, world, cashier):
    open_drawer(cashier)
    payoff = servicing.payoff_quote(active_loan, active_loan.disbursed_on)["total"]
    payers = [(world["user"], "account"), (cashier, "cash")]

    def work(index):
        actor, channel = payers[index]
        try:
            return servicing.loan_repay(actor=actor, loan=active_loan.pk, amount=str(payoff), channel=channel)
        except LedgerError as exc:
            return exc

    results = run_threads(2, work)
    done = [r for r in results if isinstance(r, LoanTransaction)]
    refused = [r for r in results if isinstance(r, LedgerError)]
    assert len(done) == 1 and len(refused) == 1, results
    assert refused[0].code in ("loan_closed", "over_payoff")
    active_loan.refresh_from_db()
    assert active_loan.status == Loan.Status.CLOSED and paid_total(active_loan) == payoff
    assert Posting.objects.aggregate(d=Sum("debit"))["d"] == Posting.objects.aggregate(c=Sum("credit"))["c"]


def test_partial_repayments_racing_all_count(active_loan, world, cashier):
    open_drawer(cashier)

    def work(index):
        if index % 2:
            return servicing.loan_repay(actor=cashier, loan=active_loan.pk, amount="150.00", channel="cash")
        return servicing.loan_repay(actor=world["user"], loan=active_loan.pk, amount="150.00")

    results = run_threads(6, work)
    assert all(isinstance(r, LoanTransaction) for r in results), results
    assert paid_total(active_loan) == Decimal("900.00")
    repaid = LoanTransaction.objects.filter(loan=active_loan, kind="repayment").aggregate(s=Sum("principal"))["s"]
    receivable = Posting.objects.filter(gl_account__code="1100").aggregate(d=Sum("debit"), c=Sum("credit"))
    assert receivable["d"] - receivable["c"] == Decimal("8000.00") - repaid
