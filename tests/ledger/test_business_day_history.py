"""Posting history day by day, as a bank moving its books from another system would: past business dates
opened on request (never one already used), each closed with its end of day run at once, and accounts
dated by the business day they were opened on, not by the row's timestamp."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.cash import services as cash
from apps.core.models import BusinessDay, EndOfDayRun
from apps.ledger import services
from apps.ledger.business_days import business_day_close, business_day_open

from .factories import make_member, open_account, open_drawer

pytestmark = pytest.mark.django_db


def test_a_past_date_opens_only_when_history_is_asked_for_and_dates_only_move_forward(operations_manager):
    today = timezone.localdate()
    with pytest.raises(ValidationError, match="in the past"):
        business_day_open(actor=operations_manager, day=today - timedelta(days=30))

    day = business_day_open(actor=operations_manager, day=today - timedelta(days=30), history=True)

    assert (day.date, day.status) == (today - timedelta(days=30), BusinessDay.Status.OPEN)
    event = AuditEvent.objects.get(action="business_day.open")
    assert event.details.get("history") is True  # the log tells history days from live ones
    business_day_close(actor=operations_manager, wait=True)
    with pytest.raises(ValidationError, match="already used"):
        business_day_open(actor=operations_manager, day=today - timedelta(days=31), history=True)
    with pytest.raises(ValidationError, match="already used"):
        business_day_open(actor=operations_manager, day=today - timedelta(days=30), history=True)


def test_close_with_wait_runs_the_end_of_day_at_once_and_postings_carry_the_open_date(
        operations_manager, cashier):
    past = timezone.localdate() - timedelta(days=10)
    business_day_open(actor=operations_manager, day=past, history=True)
    member = make_member(registrar=cashier, verifier=operations_manager)
    account = open_account(actor=cashier, member=member)
    open_drawer(cashier)
    txn = services.deposit_create(actor=cashier, account=account, amount=Decimal("50.00"))
    drawer = cash.current_drawer(cashier)
    cash.drawer_close(actor=cashier, drawer=drawer, denominations={"200.00": 500, "50.00": 1})

    run = business_day_close(actor=operations_manager, wait=True)

    assert run.status == EndOfDayRun.Status.COMPLETED and run.business_date == past
    assert BusinessDay.objects.get(date=past).status == BusinessDay.Status.CLOSED
    assert txn.business_date == past and txn.created_at.date() > past  # booked on the day, written now
    account.refresh_from_db()
    assert account.opened_on == past  # the business date it was opened on, not the row's timestamp


def test_an_account_is_opened_on_the_open_business_date(operations_manager, cashier):
    business_day_open(actor=operations_manager, day=timezone.localdate() + timedelta(days=1))
    member = make_member(registrar=cashier, verifier=operations_manager)

    account = open_account(actor=cashier, member=member)

    assert account.opened_on == timezone.localdate() + timedelta(days=1)
