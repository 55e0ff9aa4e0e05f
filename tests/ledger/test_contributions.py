"""Contributions a member promised against what they paid: Monthly Contribution months, the Susu cycle, shares."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from apps.audit.models import AuditEvent
from apps.ledger import contributions, lifecycle, services
from apps.ledger.models import Product
from tests.support import staff_client_for

from .factories import make_member, on_day, open_account, open_drawer, opened

pytestmark = pytest.mark.django_db




@pytest.fixture
def member(cashier, operations_manager, customer):
    return make_member(registrar=cashier, verifier=operations_manager, user=customer)


@pytest.fixture
def monthly(cashier, member):
    open_drawer(cashier)
    account = open_account(actor=cashier, member=member, kind="monthly_contribution")
    contributions.contribution_set(actor=cashier, account=account, amount="100.00")
    return opened(account, date(2026, 1, 10))


def pay(cashier, account, day, amount):
    on_day(day)
    services.deposit_create(actor=cashier, account=account, amount=amount)


def statuses(schedule):
    return [(m.start.strftime("%b"), m.status) for m in schedule.months]


def test_missed_months_are_counted_and_a_later_overpayment_clears_the_arrears(cashier, monthly):
    pay(cashier, monthly, date(2026, 1, 12), "100.00")
    pay(cashier, monthly, date(2026, 3, 5), "150.00")  # February missed; March pays one and a half
    schedule = contributions.monthly_schedule(monthly, date(2026, 3, 20))
    assert statuses(schedule) == [("Jan", "paid"), ("Feb", "missed"), ("Mar", "due")]
    assert schedule.missed == 1
    assert schedule.arrears == Decimal("0.00")  # Jan + Feb owed 200, 250 paid
    april = contributions.monthly_schedule(monthly, date(2026, 4, 2))
    assert statuses(april)[-2:] == [("Mar", "missed"), ("Apr", "due")]  # 250 covers two of the three months
    assert (april.missed, april.arrears) == (2, Decimal("50.00"))


def test_paying_ahead_covers_the_next_months_and_interest_is_not_a_contribution(cashier, monthly):
    Product.objects.filter(kind="monthly_contribution").update(interest_rate=Decimal("12"))
    pay(cashier, monthly, date(2026, 1, 30), "300.00")
    lifecycle.accrue_interest(business_date=date(2026, 1, 31), actor=cashier)
    schedule = contributions.monthly_schedule(monthly, date(2026, 4, 1))
    assert statuses(schedule) == [("Jan", "paid"), ("Feb", "advance"), ("Mar", "advance"), ("Apr", "due")]
    assert schedule.paid_total == Decimal("300.00")  # the interest credited in January is not counted
    assert (schedule.missed, schedule.arrears, schedule.months_ahead) == (0, Decimal("0.00"), 2)


def test_only_staff_set_a_contribution_on_savings_products_and_it_is_audited(cashier, customer, member,
                                                                              mobile_banker):
    open_drawer(cashier)
    shares = open_account(actor=cashier, member=member, kind="shares")
    susu = open_account(actor=cashier, member=member)
    with pytest.raises(ValidationError, match="no fixed contribution"):
        contributions.contribution_set(actor=cashier, account=shares, amount="10.00")
    with pytest.raises(ValidationError):
        contributions.contribution_set(actor=cashier, account=susu, amount="-5")
    with pytest.raises(PermissionDenied):
        contributions.contribution_set(actor=customer, account=susu, amount="10.00")
    with pytest.raises(PermissionDenied, match="not assigned"):  # a banker only for their own members
        contributions.contribution_set(actor=mobile_banker, account=susu, amount="10.00")
    susu.refresh_from_db()
    assert susu.contribution_amount is None
    contributions.contribution_set(actor=cashier, account=susu, amount="12.50")
    susu.refresh_from_db()
    assert susu.contribution_amount == Decimal("12.50")
    event = AuditEvent.objects.get(action="account.contribution")
    assert event.target_id == str(susu.pk) and event.actor == cashier


def test_the_account_pages_show_missed_months_to_staff_and_the_member(cashier, customer, monthly):
    pay(cashier, monthly, date(2026, 1, 12), "100.00")
    on_day(date(2026, 3, 16))
    staff_page = staff_client_for(cashier).get(f"/admin/ledger/account/{monthly.pk}/change/").content.decode()
    assert 'data-testid="monthly-contributions"' in staff_page
    assert 'data-testid="missed-months">1<' in staff_page  # February; March is still due
    assert "GH₵ 100.00" in staff_page  # February's arrears
    portal = staff_client_for(customer).get(f"/my/accounts/{monthly.pk}/").content.decode()
    assert 'data-testid="missed-months">1<' in portal and "GH₵ 100.00 in arrears" in portal


def test_the_susu_cycle_grid_and_share_count_are_shown(cashier, customer, member):
    open_drawer(cashier)
    susu = open_account(actor=cashier, member=member)
    contributions.contribution_set(actor=cashier, account=susu, amount="10.00")
    opened(susu, date(2026, 2, 1))
    pay(cashier, susu, date(2026, 2, 2), "30.00")  # three days' worth, paid on the second day
    on_day(date(2026, 2, 5))
    standing = contributions.account_standing(susu, date(2026, 2, 5))
    # 1 Feb not paid on the day; 2 Feb paid; 3 Feb in advance; 4 Feb not paid; 5 Feb (today) still due
    assert [d["status"] for d in standing["days"][:6]] == ["missed", "paid", "advance", "missed", "due", "due"]
    assert (standing["covered_days"], standing["behind_days"]) == (3, 1)
    page = staff_client_for(cashier).get(f"/admin/ledger/account/{susu.pk}/change/").content.decode()
    assert 'data-testid="covered-days">3<' in page and "1 day behind" in page
    shares = open_account(actor=cashier, member=member, kind="shares")
    price = shares.product.share_price
    services.deposit_create(actor=cashier, account=shares, amount=price * 7)
    portal = staff_client_for(customer).get(f"/my/accounts/{shares.pk}/").content.decode()
    assert "You hold <strong>7</strong> shares" in portal


def test_a_member_who_pays_every_day_after_missing_one_has_one_red_day_not_a_red_cycle(cashier, customer, member):
    open_drawer(cashier)
    susu = open_account(actor=cashier, member=member)
    contributions.contribution_set(actor=cashier, account=susu, amount="10.00")
    opened(susu, date(2026, 3, 1))
    for day in range(2, 9):  # 1 March missed, then paid every day from 2 to 8 March
        pay(cashier, susu, date(2026, 3, day), "10.00")
    on_day(date(2026, 3, 9))
    standing = contributions.account_standing(susu, date(2026, 3, 9))
    assert [d["status"] for d in standing["days"][:10]] == ["missed"] + ["paid"] * 7 + ["due", "due"]
    assert standing["behind_days"] == 1  # still one day's contribution behind overall
    page = staff_client_for(cashier).get(f"/admin/ledger/account/{susu.pk}/change/").content.decode()
    assert page.count('title="Missed"') == 1 and page.count('title="Paid"') == 7
    portal = staff_client_for(customer).get(f"/my/accounts/{susu.pk}/").content.decode()
    assert portal.count('class="status-missed" title=') == 1 and portal.count('class="status-paid"') == 7
    assert "Sunday 8 March: Paid on the day" in portal and ": paid\"" not in portal
