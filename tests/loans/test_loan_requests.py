"""Acts a second manager approves: write-off, disbursal reversal, backdated repayment; and the standing
instruction end of day runs."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from apps.ledger.errors import LedgerError
from apps.ledger.models import Posting
from apps.loans import servicing
from apps.loans.models import Loan, LoanGuarantee, LoanInstalment, LoanPenalty, LoanRequest, LoanTransaction
from tests.ledger.factories import on_day, open_drawer

pytestmark = pytest.mark.django_db
D = Decimal


def gl(code):
    return sum((p.debit - p.credit for p in Posting.objects.filter(gl_account__code=code)), D("0"))


def books_balance():
    return sum((p.debit - p.credit for p in Posting.objects.all()), D("0")) == 0


def test_write_off_waits_for_a_second_manager_then_posts(active_loan, manager, second_manager, world):
    req = servicing.loan_request_create(actor=manager, loan=active_loan, kind="write_off", reason="Absconded")
    active_loan.refresh_from_db()
    assert active_loan.status == Loan.Status.ACTIVE and gl("5100") == 0
    with pytest.raises(PermissionDenied):
        servicing.loan_request_approve(actor=manager, loan_request=req)
    servicing.loan_request_approve(actor=second_manager, loan_request=req)
    active_loan.refresh_from_db()
    assert active_loan.status == Loan.Status.WRITTEN_OFF
    assert gl("5100") == D("8000.00") and gl("1100") == 0
    assert active_loan.guarantees.get().status == LoanGuarantee.Status.RELEASED
    # a payment after the write-off is a recovery
    result = servicing.loan_repay(actor=world["user"], loan=active_loan, amount="300.00")
    assert result.kind == LoanTransaction.Kind.RECOVERY and gl("4040") == D("-300.00")
    assert books_balance()


def test_only_managers_ask_for_a_write_off_and_a_reason_is_needed(active_loan, cashier, manager):
    with pytest.raises(PermissionDenied):
        servicing.loan_request_create(actor=cashier, loan=active_loan, kind="write_off", reason="x")
    with pytest.raises(ValidationError):
        servicing.loan_request_create(actor=manager, loan=active_loan, kind="write_off", reason=" ")


def test_one_pending_request_of_a_kind_per_loan(active_loan, manager):
    servicing.loan_request_create(actor=manager, loan=active_loan, kind="write_off", reason="Absconded")
    with pytest.raises(LedgerError) as exc:
        servicing.loan_request_create(actor=manager, loan=active_loan, kind="write_off", reason="Again")
    assert exc.value.code == "request_pending"


def test_a_rejected_request_posts_nothing(active_loan, manager, second_manager):
    req = servicing.loan_request_create(actor=manager, loan=active_loan, kind="write_off", reason="Absconded")
    count = Posting.objects.count()
    servicing.loan_request_reject(actor=second_manager, loan_request=req, reason="Still paying")
    req.refresh_from_db()
    assert req.status == LoanRequest.Status.REJECTED and Posting.objects.count() == count


def test_disbursal_reversal_before_any_repayment_undoes_it(active_loan, cashier, manager, world):
    world["account"].refresh_from_db()
    before = world["account"].balance
    req = servicing.loan_request_create(actor=cashier, loan=active_loan, kind="disbursal_reversal",
                                        reason="Keyed on the wrong member")
    servicing.loan_request_approve(actor=manager, loan_request=req)
    active_loan.refresh_from_db()
    world["account"].refresh_from_db()
    assert active_loan.status == Loan.Status.APPROVED and active_loan.disbursed_on is None
    assert world["account"].balance == before - D("7920.00")
    assert gl("1100") == 0 and gl("4010") == 0 and books_balance()
    assert not LoanInstalment.objects.filter(loan=active_loan).exists()
    # and it can be disbursed again
    servicing.loan_disburse(actor=manager, loan=active_loan)


def test_disbursal_reversal_is_refused_after_a_repayment(active_loan, cashier, world):
    servicing.loan_repay(actor=world["user"], loan=active_loan, amount="100.00")
    with pytest.raises(LedgerError) as exc:
        servicing.loan_request_create(actor=cashier, loan=active_loan, kind="disbursal_reversal", reason="x")
    assert exc.value.code == "loan_has_repayments"


def test_a_backdated_repayment_reallocates_and_waives_penalties_it_prevented(active_loan, cashier, manager, world):
    first = active_loan.instalments.order_by("number").first()
    # end of day charged a penalty on instalment 1, five days after it fell due
    LoanPenalty.objects.create(instalment=first, period=0, charged_on=first.due_date + timedelta(days=5),
                               amount=D("10.00"))
    LoanInstalment.objects.filter(pk=first.pk).update(penalties=D("10.00"))
    on_day(first.due_date + timedelta(days=10))
    open_drawer(cashier)
    # a later payment today takes the penalty first
    today = servicing.loan_repay(actor=cashier, loan=active_loan, amount="100.00", channel="cash")
    assert today.penalties == D("10.00")
    # the member had paid the whole instalment in cash on its due date
    req = servicing.loan_request_create(actor=cashier, loan=active_loan, kind="backdated_repayment",
                                        reason="Receipt book entry", amount=str(first.principal + first.interest),
                                        value_date=first.due_date, channel="cash")
    servicing.loan_request_approve(actor=manager, loan_request=req)
    first.refresh_from_db()
    assert first.penalties == 0 and first.outstanding == 0 and first.paid_on == first.due_date
    assert LoanPenalty.objects.get().waived
    today.refresh_from_db()
    assert today.penalties == 0  # the later payment now goes to instalment 2
    assert gl("4030") == 0 and books_balance()


def test_a_backdated_date_must_be_before_today(active_loan, cashier):
    with pytest.raises(ValidationError):
        servicing.loan_request_create(actor=cashier, loan=active_loan, kind="backdated_repayment", reason="x",
                                      amount="10.00", value_date=active_loan.disbursed_on + timedelta(days=400),
                                      channel="cash")


def test_standing_instruction_pays_what_is_due_as_far_as_funds_allow(active_loan, manager, world):
    first = active_loan.instalments.order_by("number").first()
    on_day(first.due_date)
    result = servicing.standing_instruction_collect(actor=manager, loan=active_loan, business_date=first.due_date)
    assert result.amount == first.total and result.channel == "standing_instruction"
    again = servicing.standing_instruction_collect(actor=manager, loan=active_loan, business_date=first.due_date)
    assert again is None
    assert books_balance()


def test_without_the_standing_instruction_nothing_is_collected(active_loan, manager, world, make_user):
    first = active_loan.instalments.order_by("number").first()
    with pytest.raises(PermissionDenied):
        servicing.loan_standing_instruction_set(actor=make_user("customer"), loan=active_loan, on=False)
    servicing.loan_standing_instruction_set(actor=world["user"], loan=active_loan, on=False)
    on_day(first.due_date)
    assert servicing.standing_instruction_collect(actor=manager, loan=active_loan,
                                                  business_date=first.due_date) is None
