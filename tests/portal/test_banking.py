"""The member's banking pages: own accounts only, and a transfer that posts exactly once."""

from decimal import Decimal

import pytest

from apps.ledger.models import Transaction
from tests.ledger.factories import fund, make_member, open_account
from tests.support import staff_client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def accounts(customer, cashier, operations_manager):
    member = make_member(registrar=cashier, verifier=operations_manager, user=customer)
    susu = fund(open_account(actor=cashier, member=member), "300.00", cashier=cashier)
    monthly = open_account(actor=cashier, member=member, kind="monthly_contribution")
    return susu, monthly


@pytest.fixture
def other_account(cashier, operations_manager):
    member = make_member(registrar=cashier, verifier=operations_manager, first_name="Nana")
    return fund(open_account(actor=cashier, member=member), "50.00", cashier=cashier)


def test_dashboard_lists_the_members_accounts_and_balances(customer, accounts):
    page = staff_client_for(customer).get("/my/").content.decode()
    susu, monthly = accounts
    assert susu.account_number in page and monthly.account_number in page
    assert "GH₵ 300.00" in page


def test_another_members_account_is_404(customer, accounts, other_account):
    client = staff_client_for(customer)
    assert client.get(f"/my/accounts/{other_account.pk}/").status_code == 404
    txn = Transaction.objects.get(to_account=other_account)
    assert client.get(f"/my/transactions/{txn.pk}/").status_code == 404


def test_staff_are_sent_to_the_console(cashier, accounts):
    response = staff_client_for(cashier).get("/my/accounts/")
    assert response.status_code == 403
    assert accounts[0].account_number not in response.content.decode()


def test_transfer_confirms_then_posts_once_even_if_submitted_twice(customer, accounts):
    susu, monthly = accounts
    client = staff_client_for(customer)
    form = {"from_account": susu.pk, "to_account_number": monthly.account_number, "amount": "75.25",
            "description": "Savings", "idempotency_key": "f00d"}
    confirm = client.post("/my/transfer/", form)
    assert confirm.status_code == 200 and "Confirm transfer" in confirm.content.decode()
    assert not Transaction.objects.filter(transaction_type="transfer").exists()
    first = client.post("/my/transfer/", {**form, "confirm": "1"})
    second = client.post("/my/transfer/", {**form, "confirm": "1"})
    assert first.status_code == second.status_code == 302
    assert Transaction.objects.filter(transaction_type="transfer").count() == 1
    susu.refresh_from_db(), monthly.refresh_from_db()
    assert (susu.balance, monthly.balance) == (Decimal("224.75"), Decimal("75.25"))
    assert "is complete" in client.get(first.url).content.decode()


def test_transfer_errors_are_shown_and_nothing_is_posted(customer, accounts, other_account):
    susu, _ = accounts
    client = staff_client_for(customer)
    too_much = client.post("/my/transfer/", {"from_account": susu.pk, "to_account_number": other_account.account_number,
                                             "amount": "300.01", "idempotency_key": "k1", "confirm": "1"})
    assert too_much.status_code == 409 and "Insufficient funds" in too_much.content.decode()
    bad = client.post("/my/transfer/", {"from_account": susu.pk, "to_account_number": other_account.account_number,
                                        "amount": "1.999", "idempotency_key": "k2"})
    assert bad.status_code == 422 and "two decimal places" in bad.content.decode()
    not_mine = client.post("/my/transfer/", {"from_account": other_account.pk, "to_account_number": susu.account_number,
                                             "amount": "1.00", "idempotency_key": "k3", "confirm": "1"})
    assert not_mine.status_code == 422
    # Nothing posted or waiting; only the refused one is on record, as failed, and its page says why.
    failed = Transaction.objects.get(transaction_type="transfer")
    assert (failed.status, failed.amount) == ("failed", Decimal("300.01"))
    page = client.get(f"/my/transactions/{failed.pk}/").content.decode()
    assert 'data-testid="status">Not posted<' in page and "Insufficient funds" in page
    assert 'data-testid="amount-moved">Nothing moved and no fee was charged<' in page
    listed = client.get(f"/my/accounts/{susu.pk}/").content.decode()
    assert 'data-testid="not-posted">Not posted<' in listed and "nothing moved" in listed
    assert "300.01" not in listed  # no amount in the list: nothing moved


# --- issue 12, item 11: the confirm page never promises what posting refuses ---------------------------

def _review(client, **form):
    return client.post("/my/transfer/", {"idempotency_key": "r1", "description": "", **form})


def test_transfer_to_an_unknown_or_the_same_account_never_reaches_confirm(customer, accounts):
    susu, _ = accounts
    client = staff_client_for(customer)

    unknown = _review(client, from_account=susu.pk, to_account_number="1000000000", amount="10.00")
    same = _review(client, from_account=susu.pk, to_account_number=susu.account_number, amount="10.00")

    for response, message in ((unknown, "No account has that number."),
                              (same, "Choose a different account to transfer to.")):
        body = response.content.decode()
        assert response.status_code == 422 and message in body
        assert "Confirm transfer" not in body and 'name="confirm"' not in body
    assert not Transaction.objects.filter(transaction_type="transfer").exists()


def test_transfer_refused_by_a_rule_is_refused_before_confirm(customer, accounts, other_account):
    susu, _ = accounts
    client = staff_client_for(customer)

    response = _review(client, from_account=susu.pk, to_account_number=other_account.account_number,
                       amount="300.01")

    body = response.content.decode()
    assert response.status_code == 409 and "Insufficient funds" in body
    assert "Confirm transfer" not in body and 'name="confirm"' not in body
    assert not Transaction.objects.filter(transaction_type="transfer").exists()  # a review is no attempt


def test_transfer_to_someone_elses_frozen_account_says_only_that_it_cannot_receive(customer, accounts, other_account,
                                                                                    manager):
    from apps.ledger import services
    from apps.ledger.models import Account

    services.account_set_status(actor=manager, account=other_account, status=Account.Status.FROZEN,
                                reason="Suspected fraud ring")
    susu, _ = accounts

    response = _review(staff_client_for(customer), from_account=susu.pk,
                       to_account_number=other_account.account_number, amount="10.00")

    body = response.content.decode()
    assert response.status_code == 409
    assert f"Account {other_account.account_number} cannot receive transfers." in body
    assert "Suspected fraud ring" not in body and "is frozen" not in body


def test_transfer_confirm_shows_the_payee_partly_masked_and_the_fee(customer, accounts, other_account,
                                                                    operations_manager):
    from apps.ledger.models import ServiceCharge

    ServiceCharge.objects.create(name="Transfer fee", transaction_type="transfer", kind="flat",
                                 amount=Decimal("1.50"), is_active=True)
    susu, _ = accounts

    response = _review(staff_client_for(customer), from_account=susu.pk,
                       to_account_number=other_account.account_number, amount="20.00")

    body = response.content.decode()
    assert response.status_code == 200 and "Confirm transfer" in body
    assert 'data-testid="payee-name">Na** Qu***<' in body and "Nana" not in body
    assert 'data-testid="confirm-fee">GH₵ 1.50<' in body
    assert "GH₵ 21.50" in body  # total from the account


# --- issue 12, item 12: a refused attempt never looks like money moved --------------------------------

def test_a_refused_transfer_never_looks_like_money_moved(customer, accounts, other_account, make_user,
                                                        cashier, operations_manager):
    from django.utils import timezone

    from apps.ledger.models import Account, ServiceCharge
    from apps.reports.statements import statement_build

    ServiceCharge.objects.create(name="Transfer fee", transaction_type="transfer", kind="flat",
                                 amount=Decimal("1.50"), is_active=True)
    susu, _ = accounts
    payee_user = make_user("customer")
    other_account.member.user = payee_user
    other_account.member.save(update_fields=["user"])
    client = staff_client_for(customer)

    refused = client.post("/my/transfer/", {"from_account": susu.pk, "to_account_number": other_account.account_number,
                                            "amount": "299.00", "idempotency_key": "k9", "confirm": "1"})

    assert refused.status_code == 409  # 299.00 + 1.50 fee > 300.00
    failed = Transaction.objects.get(transaction_type="transfer")
    assert failed.status == "failed"
    detail = client.get(f"/my/transactions/{failed.pk}/").content.decode()
    assert 'data-testid="status">Not posted<' in detail
    assert "GH₵ 1.50" not in detail and "Fee" not in detail  # no fee shown as charged
    listed = client.get(f"/my/accounts/{susu.pk}/").content.decode()
    assert "Not posted" in listed and "299.00" not in listed
    # the payee, outside the back office, never sees someone else's refused attempt
    payee_page = staff_client_for(payee_user).get(f"/my/accounts/{other_account.pk}/").content.decode()
    assert failed.reference not in payee_page
    assert staff_client_for(payee_user).get(f"/my/transactions/{failed.pk}/").status_code == 404
    # never a statement line, never in a balance
    today = timezone.localdate()
    statement = statement_build(account=Account.objects.get(pk=susu.pk), start=today, end=today)
    assert failed.reference not in [line.reference for line in statement.lines]
    assert statement.closing_balance == Decimal("300.00")
    assert Account.objects.get(pk=susu.pk).balance == Decimal("300.00")


def test_bad_input_leaves_no_row(customer, accounts, other_account):
    susu, _ = accounts
    client = staff_client_for(customer)
    for amount in ("-5", "0", "1.999", "abc"):
        response = client.post("/my/transfer/", {"from_account": susu.pk, "amount": amount, "idempotency_key": "b",
                                                 "to_account_number": other_account.account_number, "confirm": "1"})
        assert response.status_code == 422
    unknown = client.post("/my/transfer/", {"from_account": susu.pk, "amount": "5.00", "idempotency_key": "b2",
                                            "to_account_number": "1000000000", "confirm": "1"})
    assert unknown.status_code == 422
    assert not Transaction.objects.filter(transaction_type="transfer").exists()
