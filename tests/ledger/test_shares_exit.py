"""The shares pay-out page (a member's exit) in the staff console: find the member's Shares account,
choose another account of theirs and give the reason, review (nothing is submitted), submit once for
a manager's approval, and who may use it."""

import html
from decimal import Decimal

import pytest
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.ledger.models import Account, JournalEntry, Product, Transaction

from .factories import fund, make_member, open_account

pytestmark = pytest.mark.django_db

EXIT = reverse("admin:ledger_teller_shares_exit")


@pytest.fixture
def member(cashier, operations_manager):
    return make_member(registrar=cashier, verifier=operations_manager, first_name="Esi", last_name="Quaye")


@pytest.fixture
def shares(cashier, member):
    price = Product.objects.get(kind="shares").share_price
    return fund(open_account(actor=cashier, member=member, kind="shares"), price * 10, cashier=cashier)


@pytest.fixture
def savings(cashier, member):
    return open_account(actor=cashier, member=member, kind="monthly_contribution")


def start(client, **params):
    response = client.get(EXIT, params)
    assert response.status_code == 200
    key = response.context["form"].initial["idempotency_key"]
    assert key and f'value="{key}"' in response.content.decode()
    return response, key


def exits(shares):
    return Transaction.objects.filter(from_account=shares, purpose="member_exit").exclude(
        status=Transaction.Status.FAILED)


def money(amount: Decimal) -> str:
    return f"GH₵ {amount:,.2f}"


@pytest.mark.parametrize("role", ["cashier", "manager", "operations_manager"])
def test_review_submits_nothing_then_submit_asks_once_for_the_whole_balance(request, console, shares, savings,
                                                                              role):
    user = request.getfixturevalue(role)
    client = console(user)
    held = shares.balance
    found, key = start(client, q="Quaye")  # the look-up offers the member's Shares account only
    page = found.content.decode()
    assert f"?account={shares.account_number}" in page and f"?account={savings.account_number}" not in page
    chosen = client.get(EXIT, {"account": shares.account_number}).content.decode()
    assert 'data-testid="exit-destinations"' in chosen and f'data-account="{savings.account_number}"' in chosen
    assert money(held) in chosen  # shares held, as money
    data = {"idempotency_key": key, "account": shares.account_number, "to_account": savings.account_number,
            "reason": "Relocating abroad"}

    review = client.post(EXIT, {**data, "step": "review"})
    page = review.content.decode()
    assert 'data-testid="teller-confirm"' in page and 'data-testid="post-button"' in page
    assert "Esi Quaye" in page and shares.account_number in page and savings.account_number in page
    assert money(held) in page and "Relocating abroad" in page
    assert "waits for a manager's approval" in html.unescape(page)
    assert not exits(shares).exists()  # a review submits nothing
    assert Account.objects.get(pk=shares.pk).held_balance == Decimal("0.00")

    first = client.post(EXIT, {**data, "step": "confirm"})
    again = client.post(EXIT, {**data, "step": "confirm"})  # double click, or the browser resends it

    assert first.status_code == again.status_code == 302 and first["Location"] == again["Location"]
    txn = exits(shares).get()
    assert txn.status == Transaction.Status.PENDING and txn.amount == held and txn.to_account_id == savings.pk
    assert txn.initiated_by == user and "Relocating abroad" in txn.description
    assert not JournalEntry.objects.filter(transaction=txn).exists()  # nothing moves before approval
    assert Account.objects.get(pk=shares.pk).balance == held
    assert AuditEvent.objects.filter(action="shares.redeem_requested").count() == 1

    receipt = html.unescape(client.get(first["Location"]).content.decode())
    assert 'data-testid="pending-approval"' in receipt and 'data-testid="receipt"' not in receipt
    assert txn.reference in receipt and "waiting for a manager's approval" in receipt
    assert "Shares pay-out (member exit)" in receipt and money(held) in receipt


def test_a_second_exit_for_the_same_shares_is_refused_while_one_waits(console, cashier, shares, savings):
    client = console(cashier)
    _, key = start(client)
    data = {"account": shares.account_number, "to_account": savings.account_number, "reason": "Relocating"}
    assert client.post(EXIT, {**data, "idempotency_key": key, "step": "confirm"}).status_code == 302
    waiting = exits(shares).get()

    _, other_key = start(client)  # the page opened again: a new form, a new key
    review = client.post(EXIT, {**data, "idempotency_key": other_key, "step": "review"})
    page = html.unescape(review.content.decode())
    assert "already waiting for a manager's approval" in page and waiting.reference in page
    assert 'data-testid="post-button"' not in page
    submit = client.post(EXIT, {**data, "idempotency_key": other_key, "step": "confirm"})
    assert submit.status_code == 200 and waiting.reference in submit.content.decode()
    assert exits(shares).count() == 1


def test_another_members_account_is_refused_with_the_reason(console, cashier, operations_manager, shares):
    stranger = make_member(registrar=cashier, verifier=operations_manager, first_name="Kofi", last_name="Mensah")
    theirs = open_account(actor=cashier, member=stranger, kind="monthly_contribution")
    client = console(cashier)
    _, key = start(client)
    data = {"idempotency_key": key, "account": shares.account_number, "to_account": theirs.account_number,
            "reason": "Relocating"}
    for step in ("review", "confirm"):
        response = client.post(EXIT, {**data, "step": step})
        page = response.content.decode()
        assert response.status_code == 200 and 'data-testid="post-button"' not in page
        assert "Pay shares out to another account of the same member." in page
        assert response.context["form"].errors["to_account"]
    assert not exits(shares).exists()


def test_nothing_to_redeem_and_a_missing_reason_are_shown_on_the_form(console, cashier, member, savings):
    empty = open_account(actor=cashier, member=member, kind="shares")
    client = console(cashier)
    _, key = start(client)
    data = {"idempotency_key": key, "account": empty.account_number, "to_account": savings.account_number}
    page = client.post(EXIT, {**data, "reason": "Relocating", "step": "review"}).content.decode()
    assert "This shares account holds nothing to redeem." in page and 'data-testid="post-button"' not in page
    response = client.post(EXIT, {**data, "reason": "  ", "step": "review"})
    assert response.context["form"].errors["reason"] == ["Record why the member is leaving."]
    not_shares = client.post(EXIT, {**data, "account": savings.account_number, "reason": "Relocating",
                                    "step": "review"})
    assert "not a Shares account" in not_shares.context["form"].errors["account"][0]
    assert not Transaction.objects.filter(purpose="member_exit").exists()


@pytest.mark.parametrize("role", ["mobile_banker", "admin"])
def test_a_mobile_banker_or_an_administrator_may_not_use_it_nor_see_it(console, make_user, shares, savings, role):
    from apps.core.sidebar import navigation

    user = make_user(role)
    client = console(user)
    assert client.get(EXIT).status_code == 403
    response = client.post(EXIT, {"idempotency_key": "teller-x", "account": shares.account_number,
                                  "to_account": savings.account_number, "reason": "Relocating", "step": "confirm"})
    assert response.status_code == 403
    assert not Transaction.objects.filter(purpose="member_exit").exists()

    page = client.get(reverse("admin:index"))
    links = {str(item["link"]) for group in navigation(page.wsgi_request) for item in group["items"]
             if item["permission"] is None or item["permission"](page.wsgi_request)}
    assert EXIT not in links


def test_the_sidebar_offers_it_to_counter_staff(console, cashier, manager, operations_manager):
    from apps.core.sidebar import navigation

    for user in (cashier, manager, operations_manager):
        page = console(user).get(reverse("admin:index"))
        links = {str(item["link"]) for group in navigation(page.wsgi_request) for item in group["items"]
                 if item["permission"] is None or item["permission"](page.wsgi_request)}
        assert EXIT in links
