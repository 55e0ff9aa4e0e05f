"""The demo loans (apps/demo/lending.py, fixtures/demo/loans.json) on a small seed: a dozen members over
the last months up to yesterday, the loans made on their history days and aged by each day's end of day."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.demo import history as demo
from apps.demo.cash_desk import CashDesk
from apps.demo.lending import customer_can_borrow_again, loan_figures
from apps.demo.staff import demo_staff, seed_users
from apps.ledger.management.commands.verify_ledger import find_differences
from apps.loans.applications import open_guarantee_requests
from apps.loans.models import Loan, LoanGuarantee, LoanRequest, LoanTransaction
from apps.members.models import Member

pytestmark = pytest.mark.django_db

MEMBERS = 12


def seed():
    staff = demo_staff()
    desk = CashDesk(cashier=staff.cashier, banker=staff.banker, manager=staff.manager)
    today = timezone.localdate()
    return demo.seed_banking(desk=desk, member_count=MEMBERS, window=(today - timedelta(days=110),
                                                                      today - timedelta(days=1)))


def test_loans_in_every_state_and_the_demo_customer_can_borrow_again():
    seed_users(password="Demo-password-2026")
    staff = demo_staff()
    result = seed()

    assert "loans" not in result["note"], result["note"]
    assert find_differences() == []
    statuses = set(Loan.objects.values_list("status", flat=True))
    assert statuses == set(Loan.Status.values), statuses
    # every history loan was paid out on a past business day and its end-of-day runs aged it
    active = Loan.objects.filter(status=Loan.Status.ACTIVE)
    assert all(loan.disbursed_on < timezone.localdate() for loan in active)
    assert active.filter(days_in_arrears__gt=0, standing_instruction=False).count() >= 3
    assert not active.filter(days_in_arrears__gt=0, standing_instruction=True).exists()
    buckets = {loan.delinquency_bucket for loan in active}
    assert {"current", "1-30", "31-60"} <= buckets, buckets
    assert LoanTransaction.objects.filter(kind=LoanTransaction.Kind.REPAYMENT, channel="standing_instruction").exists()
    written_off = Loan.objects.get(status=Loan.Status.WRITTEN_OFF)
    request = LoanRequest.objects.get(loan=written_off)
    assert (request.requested_by, request.decided_by) == (staff.manager, staff.second_manager)
    assert written_off.transactions.filter(kind=LoanTransaction.Kind.RECOVERY).exists()
    assert Loan.objects.get(status=Loan.Status.REJECTED).decision_note
    assert LoanGuarantee.objects.filter(status__in=(LoanGuarantee.Status.ACCEPTED,
                                                    LoanGuarantee.Status.RELEASED)).exists()

    # the demo customer: one active loan, current today; a guarantee request waiting; eligible for one more
    kwame = Member.objects.get(user=staff.customer)
    loans = Loan.objects.filter(member=kwame)
    assert [(loan.status, loan.days_in_arrears) for loan in loans] == [(Loan.Status.ACTIVE, 0)]
    assert loans.get().transactions.filter(kind=LoanTransaction.Kind.REPAYMENT).exists()
    assert open_guarantee_requests(staff.customer).count() == 1
    failed = [rule for rule in customer_can_borrow_again(kwame) if not rule.passed]
    assert failed == [], failed

    figures = loan_figures(timezone.localdate())
    assert figures["by_status"]["written off"] == 1 and figures["gross"] > 0 and figures["recovered"] > 0

    # a second run adds nothing
    counts = (Loan.objects.count(), LoanTransaction.objects.count(), LoanGuarantee.objects.count())
    again = seed()
    assert again["seconds"] is None
    assert (Loan.objects.count(), LoanTransaction.objects.count(), LoanGuarantee.objects.count()) == counts
