"""Issue 12, items 5 and 11: a review/confirm step runs the posting's own checks (one function,
`movement_check`), so it never promises what posting refuses, and it gives the right reason; a
member is told only what is theirs to know about someone else's account."""

from decimal import Decimal

import pytest
from django.urls import reverse

from apps.ledger import services
from apps.ledger.errors import LedgerError
from apps.ledger.models import Account, JournalEntry, LedgerPolicy, Posting, Product, Transaction

from .factories import fund, make_member, open_account, open_drawer

pytestmark = pytest.mark.django_db

DEPOSIT = reverse("admin:ledger_teller_deposit")
WITHDRAWAL = reverse("admin:ledger_teller_withdrawal")
TRANSFER = reverse("admin:ledger_teller_transfer")


def snapshot():
    return Transaction.objects.count(), JournalEntry.objects.count(), Posting.objects.count()


@pytest.fixture
def member(cashier, operations_manager):
    return make_member(registrar=cashier, verifier=operations_manager, first_name="Esi", last_name="Quaye")


@pytest.fixture
def monthly(cashier, member):
    # Monthly Contribution: withdrawals allowed, no cycle rules
    return fund(open_account(actor=cashier, member=member, kind="monthly_contribution"), "1000.00", cashier=cashier)


def review(client, url, **data):
    key = client.get(url).context["form"].initial["idempotency_key"]
    return client.post(url, {"idempotency_key": key, "description": "", "step": "review", **data})


# --- the service: one check, the right reason ---------------------------------------------------------

def test_short_of_funds_and_over_the_daily_limit_is_refused_for_funds(cashier, monthly):
    """Both rules are broken: the member's money is the reason, not the cashier's limit."""
    cashier.daily_transaction_limit = Decimal("500.00")
    cashier.save(update_fields=["daily_transaction_limit"])

    with pytest.raises(LedgerError) as refused:
        services.withdrawal_create(actor=cashier, account=monthly, amount="1500.00")

    assert refused.value.code == "insufficient_funds"
    assert "daily limit" not in refused.value.message


def test_review_posts_nothing_and_tells_the_fee_and_the_balance_after(cashier, monthly):
    before = snapshot()

    check = services.withdrawal_create(actor=cashier, account=monthly, amount="400.00", review=True)

    assert snapshot() == before
    assert check.fee == services.compute_fee(transaction_type="withdrawal", product=monthly.product,
                                             amount=Decimal("400.00"))
    assert check.balance_after(monthly) == Decimal("600.00") - check.fee
    assert check.needs_approval is False
    assert Account.objects.get(pk=monthly.pk).balance == Decimal("1000.00")


def test_review_refuses_what_posting_refuses_with_the_same_reason(cashier, monthly):
    Product.objects.filter(pk=monthly.product_id).update(minimum_balance=Decimal("300.00"))

    with pytest.raises(LedgerError) as at_review:
        services.withdrawal_create(actor=cashier, account=monthly, amount="800.00", review=True)
    assert Transaction.objects.filter(status=Transaction.Status.FAILED).count() == 0  # a review is no attempt
    with pytest.raises(LedgerError) as at_posting:
        services.withdrawal_create(actor=cashier, account=monthly, amount="800.00")

    assert at_review.value.code == at_posting.value.code == "insufficient_funds"
    assert at_review.value.message == at_posting.value.message
    assert Account.objects.get(pk=monthly.pk).balance == Decimal("1000.00")


# --- teller screens: refused at review, never at "Post" -----------------------------------------------

def test_teller_withdrawal_over_funds_and_limit_is_refused_at_review_for_funds(console, cashier, monthly):
    cashier.daily_transaction_limit = Decimal("500.00")
    cashier.save(update_fields=["daily_transaction_limit"])

    page = review(console(cashier), WITHDRAWAL, account=monthly.account_number, amount="1500.00")

    body = page.content.decode()
    assert page.status_code == 200 and 'data-testid="teller-confirm"' not in body
    assert "Insufficient funds" in body and "daily limit" not in body
    assert 'data-testid="post-button"' not in body


def test_teller_withdrawal_over_the_daily_limit_is_refused_at_review(console, cashier, monthly):
    cashier.daily_transaction_limit = Decimal("300.00")
    cashier.save(update_fields=["daily_transaction_limit"])

    body = review(console(cashier), WITHDRAWAL, account=monthly.account_number, amount="400.00").content.decode()

    assert "past your daily limit of 300.00" in body and 'data-testid="post-button"' not in body


def test_teller_withdrawal_that_would_break_the_minimum_balance_is_refused_at_review(console, cashier, monthly):
    Product.objects.filter(pk=monthly.product_id).update(minimum_balance=Decimal("300.00"))

    body = review(console(cashier), WITHDRAWAL, account=monthly.account_number, amount="800.00").content.decode()

    assert "Insufficient funds" in body and 'data-testid="post-button"' not in body


def test_teller_deposit_to_a_frozen_account_is_refused_at_review(console, cashier, manager, monthly):
    services.account_set_status(actor=manager, account=monthly, status=Account.Status.FROZEN, reason="Court order")

    body = review(console(cashier), DEPOSIT, account=monthly.account_number, amount="50.00").content.decode()

    assert "is frozen" in body and 'data-testid="post-button"' not in body
    assert Account.objects.get(pk=monthly.pk).balance == Decimal("1000.00")


def test_large_withdrawal_waits_for_approval_only_when_posting_would_accept_it(console, cashier, monthly):
    LedgerPolicy.objects.update_or_create(pk=LedgerPolicy.current().pk, defaults={"approval_threshold": "100.00"})
    client = console(cashier)

    within = review(client, WITHDRAWAL, account=monthly.account_number, amount="400.00").content.decode()
    beyond = review(client, WITHDRAWAL, account=monthly.account_number, amount="1400.00").content.decode()

    assert 'data-testid="approval-note"' in within and 'data-testid="post-button"' in within
    assert "Insufficient funds" in beyond and 'data-testid="approval-note"' not in beyond
    assert 'data-testid="post-button"' not in beyond


def test_teller_review_without_an_open_drawer_says_so(console, make_user, member, monthly):
    other = make_user("cashier")  # no drawer opened

    body = review(console(other), DEPOSIT, account=monthly.account_number, amount="50.00").content.decode()

    assert "Open your cash drawer" in body and 'data-testid="post-button"' not in body


def test_teller_transfer_review_shows_the_fee_posting_will_charge(console, cashier, manager, member, monthly):
    target = open_account(actor=cashier, member=member, kind="daily_susu")
    page = review(console(manager), TRANSFER, account=monthly.account_number, to_account=target.account_number,
                  amount="100.00")

    assert page.status_code == 200 and 'data-testid="teller-confirm"' in page.content.decode()
    assert page.context["preview"]["fee"] == services.compute_fee(transaction_type="transfer",
                                                                  product=monthly.product, amount=Decimal("100"))


# --- item 5: someone else's account -----------------------------------------------------------------

@pytest.fixture
def sender(customer, cashier, operations_manager):
    own = make_member(registrar=cashier, verifier=operations_manager, user=customer, first_name="Kofi",
                      last_name="Mensah")
    open_drawer(cashier)
    return fund(open_account(actor=cashier, member=own, kind="monthly_contribution"), "500.00", cashier=cashier)


def test_a_transfer_to_someone_elses_frozen_account_does_not_tell_why(customer, manager, sender, monthly):
    services.account_set_status(actor=manager, account=monthly, status=Account.Status.FROZEN,
                                reason="Court order 77/2026")

    with pytest.raises(LedgerError) as refused:
        services.transfer_create(actor=customer, from_account=sender.pk, to_account_number=monthly.account_number,
                                 amount="50.00", channel="portal")

    message = refused.value.message
    assert message == f"Account {monthly.account_number} cannot receive transfers."
    assert refused.value.code == "cannot_receive"
    assert "Court order" not in message and "frozen" not in message and monthly.product.name not in message
    failed = Transaction.objects.get(status=Transaction.Status.FAILED, initiated_by=customer)
    assert "Court order" not in failed.refusal_reason and "frozen" not in failed.refusal_reason
    assert Account.objects.get(pk=sender.pk).balance == Decimal("500.00")


def test_a_transfer_to_someone_elses_shares_account_does_not_tell_the_product(customer, cashier, member, sender):
    shares = open_account(actor=cashier, member=member, kind="shares")
    price = Product.objects.get(kind="shares").share_price
    odd = price + Decimal("0.50")

    with pytest.raises(LedgerError) as refused:
        services.transfer_create(actor=customer, from_account=sender.pk, to_account_number=shares.account_number,
                                 amount=odd, channel="portal")

    assert refused.value.message == f"Account {shares.account_number} cannot receive this amount."
    assert "share" not in refused.value.message.lower()


def test_staff_still_hear_why_an_account_is_frozen(cashier, manager, monthly):
    services.account_set_status(actor=manager, account=monthly, status=Account.Status.FROZEN, reason="Court order")

    with pytest.raises(LedgerError) as refused:
        services.deposit_create(actor=cashier, account=monthly, amount="10.00")

    assert refused.value.code == "account_frozen" and "Court order" in refused.value.message


def test_a_shares_pay_out_is_reviewed_by_the_same_checks(cashier, manager, member):
    open_drawer(cashier)
    shares = open_account(actor=cashier, member=member, kind="shares")
    savings = open_account(actor=cashier, member=member, kind="monthly_contribution")
    price = Product.objects.get(kind="shares").share_price
    services.deposit_create(actor=cashier, account=shares, amount=price * 5)

    check = services.shares_redeem(actor=cashier, shares_account=shares, to_account_number=savings.account_number,
                                   reason="Relocating", review=True)
    assert check.needs_approval and check.balance_after(savings) == price * 5  # waits for a manager
    services.account_set_status(actor=manager, account=savings, status=Account.Status.FROZEN, reason="Dispute")
    with pytest.raises(LedgerError) as refused:
        services.shares_redeem(actor=cashier, shares_account=shares, to_account_number=savings.account_number,
                               reason="Relocating", review=True)

    assert refused.value.code == "account_frozen"
    assert not Transaction.objects.filter(from_account=shares).exists()  # a review posts and holds nothing
    assert Account.objects.get(pk=shares.pk).held_balance == Decimal("0.00")
