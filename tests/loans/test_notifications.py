"""Loans tell people: managers about an application waiting for a decision; the member about an
instalment falling due and one overdue, from the end-of-day ageing step, once each."""

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from apps.loans import applications, eod, servicing
from apps.loans.models import Loan
from apps.messaging.models import Notification
from tests.ledger.factories import on_day

pytestmark = pytest.mark.django_db

DISBURSED = date(2025, 12, 31)  # instalments fall due on 31 Jan, 28 Feb, 31 Mar, ...


@pytest.fixture
def loan(approved_loan, manager):
    on_day(DISBURSED)
    Loan.objects.filter(pk=approved_loan.pk).update(decided_on=date(2025, 12, 30), standing_instruction=False)
    approved_loan.refresh_from_db()
    servicing.loan_disburse(actor=manager, loan=approved_loan)
    approved_loan.refresh_from_db()
    return approved_loan


def told(kind):
    return list(Notification.objects.filter(kind=kind).order_by("pk"))


def test_an_application_tells_the_managers_with_a_link_to_it(world, manager, make_user):
    second = make_user("manager")
    loan = applications.loan_apply(actor=world["user"], product=world["product"], amount="8000.00", term=12,
                                   purpose="Stock for the shop", account=world["account"],
                                   guarantors=[{"member": world["guarantor"], "amount": "3000.00"}])
    rows = told("loans.application_waiting")
    managers = get_user_model().objects.filter(role="manager", is_active=True).values_list("pk", flat=True)
    assert {manager.pk, second.pk} <= set(managers)
    assert sorted(r.user_id for r in rows) == sorted(managers)  # every active manager, nobody else
    assert all(r.link == f"/admin/loans/loan/{loan.pk}/change/" for r in rows)
    assert loan.number in rows[0].title and "Stock for the shop" in rows[0].body


def ageing(day, actor):
    on_day(day)
    return eod.arrears_ageing(business_date=day, actor=actor)


def test_the_member_is_reminded_before_an_instalment_falls_due_once(loan, world, operations_manager):
    assert ageing(date(2026, 1, 27), operations_manager)["loan_due_notices"] == 0  # four days before
    assert ageing(date(2026, 1, 28), operations_manager)["loan_due_notices"] == 1  # three days before
    [row] = told("loans.instalment_due")
    assert row.user_id == world["user"].pk and row.link == f"/my/loans/{loan.pk}/"
    assert "due on 31 Jan 2026" in row.title and loan.number in row.title
    for day in (date(2026, 1, 28), date(2026, 1, 29)):  # a re-run, the next day: not again
        assert ageing(day, operations_manager)["loan_due_notices"] == 0
    assert len(told("loans.instalment_due")) == 1


def test_the_member_is_told_once_when_an_instalment_is_overdue(loan, world, operations_manager,
                                                              django_capture_on_commit_callbacks):
    assert ageing(date(2026, 1, 31), operations_manager)["loan_overdue_notices"] == 0  # due today, not late
    with django_capture_on_commit_callbacks(execute=True):
        result = ageing(date(2026, 2, 1), operations_manager)
    assert result["loan_in_arrears"] == 1 and result["loan_overdue_notices"] == 1
    [row] = told("loans.instalment_overdue")
    assert row.user_id == world["user"].pk and "overdue" in row.title and "31 January 2026" in row.body
    assert [m.to for m in mail.outbox] == [[world["user"].email]]  # overdue is e-mailed by default
    for day in (date(2026, 2, 1), date(2026, 2, 2)):
        assert ageing(day, operations_manager)["loan_overdue_notices"] == 0
    assert len(told("loans.instalment_overdue")) == 1


def test_a_paid_instalment_is_neither_reminded_nor_overdue(loan, world, manager, operations_manager):
    servicing.loan_repay(actor=manager, loan=loan, amount="756.48", channel="account")
    assert ageing(date(2026, 1, 29), operations_manager)["loan_due_notices"] == 0
    assert ageing(date(2026, 2, 1), operations_manager)["loan_overdue_notices"] == 0
