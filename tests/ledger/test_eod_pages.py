"""The operations manager's business-day and dividend pages in the staff console."""

import re
from datetime import date

import pytest
from django.utils import timezone

from apps.core.models import BusinessDay, EndOfDayRun
from tests.support import add_totp_device, staff_client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def ops(operations_manager):
    add_totp_device(operations_manager)
    return staff_client_for(operations_manager)


def test_close_and_open_the_business_day_from_the_console(ops, django_capture_on_commit_callbacks):
    BusinessDay.objects.create(date=timezone.localdate())
    page = ops.get("/admin/business-day/")
    assert page.status_code == 200 and "is <strong>open</strong>" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = ops.post("/admin/business-day/", {"action": "close"})
    assert response.status_code == 302
    assert EndOfDayRun.objects.get().status == EndOfDayRun.Status.COMPLETED
    page = ops.get("/admin/business-day/").content.decode()
    assert "Ledger check" in page and "Completed" in page
    ops.post("/admin/business-day/", {"action": "open"})
    assert BusinessDay.objects.filter(status="open").count() == 1


def test_closing_twice_shows_the_reason(ops):
    BusinessDay.objects.create(date=timezone.localdate(), status=BusinessDay.Status.CLOSING)
    response = ops.post("/admin/business-day/", {"action": "close"}, follow=True)
    assert "close it before" not in response.content.decode()
    assert "already closing" in response.content.decode()


def test_a_stopped_run_is_flagged_in_the_sidebar_with_a_resume_button(ops, operations_manager):
    day = BusinessDay.objects.create(date=timezone.localdate(), status=BusinessDay.Status.CLOSING)
    run = EndOfDayRun.objects.create(business_date=day.date, started_by=operations_manager,
                                     status=EndOfDayRun.Status.FAILED)
    page = ops.get("/admin/").content.decode()
    badge = re.search(r'href="/admin/business-day/".*?</a>', page, re.S).group(0)
    assert re.search(r">\s*1\s*<", badge), "the Business day item carries a badge with one stopped run"
    assert f'name="run" value="{run.pk}"' in ops.get("/admin/business-day/").content.decode()


def test_cashier_cannot_use_the_business_day_page(cashier):
    assert staff_client_for(cashier).get("/admin/business-day/").status_code == 403


def test_dividend_preview_refuses_an_absurd_rate(ops):
    response = ops.post("/admin/dividends/", {"period_start": "2025-01-01", "period_end": "2025-12-31",
                                              "rate": "150"}, follow=True)
    assert "above 100%" in response.content.decode()
    response = ops.post("/admin/dividends/", {"period_start": "2025-01-01", "period_end": "2025-12-31",
                                              "rate": "8"})
    assert response.status_code == 302 and "preview=" in response.url
    assert date(2025, 12, 31).strftime("%Y") in ops.get(response.url).content.decode()
