"""The teller pages for payments and one-off fees: look-up, confirmation, receipt, idempotency, a
required narration, four eyes above the threshold, and who may use them."""

from decimal import Decimal

import pytest
from django.urls import reverse

from apps.ledger.models import Account, JournalEntry, LedgerPolicy, Posting, Transaction

from .factories import fund, make_member, open_account

pytestmark = pytest.mark.django_db

PAYMENT = reverse("admin:ledger_teller_payment")
FEE = reverse("admin:ledger_teller_fee")
URLS = {"payment": PAYMENT, "fee": FEE}
STAFF = {"payment": ("cashier", "manager"), "fee": ("cashier", "manager", "operations_manager")}


def snapshot():
    """What is posted or waiting: a refused movement adds none of it (only a FAILED record of itself)."""
    posted_or_waiting = Transaction.objects.exclude(status=Transaction.Status.FAILED)
    return posted_or_waiting.count(), JournalEntry.objects.count(), Posting.objects.count()


def balance(account) -> Decimal:
    return Account.objects.get(pk=account.pk).balance


@pytest.fixture
def member(cashier, operations_manager):
    return make_member(registrar=cashier, verifier=operations_manager, first_name="Esi", last_name="Quaye")


@pytest.fixture
def susu(cashier, member):
    return fund(open_account(actor=cashier, member=member), "1000.00", cashier=cashier)


def start(client, url, **params):
    """Open a teller form and return the response and the idempotency key it was given."""
    response = client.get(url, params)
    assert response.status_code == 200
    key = response.context["form"].initial["idempotency_key"]
    assert key and f'value="{key}"' in response.content.decode()
    return response, key


@pytest.mark.parametrize("kind,role", [(kind, role) for kind, roles in STAFF.items() for role in roles])
def test_a_payment_or_fee_posts_once_through_the_confirmation_and_prints_a_receipt(request, console, susu, kind,
                                                                                   role):
    user = request.getfixturevalue(role)
    client = console(user)
    url = URLS[kind]
    found, key = start(client, url, q="Quaye")  # the look-up by member name
    assert f"?account={susu.account_number}" in found.content.decode()
    data = {"idempotency_key": key, "account": susu.account_number, "amount": "120.00",
            "description": "ECG prepaid, meter 0123456"}

    review = client.post(url, {**data, "step": "review"})
    page = review.content.decode()
    assert 'data-testid="teller-confirm"' in page and 'data-testid="member-card"' in page
    assert "Esi Quaye" in page and susu.member.member_number in page and susu.account_number in page
    assert "1,000.00" in page and "880.00" in page  # current balance, balance after
    assert "ECG prepaid, meter 0123456" in page
    assert ('data-testid="confirm-fee"' in page) is (kind == "payment")  # a fee carries no fee of its own
    assert balance(susu) == Decimal("1000.00")  # nothing posted on review

    first = client.post(url, {**data, "step": "confirm"})
    second = client.post(url, {**data, "step": "confirm"})  # double click / browser retry

    assert first.status_code == second.status_code == 302 and first["Location"] == second["Location"]
    txn = Transaction.objects.get(from_account=susu, transaction_type=kind)
    assert txn.status == Transaction.Status.COMPLETED and txn.initiated_by == user and txn.channel == "admin"
    assert txn.description == "ECG prepaid, meter 0123456"
    assert balance(susu) == Decimal("880.00")

    receipt = client.get(first["Location"]).content.decode()
    assert 'data-testid="receipt"' in receipt and txn.reference in receipt
    assert f"{txn.get_transaction_type_display()} receipt" in receipt
    assert "880.00" in receipt and "ECG prepaid, meter 0123456" in receipt
    assert f'href="{url}"' in receipt  # "New payment" / "New fee"


@pytest.mark.parametrize("kind", ["payment", "fee"])
def test_a_missing_description_is_a_form_error_and_posts_nothing(console, cashier, susu, kind):
    client = console(cashier)
    url = URLS[kind]
    _, key = start(client, url)
    before = snapshot()
    for step, description in (("review", ""), ("confirm", ""), ("confirm", "   ")):
        response = client.post(url, {"idempotency_key": key, "account": susu.account_number, "amount": "50",
                                     "description": description, "step": step})
        assert response.status_code == 200
        assert 'data-testid="teller-form"' in response.content.decode()
        assert response.context["form"].errors["description"]
    assert snapshot() == before
    assert balance(susu) == Decimal("1000.00")


def test_a_form_reused_for_a_different_payment_gets_a_fresh_key_and_posts_nothing(console, cashier, susu):
    client = console(cashier)
    _, key = start(client, PAYMENT)
    data = {"idempotency_key": key, "account": susu.account_number, "description": "School fees", "step": "confirm"}
    assert client.post(PAYMENT, {**data, "amount": "100"}).status_code == 302
    before = snapshot()

    response = client.post(PAYMENT, {**data, "amount": "200"})

    assert response.status_code == 200
    assert "already posted a different transaction" in response.content.decode()
    assert response.context["form"].data["idempotency_key"] != key
    assert snapshot() == before and balance(susu) == Decimal("900.00")


def test_a_fee_the_balance_cannot_cover_is_refused_on_the_form(console, cashier, susu):
    client = console(cashier)
    _, key = start(client, FEE)
    data = {"idempotency_key": key, "account": susu.account_number, "amount": "1500.00",
            "description": "Legal search"}
    review = client.post(FEE, {**data, "step": "review"}).content.decode()
    assert "Insufficient funds" in review and 'data-testid="post-button"' not in review
    before = snapshot()

    response = client.post(FEE, {**data, "step": "confirm"})

    assert response.status_code == 200 and "Insufficient funds" in response.content.decode()
    assert snapshot() == before and balance(susu) == Decimal("1000.00")


@pytest.mark.parametrize("kind", ["payment", "fee"])
def test_above_the_threshold_it_waits_for_a_managers_approval(console, cashier, manager, susu, kind):
    LedgerPolicy.objects.update_or_create(pk=LedgerPolicy.current().pk, defaults={"approval_threshold": "100.00"})
    client = console(cashier)
    url = URLS[kind]
    _, key = start(client, url)
    data = {"idempotency_key": key, "account": susu.account_number, "amount": "500.00", "description": "Annual dues"}
    assert 'data-testid="approval-note"' in client.post(url, {**data, "step": "review"}).content.decode()

    response = client.post(url, {**data, "step": "confirm"})

    txn = Transaction.objects.get(from_account=susu, transaction_type=kind)
    assert txn.status == Transaction.Status.PENDING
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="pending-approval"' in page and 'data-testid="receipt"' not in page
    assert txn.reference in page and "Annual dues" in page
    assert balance(susu) == Decimal("1000.00")
    assert not JournalEntry.objects.filter(transaction=txn).exists()

    console(manager).post(reverse("admin:ledger_approval_decide", args=[txn.pk, "approve"]))
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.COMPLETED and txn.approved_by == manager
    assert balance(susu) == Decimal("500.00")


@pytest.mark.parametrize("role,allowed", [("mobile_banker", ()), ("admin", ()), ("operations_manager", ("fee",))])
def test_other_roles_may_neither_open_nor_post_them(console, make_user, susu, role, allowed):
    client = console(make_user(role))
    before = snapshot()
    for kind, url in URLS.items():
        if kind in allowed:
            continue
        assert client.get(url).status_code == 403
        response = client.post(url, {"idempotency_key": "teller-x", "account": susu.account_number, "amount": "5",
                                     "description": "Anything", "step": "confirm"})
        assert response.status_code == 403
    assert snapshot() == before


def test_the_sidebar_and_tabs_offer_each_role_the_pages_it_may_use(console, cashier, manager, operations_manager,
                                                                   mobile_banker, administrator):
    from apps.core.sidebar import navigation

    def sidebar_links(user):
        page = console(user).get(reverse("admin:index"))
        return {str(item["link"]) for group in navigation(page.wsgi_request) for item in group["items"]
                if item["permission"] is None or item["permission"](page.wsgi_request)}

    assert {PAYMENT, FEE} <= sidebar_links(cashier)
    assert {PAYMENT, FEE} <= sidebar_links(manager)
    assert FEE in sidebar_links(operations_manager) and PAYMENT not in sidebar_links(operations_manager)
    for user in (mobile_banker, administrator):
        assert not {PAYMENT, FEE} & sidebar_links(user)

    tabs = console(manager).get(FEE).context["tabs"]
    assert [tab["title"] for tab in tabs] == ["Transfer", "Payment", "Fee", "Shares pay-out (member exit)"]
    assert [tab["active"] for tab in tabs] == [False, False, True, False]
    assert console(operations_manager).get(FEE).context["tabs"] == [
        {"title": "Fee", "link": FEE, "active": True, "has_permission": True},
        {"title": "Shares pay-out (member exit)", "link": reverse("admin:ledger_teller_shares_exit"),
         "active": False, "has_permission": True}]


def test_an_operations_manager_looks_up_accounts_for_the_fee_page(console, operations_manager, susu):
    results = console(operations_manager).get(reverse("admin:ledger_teller_lookup"), {"q": "quaye"}).json()
    assert [r["account_number"] for r in results["results"]] == [susu.account_number]
