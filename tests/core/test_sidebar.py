"""The sidebar is drawn from what the apps registered (apps/core/sidebar.py); each role sees what it
saw when the whole sidebar was one list in coastal_site/settings/unfold.py (and the Loans and Messages groups
since, with the service desk's Service requests in Messages)."""

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from apps.core import sidebar
from tests.support import add_totp_device

pytestmark = pytest.mark.django_db

VISIBLE = {
    "cashier": {
        "Overview": ["Dashboard"],
        "Messages": ["Inbox", "Service desk", "Service requests", "Notifications"],
        "Members": ["Members", "Register a member"],
        "Banking": ["Deposit", "Withdrawal", "Transfer", "Payment", "Fee", "Shares pay-out (member exit)", "Accounts",
                    "Transactions"],
        "Cash": ["My drawer", "Deposit a cheque", "Cash advances", "Cheques", "Cash drawers"],
        "Loans": ["Loan applications", "Loan approvals", "Loan products", "Schedule preview"],
        "My account": ["My sessions", "Notification settings", "Backup codes", "Change password"],
    },
    "mobile_banker": {
        "Overview": ["Dashboard"],
        "Messages": ["Inbox", "Notifications"],
        "Members": ["Members"],
        "Banking": ["Field deposit", "Accounts", "Transactions"],
        "Cash": ["Collection runs"],
        "Field": ["Collection sheet", "Remit to cashier", "Register a member"],
        "Loans": ["Loan officer portfolio", "Loan applications", "Loan products", "Schedule preview"],
        "My account": ["My sessions", "Notification settings", "Backup codes", "Change password"],
    },
    "manager": {
        "Overview": ["Dashboard"],
        "Messages": ["Inbox", "Service desk", "Service requests", "Notifications"],
        "Members": ["Members"],
        "Banking": ["Transfer", "Payment", "Fee", "Shares pay-out (member exit)", "Accounts", "Transactions", "Journal",
                    "Approvals"],
        "Cash": ["Branch cash position", "Drawer sign-offs", "Cash advances", "Cheques", "Cash drawers", "Floats",
                 "Collection runs", "Large cash"],
        "Loans": ["Loan officer portfolio", "Loan applications", "Loan approvals", "Loan products",
                  "Schedule preview", "Portfolio at risk"],
        "People": ["Users", "Sign-in activity"],
        "Security": ["Audit log", "Failed sign-ins"],
        # Managers approve and publish the content editors' pages and notices in /cms/ (issue 16).
        "Operations": ["Holidays", "Non-working days", "Website content"],
        "My account": ["My sessions", "Notification settings", "Backup codes", "Change password"],
    },
    "operations_manager": {
        "Overview": ["Dashboard"],
        "Messages": ["Inbox", "Service desk", "Service requests", "Notifications"],
        "Members": ["Members", "Register a member", "KYC to verify"],
        "Banking": ["Fee", "Shares pay-out (member exit)", "Accounts", "Transactions", "Journal"],
        "Cash": ["Cheques", "Cash drawers", "Collection runs", "Large cash", "Denominations", "Cash policy"],
        "Loans": ["Loan officer portfolio", "Loan applications", "Loan products", "Schedule preview",
                  "Loans policy", "Portfolio at risk"],
        "Ledger setup": ["Products", "Service charges", "Chart of accounts", "Ledger policy", "Business day",
                         "Dividends"],
        "People": ["Users"],
        "Security": ["Audit log"],
        "Operations": ["Scheduled jobs", "Failed jobs", "Holidays", "Non-working days", "Website content"],
        "My account": ["My sessions", "Notification settings", "Backup codes", "Change password"],
    },
    "admin": {
        "Overview": ["Dashboard"],
        "Messages": ["Inbox", "Notifications"],
        "Members": ["Members", "Register a member"],
        "Banking": ["Accounts", "Transactions", "Journal"],
        "Cash": ["Cash advances", "Cheques", "Cash drawers", "Floats", "Collection runs", "Large cash", "Denominations",
                 "Cash policy"],
        "Loans": ["Loan applications", "Loan products", "Schedule preview", "Loans policy"],
        "Ledger setup": ["Products", "Service charges", "Chart of accounts", "Ledger policy", "Business day",
                         "Dividends"],
        "People": ["Users", "Sign-in activity", "Roles"],
        "Security": ["Audit log", "Failed sign-ins", "All sessions", "Authenticator devices"],
        "Operations": ["Scheduled jobs", "Finished jobs", "Failed jobs", "Holidays", "Non-working days",
                       "Website content"],
        "My account": ["My sessions", "Notification settings", "Backup codes", "Change password"],
    },
}
GROUP_ORDER = ["Overview", "Messages", "Members", "Banking", "Cash", "Field", "Loans", "Ledger setup", "People",
               "Security", "Operations", "My account"]


def _visible(request) -> dict:
    """What unfold draws: each group's items the user is permitted, as unfold itself works them out."""
    return {group["title"]: [str(item["title"]) for item in group["items"] if item["has_permission"]]
            for group in admin.site.get_sidebar_list(request)}


@pytest.mark.parametrize("role", list(VISIBLE))
def test_each_role_sees_the_same_sidebar_as_before(make_user, staff_client, role):
    user = make_user(role)
    if role in ("manager", "operations_manager", "admin"):
        add_totp_device(user)
    page = staff_client(user).get("/admin/")
    assert page.status_code == 200
    drawn = _visible(page.wsgi_request)
    assert list(drawn) == GROUP_ORDER
    assert {title: items for title, items in drawn.items() if items} == VISIBLE[role]
    assert admin.site.each_context(page.wsgi_request)["sidebar_show_all_applications"] is (role == "admin")


def test_every_registered_item_has_a_page():
    for item in sidebar.ITEMS:
        if item.url:
            reverse(item.url)  # NoReverseMatch: a typo, or the page is not mounted


@pytest.fixture
def registry(monkeypatch):
    """A sidebar with only what the test registers."""
    monkeypatch.setattr(sidebar, "GROUPS", {})
    monkeypatch.setattr(sidebar, "ITEMS", [])
    return sidebar


def waiting_badge(request):
    return 3


def test_an_app_registers_a_group_its_items_and_a_badge(registry, cashier, manager):
    registry.register_group("loans", "Loans", position=35, collapsible=True)
    registry.register_group("overview", "Overview", position=0)
    registry.register_item("loans", "Repayments", "payments", url="admin:index", position=20,
                           permission=registry.has_role("cashier"))
    registry.register_item("loans", "Applications", "description", link="/loans/", position=10,
                           badge="tests.core.test_sidebar.waiting_badge", badge_variant="danger")
    registry.register_item("loans", "Arrears", "warning", url="admin:index", position=30,
                           badge=lambda request: 0)  # nothing to count: no badge
    registry.register_item("loans", "Not mounted", "error", url="admin:loans_nowhere", position=40)
    registry.register_item("overview", "Dashboard", "dashboard", url="admin:index", position=10)

    request = RequestFactory().get("/admin/")
    request.user = cashier
    drawn = registry.navigation(request)

    assert [group["title"] for group in drawn] == ["Overview", "Loans"]
    assert "collapsible" not in drawn[0] and drawn[1]["collapsible"] is True
    applications, repayments, arrears = drawn[1]["items"]  # in position order; the unmounted page is left out
    assert (applications["title"], applications["link"]) == ("Applications", "/loans/")
    assert (applications["badge"], applications["badge_variant"]) == (3, "danger")
    assert repayments["link"] == "/admin/" and repayments["permission"](request)
    assert "badge" not in arrears and "badge_variant" not in arrears
    request.user = manager
    assert not registry.navigation(request)[1]["items"][1]["permission"](request)


def test_a_group_is_registered_once_and_items_need_it(registry):
    registry.register_group("security", "Security", position=70, collapsible=True)
    registry.register_group("security", "Security", position=70, collapsible=True)  # a second app: the same group
    with pytest.raises(ValueError):
        registry.register_group("security", "Safety", position=70)
    with pytest.raises(LookupError):
        registry.register_item("nowhere", "Lost", "help", url="admin:index", position=10)
    with pytest.raises(ValueError):
        registry.register_item("security", "Both", "help", url="admin:index", link="/x/", position=10)


def test_the_transactions_item_is_not_lit_on_the_teller_pages(cashier, staff_client):
    client = staff_client(cashier)
    for path, lit in (("/admin/ledger/transaction/", True), ("/admin/ledger/transaction/teller/deposit/", False)):
        page = client.get(path)
        banking = next(group for group in admin.site.get_sidebar_list(page.wsgi_request)
                       if group["title"] == "Banking")
        transactions = next(item for item in banking["items"] if item["title"] == "Transactions")
        assert transactions["active"] is lit, path


def test_a_stopped_end_of_day_shows_on_the_business_day_item(operations_manager, staff_client):
    from datetime import date

    from apps.core.models import EndOfDayRun

    add_totp_device(operations_manager)
    client = staff_client(operations_manager)

    def business_day_item():
        page = client.get("/admin/")
        return next(item for group in sidebar.navigation(page.wsgi_request) for item in group["items"]
                    if item["title"] == "Business day")

    assert "badge" not in business_day_item()
    EndOfDayRun.objects.create(business_date=date(2026, 3, 2), started_by=operations_manager,
                               status=EndOfDayRun.Status.FAILED)
    item = business_day_item()
    assert (item["badge"], item["badge_variant"]) == (1, "danger")
