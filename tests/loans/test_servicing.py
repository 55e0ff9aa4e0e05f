"""Disbursal and repayments: the journal entries, the fixed schedule, allocation and refusals."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from apps.audit.models import AuditEvent
from apps.ledger.errors import LedgerError
from apps.ledger.models import GLAccount, Posting, Transaction
from apps.loans import servicing
from apps.loans.models import Loan, LoanGuarantee, LoanTransaction
from tests.ledger.factories import open_drawer

pytestmark = pytest.mark.django_db
D = Decimal


def gl_balance(code):
    rows = Posting.objects.filter(gl_account__code=code)
    debit = sum((p.debit for p in rows), D("0"))
    credit = sum((p.credit for p in rows), D("0"))
    return debit - credit


def test_disbursal_is_one_entry_into_the_account_with_fees_kept_back(approved_loan, manager, world):
    before = world["account"].balance
    result = servicing.loan_disburse(actor=manager, loan=approved_loan)
    approved_loan.refresh_from_db()
    world["account"].refresh_from_db()
    assert approved_loan.status == Loan.Status.ACTIVE and approved_loan.disbursed_by == manager
    # 1 % processing fee deducted at disbursal: 8,000 owed, 7,920 paid in
    assert world["account"].balance == before + D("7920.00")
    entry = result.journal_entry
    lines = {(p.gl_account.code, p.debit, p.credit) for p in entry.postings.all()}
    assert ("1100", D("8000.00"), D("0")) in lines and ("4010", D("0"), D("80.00")) in lines
    assert result.transaction.purpose == servicing.PURPOSE_DISBURSAL
    instalments = list(approved_loan.instalments.all())
    assert len(instalments) == 12 and sum(i.principal for i in instalments) == D("8000.00")
    assert AuditEvent.objects.filter(action="loan.disburse", target_id=str(approved_loan.pk)).exists()


def test_a_second_disbursal_is_refused_and_posts_nothing(active_loan, manager):
    count = Posting.objects.count()
    with pytest.raises(LedgerError) as exc:
        servicing.loan_disburse(actor=manager, loan=active_loan)
    assert exc.value.code == "already_disbursed" and Posting.objects.count() == count


def test_a_retry_with_the_same_key_disburses_once(approved_loan, manager):
    first = servicing.loan_disburse(actor=manager, loan=approved_loan, idempotency_key="k-1")
    again = servicing.loan_disburse(actor=manager, loan=approved_loan, idempotency_key="k-1")
    assert first.pk == again.pk and LoanTransaction.objects.filter(kind="disbursal").count() == 1


def test_cash_disbursal_pays_from_the_cashiers_drawer(approved_loan, cashier):
    drawer = open_drawer(cashier)
    result = servicing.loan_disburse(actor=cashier, loan=approved_loan, channel="cash")
    credit = result.journal_entry.postings.get(gl_account=drawer.gl_account)
    assert credit.credit == D("7920.00")


def test_customers_do_not_disburse(approved_loan, world):
    with pytest.raises(PermissionDenied):
        servicing.loan_disburse(actor=world["user"], loan=approved_loan)


def test_a_repayment_from_the_account_pays_the_first_instalment_interest_first(active_loan, world):
    first = active_loan.instalments.order_by("number").first()
    world["account"].refresh_from_db()
    before = world["account"].balance
    result = servicing.loan_repay(actor=world["user"], loan=active_loan, amount="200.00")
    assert result.interest == first.interest and result.principal == D("200.00") - first.interest
    world["account"].refresh_from_db()
    assert world["account"].balance == before - D("200.00")
    assert result.transaction.transaction_type == Transaction.Type.PAYMENT
    # interest paid before any accrual goes straight to income
    assert gl_balance("4000") == -first.interest


def test_paying_the_payoff_closes_the_loan_and_releases_the_guarantee(active_loan, world, cashier):
    open_drawer(cashier)
    quote = servicing.payoff_quote(active_loan, active_loan.disbursed_on)
    servicing.loan_repay(actor=cashier, loan=active_loan, amount=str(quote["total"]), channel="cash")
    active_loan.refresh_from_db()
    assert active_loan.status == Loan.Status.CLOSED
    assert active_loan.guarantees.get().status == LoanGuarantee.Status.RELEASED
    world["g_account"].refresh_from_db()
    assert world["g_account"].held_balance == 0
    assert gl_balance("1100") == 0  # loans receivable back to nothing


def test_more_than_the_payoff_is_refused(active_loan, world):
    quote = servicing.payoff_quote(active_loan, active_loan.disbursed_on)
    with pytest.raises(LedgerError) as exc:
        servicing.loan_repay(actor=world["user"], loan=active_loan, amount=str(quote["total"] + D("0.01")))
    assert exc.value.code == "over_payoff"
    assert not LoanTransaction.objects.filter(kind="repayment").exists()


@pytest.mark.parametrize("amount", ["0", "-5", "10.001", "abc"])
def test_bad_amounts_are_refused(active_loan, world, amount):
    with pytest.raises(ValidationError):
        servicing.loan_repay(actor=world["user"], loan=active_loan, amount=amount)


def test_another_customer_cannot_repay_from_their_account(active_loan, make_user):
    with pytest.raises(PermissionDenied):
        servicing.loan_repay(actor=make_user("customer"), loan=active_loan, amount="10.00")


def test_repaying_a_closed_loan_is_refused(active_loan, world, cashier):
    open_drawer(cashier)
    quote = servicing.payoff_quote(active_loan, active_loan.disbursed_on)
    servicing.loan_repay(actor=cashier, loan=active_loan, amount=str(quote["total"]), channel="cash")
    with pytest.raises(LedgerError) as exc:
        servicing.loan_repay(actor=world["user"], loan=active_loan, amount="10.00")
    assert exc.value.code == "loan_closed"


def test_the_books_balance_after_disbursal_and_repayment(active_loan, world):
    servicing.loan_repay(actor=world["user"], loan=active_loan, amount="500.00")
    assert sum(p.debit - p.credit for p in Posting.objects.all()) == 0
    assert GLAccount.objects.filter(code="1100").exists()


def test_a_capitalised_fee_is_owed_and_the_preview_shows_the_schedule_disbursal_fixes(world, manager,
                                                                                     operations_manager):
    from apps.loans import applications
    from apps.loans.models import LoanProduct, LoanProductFee
    from apps.loans.services import schedule_preview

    product = world["product"]
    LoanProductFee.objects.create(product=product, name="Insurance", kind="percent", amount=D("0.5"),
                                  when="capitalised")
    product = LoanProduct.objects.get(pk=product.pk)
    loan = applications.loan_apply(actor=world["user"], product=product, amount="4000.00", term=6, purpose="Rent",
                                   account=world["account"],
                                   guarantors=[{"member": world["guarantor"], "amount": "100.00"}])
    applications.guarantee_accept(actor=world["g_user"], guarantee=loan.guarantees.get())
    applications.loan_approve(actor=manager, loan=loan)
    result = servicing.loan_disburse(actor=manager, loan=loan)
    assert result.principal == D("4020.00")  # 4,000 lent + 0.5 % insurance owed
    assert result.transaction.amount == D("3960.00")  # less the 1 % processing fee kept back
    preview = schedule_preview(product=product, principal=D("4000.00"), term=6, disbursement_date=result.value_date)
    fixed = [(i.due_date, i.principal, i.interest) for i in loan.instalments.order_by("number")]
    assert fixed == [(i.due_date, i.principal, i.interest) for i in preview.instalments]


def test_a_field_repayment_is_counted_in_the_bankers_remittance(active_loan, world, mobile_banker,
                                                                operations_manager):
    from apps.cash.services import collection_run_for, field_cash_expected
    from apps.members.services import member_assign

    with pytest.raises(PermissionDenied):
        servicing.loan_repay(actor=mobile_banker, loan=active_loan, amount="40.00")
    member_assign(actor=operations_manager, member=world["member"], banker=mobile_banker)
    result = servicing.loan_repay(actor=mobile_banker, loan=active_loan, amount="40.00")
    assert result.channel == "field" and result.transaction.channel == "field"
    assert field_cash_expected(collection_run_for(mobile_banker).gl_account) == D("40.00")


def test_a_review_shows_the_split_and_posts_nothing(active_loan, world):
    count = Posting.objects.count()
    first = active_loan.instalments.order_by("number").first()
    review = servicing.loan_repay(actor=world["user"], loan=active_loan, amount="200.00", review=True)
    assert review.interest == first.interest and review.principal == D("200.00") - first.interest
    assert Posting.objects.count() == count and not LoanTransaction.objects.filter(kind="repayment").exists()
    with pytest.raises(LedgerError):
        servicing.loan_repay(actor=world["user"], loan=active_loan, amount="99999.00", review=True)


def test_a_disbursal_is_not_dated_before_the_approval_nor_in_the_future(approved_loan, manager):
    from datetime import timedelta

    assert approved_loan.decided_on is not None
    for day in (approved_loan.decided_on - timedelta(days=1), approved_loan.decided_on + timedelta(days=1)):
        with pytest.raises(ValidationError):
            servicing.loan_disburse(actor=manager, loan=approved_loan, disbursement_date=day)
    assert not LoanTransaction.objects.exists()
