"""The working calendar: operations configures holidays and non-working days; repayment due dates move off them."""

from datetime import date
from decimal import Decimal

import pytest

from apps.core.calendar import working_calendar
from apps.core.models import Holiday, NonWorkingWeekday
from apps.loans.services import loan_product_create, schedule_preview
from tests.loans.conftest import product_fields

pytestmark = pytest.mark.django_db


@pytest.fixture
def monthly_loan(operations_manager):
    return loan_product_create(actor=operations_manager, fees=[], **product_fields(guarantors_required=0))


def due_dates(product):
    schedule = schedule_preview(product=product, principal=Decimal("1200.00"), term=3,
                                disbursement_date=date(2027, 1, 15))
    return [row.due_date for row in schedule.instalments]


def test_nothing_moves_until_operations_configures_a_day(monthly_loan):
    assert working_calendar().holidays == frozenset() and working_calendar().non_working_weekdays == frozenset()
    assert due_dates(monthly_loan) == [date(2027, 2, 15), date(2027, 3, 15), date(2027, 4, 15)]


def test_a_due_date_on_a_holiday_or_a_non_working_day_moves_to_the_next_working_day(monthly_loan):
    Holiday.objects.create(date=date(2027, 2, 15), name="Branch closed for stock-taking")
    NonWorkingWeekday.objects.create(weekday=NonWorkingWeekday.Weekday.MONDAY)  # 15 Mar 2027 is a Monday
    assert due_dates(monthly_loan) == [date(2027, 2, 16), date(2027, 3, 16), date(2027, 4, 15)]


@pytest.fixture
def console_for(staff_client, totp_device):
    def make(user):
        if user.role in ("manager", "operations_manager", "admin"):
            totp_device(user)
        return staff_client(user)

    return make


def test_operations_keeps_the_calendar_and_a_cashier_cannot(console_for, operations_manager, cashier):
    ops = console_for(operations_manager)
    assert ops.get("/admin/core/holiday/add/").status_code == 200
    added = ops.post("/admin/core/holiday/add/", {"date": "2027-03-06", "name": "Independence Day"})
    assert added.status_code == 302 and Holiday.objects.filter(name="Independence Day").exists()
    assert Holiday.objects.get(name="Independence Day").history.count() == 1
    assert console_for(cashier).get("/admin/core/holiday/").status_code == 403
