"""The console home shows each role its own work."""

import re
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.cash import services as cash
from apps.members.services import member_assign
from apps.users.services import user_unlock
from tests.ledger.factories import fund, make_member, on_day, open_account, open_drawer
from tests.support import add_totp_device, staff_client_for

pytestmark = pytest.mark.django_db


def home(user) -> str:
    if user.role in ("manager", "operations_manager", "admin"):
        add_totp_device(user)
    return staff_client_for(user).get("/admin/").content.decode()


def figure(html: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}"[^>]*>\s*([^<]*?)\s*<', html)
    assert match, f"no {testid!r} on the page"
    return match.group(1)


@pytest.fixture
def day(cashier, manager, mobile_banker, operations_manager):
    on_day(timezone.localdate())
    open_drawer(cashier, Decimal("5000.00"))
    member = make_member(registrar=cashier, verifier=operations_manager, first_name="Efua", last_name="Boateng")
    account = fund(open_account(actor=cashier, member=member), "1200.00", cashier=cashier)
    from apps.ledger import services

    services.withdrawal_create(actor=cashier, account=account, amount="200.00")
    account.contribution_amount = Decimal("15.00")
    account.save()
    other = make_member(registrar=cashier, verifier=operations_manager, first_name="Yaw", last_name="Darko")
    other_account = open_account(actor=cashier, member=other)
    other_account.contribution_amount = Decimal("25.00")
    other_account.save()
    member_assign(actor=manager, member=member, banker=mobile_banker)
    member_assign(actor=manager, member=other, banker=mobile_banker)
    cash.field_collect(actor=mobile_banker, account=account, amount="15.00", idempotency_key="dash-1")
    return account


def test_a_cashier_sees_their_own_drawer_and_not_the_security_figures(day, cashier):
    page = home(cashier)
    assert 'data-testid="dashboard-cashier"' in page
    assert figure(page, "drawer-opening") == "GH₵ 5,000.00"
    assert figure(page, "drawer-expected") == "GH₵ 6,000.00"  # 5,000 + 1,200 in − 200 out
    assert figure(page, "drawer-in") == "GH₵ 1,200.00" and figure(page, "drawer-out") == "GH₵ 200.00"
    assert "Efua Boateng" in page and 'data-type="bar"' in page
    assert "Failed sign-ins today" not in page and "Locked accounts" not in page
    assert 'data-testid="dashboard-manager"' not in page


def test_a_mobile_banker_sees_todays_collection_run(day, mobile_banker):
    page = home(mobile_banker)
    assert 'data-testid="dashboard-banker"' in page
    assert figure(page, "banker-collected") == "GH₵ 15.00"
    assert figure(page, "banker-remaining") == "1 member"  # Yaw has not paid yet today
    assert figure(page, "banker-cash") == "GH₵ 15.00"
    assert "Yaw Darko" in page and "Locked accounts" not in page


def test_a_manager_sees_approvals_exceptions_large_cash_and_drawer_variances(day, cashier, manager):
    from apps.cash.models import CashPolicy

    policy = CashPolicy.current()
    policy.cash_report_threshold = Decimal("1000.00")
    policy.save()
    page = home(manager)
    assert 'data-testid="dashboard-manager"' in page
    assert figure(page, "manager-large-cash") == "1"  # the 1,200.00 cash deposit
    assert figure(page, "manager-approvals") == "0"
    assert "Every drawer closed in the last 14 days balanced." in page
    drawer = cash.current_drawer(cashier)
    cash.drawer_close(actor=cashier, drawer=drawer, denominations={"200.00": 29}, total="5800.00")
    page = home(manager)
    assert figure(page, "manager-signoffs") == "1"
    assert 'data-testid="manager-variances"' in page and "-200.00" in page
    assert "Sign-ins today" in page  # managers also watch sign-ins


def test_an_operations_manager_sees_the_business_day_and_its_checklist(day, operations_manager):
    page = home(operations_manager)
    assert 'data-testid="dashboard-operations"' in page
    assert figure(page, "ops-day") == timezone.localdate().strftime("%a %d %b %Y")
    assert "2 items to resolve before closing" in page  # the open drawer and the banker's field cash
    assert "Cashier drawers still open" in page and "Field cash not remitted" in page


def test_an_administrator_sees_security_with_lockouts(administrator, cashier, make_user):
    locked = make_user("customer")
    from tests.support import api_login

    for _ in range(5):
        api_login(locked.email, "wrong-password")
    page = home(administrator)
    assert 'data-testid="dashboard-security"' in page and "Sign-ins, last 14 days" in page
    assert locked.email in page
    user_unlock(actor=administrator, user=locked)
    page = home(administrator)
    assert "nobody is locked out" in page
    assert "Sign-in unlocked" in page and ">user.unlock<" not in page
