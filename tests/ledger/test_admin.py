"""The staff console's banking screens: teller deposit/withdrawal/transfer with confirmation and
receipt, the approvals queue, account actions, read-only ledger admins and audited exports."""

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.ledger import services
from apps.ledger.models import Account, JournalEntry, LedgerPolicy, Posting, Product, Transaction
from apps.members.services import member_assign
from tests.exports import export_through_job

from .factories import fund, make_member, open_account

pytestmark = pytest.mark.django_db

DEPOSIT = reverse("admin:ledger_teller_deposit")
WITHDRAWAL = reverse("admin:ledger_teller_withdrawal")
TRANSFER = reverse("admin:ledger_teller_transfer")
APPROVALS = reverse("admin:ledger_approvals")


def texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def snapshot():
    """What is posted or waiting: a refused movement adds none of it (only a FAILED record of itself)."""
    posted_or_waiting = Transaction.objects.exclude(status=Transaction.Status.FAILED)
    return posted_or_waiting.count(), JournalEntry.objects.count(), Posting.objects.count()


@pytest.fixture
def member(cashier, operations_manager):
    return make_member(registrar=cashier, verifier=operations_manager, first_name="Esi", last_name="Quaye")


@pytest.fixture
def susu(cashier, member):
    return fund(open_account(actor=cashier, member=member), "1000.00", cashier=cashier)


@pytest.fixture
def monthly(cashier, member):
    return open_account(actor=cashier, member=member, kind="monthly_contribution")


def start(client, url):
    """Open a teller form and return the idempotency key it was given."""
    response = client.get(url)
    assert response.status_code == 200
    key = response.context["form"].initial["idempotency_key"]
    assert key and f'value="{key}"' in response.content.decode()
    return key


# --- teller: deposit -----------------------------------------------------------------------------

def test_cashier_deposit_posts_once_even_when_the_confirmation_is_sent_twice(console, cashier, susu):
    client = console(cashier)
    key = start(client, DEPOSIT)
    data = {"idempotency_key": key, "account": susu.account_number, "amount": "250.00", "description": ""}

    review = client.post(DEPOSIT, {**data, "step": "review"})
    assert review.status_code == 200
    page = review.content.decode()
    assert 'data-testid="teller-confirm"' in page
    assert "Esi Quaye" in page and susu.member.member_number in page and susu.account_number in page
    assert "1,000.00" in page  # current balance
    assert "1,250.00" in page  # balance after
    assert Account.objects.get(pk=susu.pk).balance == Decimal("1000.00")  # nothing posted on review

    first = client.post(DEPOSIT, {**data, "step": "confirm"})
    second = client.post(DEPOSIT, {**data, "step": "confirm"})  # double click / browser retry

    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Account.objects.get(pk=susu.pk).balance == Decimal("1250.00")
    assert Transaction.objects.filter(to_account=susu, amount=Decimal("250.00")).count() == 1

    receipt = client.get(first["Location"])
    body = receipt.content.decode()
    txn = Transaction.objects.get(to_account=susu, amount=Decimal("250.00"))
    assert 'data-testid="receipt"' in body and txn.reference in body
    assert "1,250.00" in body  # new balance
    assert "window.print()" in body and "ledger/receipt.css" in body


def test_the_confirmation_shows_the_fee(console, cashier, susu):
    from apps.ledger.models import ServiceCharge

    ServiceCharge.objects.create(name="Deposit fee", transaction_type="deposit", kind="flat", amount="2.50")
    client = console(cashier)
    key = start(client, DEPOSIT)
    review = client.post(DEPOSIT, {"idempotency_key": key, "account": susu.account_number, "amount": "100",
                                   "step": "review"})
    assert review.context["preview"]["fee"] == Decimal("2.50")
    assert review.context["preview"]["balance_after"] == Decimal("1097.50")


def test_bad_input_is_refused_on_the_form(console, cashier, susu):
    client = console(cashier)
    key = start(client, DEPOSIT)
    before = snapshot()
    for amount, message in (("0", "greater than zero"), ("-5", "must be positive"), ("12.345", "two decimal"),
                            ("ten", "as a number")):
        response = client.post(DEPOSIT, {"idempotency_key": key, "account": susu.account_number, "amount": amount,
                                         "step": "confirm"})
        assert response.status_code == 200
        assert message in response.content.decode()
    response = client.post(DEPOSIT, {"idempotency_key": key, "account": "1000000000", "amount": "5",
                                     "step": "confirm"})
    assert "No account you may use has that number" in response.content.decode()
    assert snapshot() == before


def test_a_service_refusal_is_shown_on_the_form(console, cashier, susu, manager):
    services.account_set_status(actor=manager, account=susu, status="frozen", reason="Court order")
    client = console(cashier)
    key = start(client, DEPOSIT)
    before = snapshot()
    response = client.post(DEPOSIT, {"idempotency_key": key, "account": susu.account_number, "amount": "50",
                                     "step": "confirm"})
    assert response.status_code == 200
    assert "is frozen (Court order)" in response.content.decode()
    assert snapshot() == before


def test_account_lookup_by_name_and_number(console, cashier, susu):
    client = console(cashier)
    url = reverse("admin:ledger_teller_lookup")
    by_name = client.get(url, {"q": "quaye"}).json()["results"]
    assert [r["account_number"] for r in by_name] == [susu.account_number]
    by_number = client.get(url, {"q": susu.account_number[:6]}).json()["results"]
    assert susu.account_number in [r["account_number"] for r in by_number]
    by_member = client.get(url, {"q": susu.member.member_number}).json()["results"]
    assert by_member[0]["member_name"] == "Esi Quaye"
    page = client.get(DEPOSIT, {"q": "Quaye"}).content.decode()  # the no-JavaScript search step
    assert f"?account={susu.account_number}" in page


def test_a_mobile_banker_deposits_only_for_assigned_members(console, cashier, manager, mobile_banker, member, susu,
                                                            operations_manager):
    other = make_member(registrar=cashier, verifier=operations_manager, first_name="Yaa", last_name="Other")
    other_account = open_account(actor=cashier, member=other)
    member_assign(actor=manager, member=member, banker=mobile_banker)
    client = console(mobile_banker)

    page = client.get(DEPOSIT)
    assert page.status_code == 200 and "Field deposit" in page.content.decode()
    lookup = client.get(reverse("admin:ledger_teller_lookup"), {"q": "a"}).json()["results"]
    assert {r["account_number"] for r in lookup} <= {a.account_number for a in member.accounts.all()}

    key = page.context["form"].initial["idempotency_key"]
    refused = client.post(DEPOSIT, {"idempotency_key": key, "account": other_account.account_number,
                                    "amount": "20", "step": "confirm"})
    assert "No account you may use" in refused.content.decode()
    assert client.get(WITHDRAWAL).status_code == 403

    posted = client.post(DEPOSIT, {"idempotency_key": key, "account": susu.account_number, "amount": "20",
                                   "step": "confirm"})
    assert posted.status_code == 302
    assert Account.objects.get(pk=susu.pk).balance == Decimal("1020.00")
    assert Transaction.objects.get(to_account=susu, amount=Decimal("20.00")).initiated_by == mobile_banker


# --- teller: withdrawal and transfer -------------------------------------------------------------------

def test_withdrawal_above_the_available_balance_shows_the_error_and_posts_nothing(console, cashier, susu):
    client = console(cashier)
    key = start(client, WITHDRAWAL)
    data = {"idempotency_key": key, "account": susu.account_number, "amount": "1500.00"}

    review = client.post(WITHDRAWAL, {**data, "step": "review"}).content.decode()
    # refused at review, with the posting's own reason: no confirm step, no post button
    assert "Insufficient funds" in review and 'data-testid="teller-form"' in review
    assert 'data-testid="post-button"' not in review
    before = snapshot()

    response = client.post(WITHDRAWAL, {**data, "step": "confirm"})

    assert response.status_code == 200
    body = response.content.decode()
    assert "Insufficient funds" in body and 'data-testid="teller-form"' in body
    assert snapshot() == before
    assert Account.objects.get(pk=susu.pk).balance == Decimal("1000.00")


def test_withdrawal_within_the_balance_pays_out(console, cashier, susu):
    client = console(cashier)
    key = start(client, WITHDRAWAL)
    response = client.post(WITHDRAWAL, {"idempotency_key": key, "account": susu.account_number, "amount": "400",
                                        "step": "confirm"})
    assert response.status_code == 302
    assert Account.objects.get(pk=susu.pk).balance == Decimal("600.00")
    assert "600.00" in client.get(response["Location"]).content.decode()


def test_a_mobile_banker_and_a_manager_have_no_withdrawal_screen(console, mobile_banker, manager):
    assert console(mobile_banker).get(WITHDRAWAL).status_code == 403
    assert console(manager).get(WITHDRAWAL).status_code == 403


def test_transfer_between_accounts(console, cashier, susu, monthly):
    client = console(cashier)
    key = start(client, TRANSFER)
    data = {"idempotency_key": key, "account": susu.account_number, "to_account": monthly.account_number,
            "amount": "300"}
    review = client.post(TRANSFER, {**data, "step": "review"})
    assert monthly.account_number in review.content.decode()
    response = client.post(TRANSFER, {**data, "step": "confirm"})
    assert response.status_code == 302
    assert Account.objects.get(pk=susu.pk).balance == Decimal("700.00")
    assert Account.objects.get(pk=monthly.pk).balance == Decimal("300.00")


def test_a_transfer_above_the_threshold_waits_for_approval_instead_of_a_receipt(console, cashier, susu, monthly):
    LedgerPolicy.objects.update_or_create(pk=LedgerPolicy.current().pk, defaults={"approval_threshold": "100.00"})
    client = console(cashier)
    key = start(client, TRANSFER)
    data = {"idempotency_key": key, "account": susu.account_number, "to_account": monthly.account_number,
            "amount": "500"}
    assert 'data-testid="approval-note"' in client.post(TRANSFER, {**data, "step": "review"}).content.decode()
    response = client.post(TRANSFER, {**data, "step": "confirm"})
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="pending-approval"' in page and 'data-testid="receipt"' not in page
    assert Account.objects.get(pk=susu.pk).balance == Decimal("1000.00")


# --- approvals ---------------------------------------------------------------------------------------

@pytest.fixture
def pending_transfer(cashier, susu, monthly):
    LedgerPolicy.objects.update_or_create(pk=LedgerPolicy.current().pk, defaults={"approval_threshold": "100.00"})
    txn = services.transfer_create(actor=cashier, from_account=susu, to_account_number=monthly.account_number,
                                   amount="500.00")
    assert txn.status == Transaction.Status.PENDING
    return txn


def test_a_manager_approves_a_pending_transfer_from_the_queue(console, manager, pending_transfer, susu, monthly):
    client = console(manager)
    queue = client.get(APPROVALS)
    assert queue.status_code == 200
    page = queue.content.decode()
    assert pending_transfer.reference in page and "500.00" in page
    assert [row["txn"] for row in queue.context["rows"]] == [pending_transfer]
    assert queue.context["rows"][0]["own"] is False

    response = client.post(reverse("admin:ledger_approval_decide", args=[pending_transfer.pk, "approve"]))

    assert response.status_code == 302 and response["Location"] == APPROVALS
    pending_transfer.refresh_from_db()
    assert pending_transfer.status == Transaction.Status.COMPLETED and pending_transfer.approved_by == manager
    assert Account.objects.get(pk=susu.pk).balance == Decimal("500.00")
    assert Account.objects.get(pk=monthly.pk).balance == Decimal("500.00")
    assert client.get(APPROVALS).context["rows"] == []


def test_a_manager_cannot_approve_their_own_transfer(console, manager, susu, monthly):
    LedgerPolicy.objects.update_or_create(pk=LedgerPolicy.current().pk, defaults={"approval_threshold": "100.00"})
    own = services.transfer_create(actor=manager, from_account=susu, to_account_number=monthly.account_number,
                                   amount="500.00")
    client = console(manager)
    queue = client.get(APPROVALS)
    assert queue.context["rows"][0]["own"] is True
    row = queue.content.decode().split(f'data-reference="{own.reference}"')[1].split("</tr>")[0]
    assert "disabled" in row and 'action="' + reverse("admin:ledger_approval_decide", args=[own.pk, "reject"]) \
        not in row

    response = client.post(reverse("admin:ledger_approval_decide", args=[own.pk, "approve"]))

    assert any("A second person must decide" in text for text in texts(response))
    own.refresh_from_db()
    assert own.status == Transaction.Status.PENDING
    assert Account.objects.get(pk=susu.pk).balance == Decimal("1000.00")


def test_a_manager_rejects_with_a_reason(console, manager, pending_transfer, susu):
    client = console(manager)
    url = reverse("admin:ledger_approval_decide", args=[pending_transfer.pk, "reject"])
    assert any("Give the reason" in t for t in texts(client.post(url, {"reason": " "})))
    client.post(url, {"reason": "Customer called to cancel"})
    pending_transfer.refresh_from_db()
    assert pending_transfer.status == Transaction.Status.CANCELLED
    susu.refresh_from_db()
    assert susu.balance == Decimal("1000.00") and susu.held_balance == Decimal("0.00")


def test_the_queue_is_for_managers_only(console, cashier, operations_manager, pending_transfer):
    assert console(cashier).get(APPROVALS).status_code == 403
    assert console(operations_manager).get(APPROVALS).status_code == 403
    response = console(cashier).post(reverse("admin:ledger_approval_decide", args=[pending_transfer.pk, "approve"]))
    assert response.status_code == 403


def test_the_sidebar_shows_the_pending_count_to_managers(console, manager, cashier, pending_transfer):
    from apps.core.sidebar import navigation

    page = console(manager).get(reverse("admin:index"))
    approvals = [item for group in navigation(page.wsgi_request) for item in group["items"]
                 if item["title"] == "Approvals"][0]
    assert approvals["badge"] == 1
    assert reverse("admin:ledger_approvals") in page.content.decode()
    assert reverse("admin:ledger_approvals") not in console(cashier).get(reverse("admin:index")).content.decode()


# --- accounts, transactions, journal ---------------------------------------------------------------

def test_account_page_shows_balances_and_recent_movements_read_only(console, cashier, susu):
    services.withdrawal_create(actor=cashier, account=susu, amount="100.00")
    response = console(cashier).get(reverse("admin:ledger_account_change", args=[susu.pk]))
    assert response.status_code == 200
    movements = response.context["movements"]
    assert [(m.money_in, m.money_out, m.balance) for m in movements] == [
        (Decimal("0"), Decimal("100.00"), Decimal("900.00")), (Decimal("1000.00"), Decimal("0"), Decimal("1000.00"))]
    body = response.content.decode()
    assert 'data-testid="recent-movements"' in body and "900.00" in body
    assert 'name="balance"' not in body


def test_freeze_and_unfreeze_with_a_reason(console, manager, susu):
    client = console(manager)
    url = reverse("admin:ledger_account_freeze", args=[susu.pk])
    assert client.post(url, {"_form_submitted": "on", "reason": ""}).status_code == 200  # dialog with error
    assert Account.objects.get(pk=susu.pk).status == "active"
    client.post(url, {"_form_submitted": "on", "reason": "Suspected fraud"})
    susu.refresh_from_db()
    assert susu.status == "frozen" and susu.status_reason == "Suspected fraud"
    assert client.post(url, {"_form_submitted": "on", "reason": "again"}).status_code == 403  # already frozen
    client.post(reverse("admin:ledger_account_unfreeze", args=[susu.pk]), {"_form_submitted": "on",
                                                                          "reason": "Cleared"})
    susu.refresh_from_db()
    assert susu.status == "active"


def test_a_cashier_cannot_freeze(console, cashier, susu):
    url = reverse("admin:ledger_account_freeze", args=[susu.pk])
    assert console(cashier).post(url, {"_form_submitted": "on", "reason": "x"}).status_code == 403


def test_closing_an_account_with_money_is_refused_with_the_services_message(console, manager, susu):
    response = console(manager).post(reverse("admin:ledger_account_close", args=[susu.pk]),
                                     {"_form_submitted": "on", "reason": "Member left"})
    assert any("Pay out or transfer the balance" in text for text in texts(response))
    assert Account.objects.get(pk=susu.pk).status == "active"


def test_opening_an_account_goes_through_the_service(console, cashier, member):
    from apps.ledger.models import Product

    product = Product.objects.get(kind="shares")
    client = console(cashier)
    response = client.post(reverse("admin:ledger_account_add"), {"member": member.pk, "product": product.pk})
    assert response.status_code == 302
    account = Account.objects.get(member=member, product=product)
    assert account.opened_by == cashier
    assert AuditEvent.objects.filter(action="account.open", target_id=str(account.pk)).exists()

    again = client.post(reverse("admin:ledger_account_add"), {"member": member.pk, "product": product.pk})
    assert again.status_code == 200
    assert "already has a Member Shares account" in again.content.decode()
    assert Account.objects.filter(member=member, product=product).count() == 1


def test_transaction_page_shows_its_postings_and_reversal_waits_for_approval(console, cashier, manager, susu):
    txn = Transaction.objects.get(to_account=susu)
    client = console(cashier)
    page = client.get(reverse("admin:ledger_transaction_change", args=[txn.pk]))
    assert page.status_code == 200
    assert 'data-testid="journal-entry"' in page.content.decode() and len(page.context["postings"]) == 2

    client.post(reverse("admin:ledger_transaction_request_reversal", args=[txn.pk]),
                {"_form_submitted": "on", "reason": "Wrong account"})
    reversal = Transaction.objects.get(reverses=txn)
    assert reversal.status == Transaction.Status.PENDING
    assert Account.objects.get(pk=susu.pk).balance == Decimal("1000.00")
    queue = console(manager).get(APPROVALS)
    assert queue.context["rows"][0]["reason"] == "Wrong account"


def test_ledger_rows_cannot_be_added_changed_or_deleted_in_the_admin(console, administrator, susu):
    client = console(administrator)
    txn = Transaction.objects.get(to_account=susu)
    entry = JournalEntry.objects.get(transaction=txn)
    assert client.get(reverse("admin:ledger_transaction_add")).status_code == 403
    assert client.get(reverse("admin:ledger_journalentry_add")).status_code == 403
    assert client.post(reverse("admin:ledger_transaction_delete", args=[txn.pk]), {"post": "yes"}).status_code == 403
    assert client.post(reverse("admin:ledger_journalentry_delete", args=[entry.pk]),
                       {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:ledger_journalentry_change", args=[entry.pk])).status_code == 200
    response = client.post(reverse("admin:ledger_account_change", args=[susu.pk]), {"status": "closed"})
    assert response.status_code == 403
    assert Account.objects.get(pk=susu.pk).status == "active"


def test_account_history_cannot_be_reverted(console, administrator, manager, susu):
    services.account_set_status(actor=manager, account=susu, status="frozen", reason="x")
    version = susu.history.order_by("history_id").first()
    url = reverse("admin:ledger_account_simple_history", args=[susu.pk, version.history_id])
    client = console(administrator)
    assert client.get(url).status_code == 200
    assert client.post(url, {}).status_code == 403
    susu.refresh_from_db()
    assert susu.status == "frozen" and susu.balance == Decimal("1000.00")


def test_a_product_with_accounts_keeps_its_cycle_and_share_price(console, operations_manager, susu):
    susu_product = susu.product
    shares_product = Product.objects.get(kind="shares")  # no accounts yet: still editable
    client = console(operations_manager)
    with_accounts = client.get(reverse("admin:ledger_product_change", args=[susu_product.pk]))
    without = client.get(reverse("admin:ledger_product_change", args=[shares_product.pk]))
    assert with_accounts.status_code == without.status_code == 200
    assert {"cycle_days", "share_price"} <= set(with_accounts.context["adminform"].readonly_fields)
    assert "cycle_days" in without.context["adminform"].form.fields


def test_ledger_policy_is_one_row_changed_by_operations(console, operations_manager, manager):
    policy = LedgerPolicy.current()
    client = console(operations_manager)
    response = client.get(reverse("admin:ledger_ledgerpolicy_changelist"))
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:ledger_ledgerpolicy_change", args=[policy.pk])
    client.post(response["Location"], {"approval_threshold": "25000.00"})
    assert LedgerPolicy.current().approval_threshold == Decimal("25000.00")
    assert AuditEvent.objects.filter(action="ledgerpolicy.change").exists()
    assert console(manager).post(response["Location"], {"approval_threshold": "1.00"}).status_code == 403


# --- exports ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("model", ["account", "transaction"])
def test_exports_are_audited(console, operations_manager, susu, model):
    response = export_through_job(console(operations_manager), reverse(f"admin:ledger_{model}_export"),
                                  {"format": "0"})
    assert response.status_code == 200
    assert susu.account_number in response.content.decode()
    event = AuditEvent.objects.get(action=f"export.{model}")
    assert event.actor == operations_manager and event.details["rows"] >= 1 and event.details["format"] == "csv"


def test_a_cashier_cannot_export_transactions(console, cashier, susu):
    assert console(cashier).post(reverse("admin:ledger_transaction_export"), {"format": "0"}).status_code == 403


def test_dashboard_shows_banking_figures_by_role(console, manager, cashier, susu):
    manager_page = console(manager).get(reverse("admin:index"))
    banking = manager_page.context["banking"]
    assert banking["deposits_total"] == Decimal("1000.00")
    assert banking["pending_approvals"] == 0
    assert "Member deposits by product" in manager_page.content.decode()
    cashier_page = console(cashier).get(reverse("admin:index"))
    assert "deposits_by_product" not in cashier_page.context["banking"]
    assert cashier_page.context["banking"]["today_count"] == 1  # the fixture's deposit, posted by this cashier
    assert "Member deposits by product" not in cashier_page.content.decode()
