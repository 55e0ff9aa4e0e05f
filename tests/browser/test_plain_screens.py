"""The screens of issue 12, clicked through in a real browser: closing the business day through its
checklist, each role's console home, the audit log and job schedule in words, a Susu strip that is
green where the member paid, collection runs with their own figures, large cash, and branded error pages."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.cash import services as cash
from apps.cash.models import CashPolicy
from apps.core.models import EndOfDayRun
from apps.ledger import contributions
from apps.ledger import services as ledger
from apps.members.services import member_assign
from tests.ledger.factories import make_member, on_day, open_account, open_drawer, opened

from ..support import PASSWORD, add_totp_device, totp_code
from .pages import BROWSER_TEST, SHOTS, new_page

pytestmark = BROWSER_TEST


def sign_in(page, user):
    device = add_totp_device(user) if user.role in ("manager", "operations_manager", "admin") else None
    page.goto("/admin/login/")
    page.fill("input[name=username]", user.email)
    page.fill("input[name=password]", PASSWORD)
    if device is not None:
        page.fill("input[name=otp_token]", totp_code(device))
    page.click("#login-form button[type=submit]")
    page.wait_for_load_state()


@pytest.fixture
def world(make_user):
    """Today open; a cashier with an open drawer and a deposit; a banker who collected once."""
    on_day(timezone.localdate())
    people = {
        "manager": make_user("manager", first_name="Efua", last_name="Mensah"),
        "operations": make_user("operations_manager", first_name="Kojo", last_name="Annan"),
        "cashier": make_user("cashier", first_name="Ama", last_name="Owusu"),
        "banker": make_user("mobile_banker", first_name="Kwame", last_name="Asante"),
    }
    open_drawer(people["cashier"], Decimal("2000.00"))
    member = make_member(registrar=people["cashier"], verifier=people["operations"], first_name="Esi",
                         last_name="Quaye")
    account = open_account(actor=people["cashier"], member=member)
    ledger.deposit_create(actor=people["cashier"], account=account, amount="600.00")
    member_assign(actor=people["manager"], member=member, banker=people["banker"])
    cash.field_collect(actor=people["banker"], account=account, amount="25.00", idempotency_key="b-1")
    return {**people, "account": account}


def test_closing_the_day_goes_through_the_checklist(browser, live_server, world):
    from playwright.sync_api import expect

    context, page = new_page(browser, live_server, 1400, 900)
    sign_in(page, world["operations"])
    page.goto(reverse("admin:business_day"))
    checklist = page.get_by_test_id("closing-checklist")
    expect(checklist).to_contain_text("Cashier drawers still open")
    expect(checklist).to_contain_text("Kwame Asante has not remitted the field cash")
    expect(page.get_by_test_id("close-blocked")).to_contain_text("2 checklist items still open")
    expect(page.get_by_role("button", name="Close")).to_be_disabled()
    # The drawer's link opens the drawer.
    expect(checklist.get_by_role("link", name="Open").first).to_have_attribute("href", "/admin/cash/cashdrawer/"
                                                                               f"{cash.current_drawer(world['cashier']).pk}/change/")
    # An override without a reason is refused by the page; with one it is recorded.
    item = page.get_by_test_id("checklist-item").filter(has=page.get_by_role("button", name="Override")).first
    item.get_by_role("textbox").evaluate("box => box.removeAttribute('minlength')")
    item.get_by_role("textbox").fill("ok")
    item.get_by_role("button", name="Override").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Say why this item may stay open")).to_be_visible()
    expect(page.get_by_test_id("override")).to_have_count(0)
    for _ in range(2):
        item = page.get_by_test_id("checklist-item").filter(has=page.get_by_role("button", name="Override")).first
        item.get_by_role("textbox").fill("Cashier still counting; carried to tomorrow")
        item.get_by_role("button", name="Override").click()
        page.wait_for_load_state()
    expect(page.get_by_test_id("override")).to_have_count(2)
    expect(page.get_by_test_id("close-ready")).to_be_visible()
    page.get_by_role("button", name="Close").click()
    page.wait_for_load_state()
    expect(page.get_by_text("End of day started")).to_be_visible()
    page.goto(reverse("admin:business_day"))
    report = page.get_by_test_id("eod-report").first
    expect(report).to_contain_text("Drawers not closed: 1")
    expect(report).to_contain_text("Field cash not remitted: GH₵ 25.00")
    expect(report).not_to_contain_text("drawers_not_closed")
    page.screenshot(path=str(SHOTS / "business-day-checklist.png"), full_page=True)
    assert EndOfDayRun.objects.get().status == EndOfDayRun.Status.COMPLETED
    context.close()


def test_each_role_sees_its_own_work_on_the_console_home(browser, live_server, world):
    from playwright.sync_api import expect

    policy = CashPolicy.current()
    policy.cash_report_threshold = Decimal("500.00")
    policy.save()
    for role, testid, figure, value in (
            ("cashier", "dashboard-cashier", "drawer-expected", "GH₵ 2,600.00"),
            ("banker", "dashboard-banker", "banker-collected", "GH₵ 25.00"),
            ("manager", "dashboard-manager", "manager-large-cash", "1"),
            ("operations", "dashboard-operations", "ops-day", timezone.localdate().strftime("%a %d %b %Y"))):
        context, page = new_page(browser, live_server, 1400, 900)
        sign_in(page, world[role])
        page.goto("/admin/")
        expect(page.get_by_test_id(testid)).to_be_visible()
        expect(page.get_by_test_id(figure)).to_have_text(value)
        if role in ("cashier", "banker"):
            expect(page.get_by_test_id(testid).locator("canvas.chart")).to_be_visible()  # drawn by unfold's Chart.js
            expect(page.get_by_test_id("dashboard-security")).to_have_count(0)
        page.screenshot(path=str(SHOTS / f"dashboard-{role}.png"), full_page=True)
        if role == "manager":
            page.get_by_test_id(testid).get_by_role("link").filter(has_text="Large cash today").click()
            page.wait_for_load_state()
            expect(page.get_by_test_id("cash-report-threshold")).to_have_text("GH₵ 500.00")
            expect(page.locator("#result_list")).to_contain_text("600.00")
            expect(page.locator("#result_list")).to_contain_text("Cash deposit")
        context.close()


def test_the_audit_log_and_the_job_schedule_speak_in_words(browser, live_server, world):
    from django_q.models import Schedule
    from playwright.sync_api import expect

    Schedule.objects.create(name="Close the business day", func="apps.ledger.tasks.scheduled_end_of_day",
                            schedule_type=Schedule.DAILY, repeats=-1,
                            next_run=timezone.now() + timedelta(hours=3))
    context, page = new_page(browser, live_server, 1400, 900)
    sign_in(page, world["operations"])
    page.goto("/admin/audit/auditevent/")
    results = page.locator("#result_list")
    expect(results).to_contain_text("Cash drawer opened")
    expect(results).to_contain_text("Float issued to a cashier")
    expect(page.locator("body")).not_to_contain_text("cash.drawer_open")
    expect(page.locator("body")).not_to_contain_text("Target repr")
    page.goto("/admin/django_q/schedule/")
    expect(page.locator("#result_list")).to_contain_text("Forever")
    expect(page.locator("#result_list")).to_contain_text("Not run yet")
    expect(page.locator("#result_list")).not_to_contain_text("-1")
    # No sidebar counter reads NONE when nothing waits.
    expect(page.get_by_text("None", exact=True)).to_have_count(0)
    page.screenshot(path=str(SHOTS / "schedule.png"), full_page=True)
    context.close()


def test_a_susu_strip_is_green_on_the_days_the_member_paid(browser, live_server, world):
    from playwright.sync_api import expect

    cashier = world["cashier"]
    member = make_member(registrar=cashier, verifier=world["operations"], first_name="Abena", last_name="Ofori")
    susu = open_account(actor=cashier, member=member)
    contributions.contribution_set(actor=cashier, account=susu, amount="10.00")
    today = timezone.localdate()
    opened(susu, today - timedelta(days=5))
    for back in range(4, 0, -1):  # missed the first day, then paid every day up to yesterday
        on_day(today - timedelta(days=back))
        ledger.deposit_create(actor=cashier, account=susu, amount="10.00")
    on_day(today)
    context, page = new_page(browser, live_server, 1400, 900)
    sign_in(page, cashier)
    page.goto(f"/admin/ledger/account/{susu.pk}/change/")
    strip = page.get_by_test_id("susu-cycle")
    expect(strip.locator('[title="Paid"]')).to_have_count(4)
    expect(strip.locator('[title="Missed"]')).to_have_count(1)
    page.screenshot(path=str(SHOTS / "susu-strip.png"), full_page=True)
    context.close()


def test_collection_runs_show_their_own_figures(browser, live_server, world):
    from playwright.sync_api import expect

    from apps.cash.models import CollectionRun

    cash.field_remit(actor=world["banker"], cashier=world["cashier"], denominations={"20.00": 1, "5.00": 1})
    yesterday_run = CollectionRun.objects.get()
    CollectionRun.objects.filter(pk=yesterday_run.pk).update(
        business_date=timezone.localdate() - timedelta(days=1))
    from apps.ledger.models import Transaction

    Transaction.objects.filter(channel="field").update(business_date=timezone.localdate() - timedelta(days=1))
    cash.field_collect(actor=world["banker"], account=world["account"], amount="40.00", idempotency_key="b-2")
    context, page = new_page(browser, live_server, 1400, 900)
    sign_in(page, world["manager"])
    page.goto("/admin/cash/collectionrun/")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("#result_list thead")).to_contain_text("Collected on the run")
    expect(rows.filter(has_text="Remitted")).to_contain_text("25.00")
    expect(rows.filter(has_text="Collecting")).to_contain_text("40.00")
    expect(rows.filter(has_text="Remitted")).not_to_contain_text("40.00")
    page.goto(reverse("admin:cash_position"))
    field = page.get_by_test_id("position-field")
    expect(field).to_contain_text("Cash with banker, not yet remitted")
    expect(field).not_to_contain_text("Uncollected")
    expect(page.get_by_test_id("position-banker")).to_contain_text("40.00")
    context.close()


def test_error_pages_are_branded_for_the_console_and_the_portal(browser, live_server, world):
    from playwright.sync_api import expect

    context, page = new_page(browser, live_server, 1400, 900)
    sign_in(page, world["cashier"])
    response = page.goto("/admin/business-day/")
    assert response.status == 403
    expect(page.get_by_test_id("error-page")).to_have_attribute("data-look", "console")
    expect(page.get_by_role("heading", name="You may not open this page")).to_be_visible()
    response = page.goto("/admin/ledger/account/987654/change/")
    assert response.status == 404
    expect(page.get_by_role("link", name="Back to the console home")).to_be_visible()
    response = page.goto("/a-page-that-is-not-there/")
    assert response.status == 404
    expect(page.get_by_test_id("error-page")).to_have_attribute("data-look", "portal")
    expect(page.get_by_role("heading", name="We could not find that page")).to_be_visible()
    page.screenshot(path=str(SHOTS / "portal-404.png"), full_page=True)
    context.close()
