"""Reversing from the journal: the entry admin's "Request reversal" action holds a pending reversal
that moves no money until a second, different manager approves it."""

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from apps.ledger.models import Account, JournalEntry, Posting, Transaction

from .factories import fund, make_member, open_account

pytestmark = pytest.mark.django_db


def texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def balance(account) -> Decimal:
    return Account.objects.get(pk=account.pk).balance


@pytest.fixture
def susu(cashier, operations_manager):
    member = make_member(registrar=cashier, verifier=operations_manager)
    return fund(open_account(actor=cashier, member=member), "1000.00", cashier=cashier)


@pytest.fixture
def entry(susu):
    return JournalEntry.objects.get(transaction__to_account=susu)


def request_reversal(client, entry, reason):
    return client.post(reverse("admin:ledger_journalentry_request_reversal", args=[entry.pk]),
                       {"_form_submitted": "on", "reason": reason})


def test_reverse_from_the_journal_waits_for_a_different_manager(console, make_user, manager, susu, entry):
    original = entry.transaction
    client = console(manager)
    page = client.get(reverse("admin:ledger_journalentry_change", args=[entry.pk]))
    assert page.status_code == 200
    assert reverse("admin:ledger_journalentry_request_reversal", args=[entry.pk]) in page.content.decode()
    entries, postings = JournalEntry.objects.count(), Posting.objects.count()

    response = request_reversal(client, entry, "Posted to the wrong member")

    assert response.status_code == 302
    reversal = Transaction.objects.get(reverses=original)
    assert any(reversal.reference in text and "waits for a manager's approval" in text for text in texts(response))
    assert reversal.status == Transaction.Status.PENDING and reversal.transaction_type == Transaction.Type.REVERSAL
    assert reversal.initiated_by == manager
    assert balance(susu) == Decimal("1000.00")
    assert (JournalEntry.objects.count(), Posting.objects.count()) == (entries, postings)

    # The manager who asked cannot approve it.
    own = client.post(reverse("admin:ledger_approval_decide", args=[reversal.pk, "approve"]))
    assert any("A second person must decide" in text for text in texts(own))
    reversal.refresh_from_db()
    assert reversal.status == Transaction.Status.PENDING and balance(susu) == Decimal("1000.00")

    second = make_user("manager")
    console(second).post(reverse("admin:ledger_approval_decide", args=[reversal.pk, "approve"]))

    reversal.refresh_from_db()
    assert reversal.status == Transaction.Status.COMPLETED and reversal.approved_by == second
    assert balance(susu) == Decimal("0.00")
    reversing = JournalEntry.objects.get(transaction=reversal)
    assert reversing.reverses == entry
    assert sorted((p.debit, p.credit) for p in reversing.postings.all()) == sorted(
        (p.credit, p.debit) for p in entry.postings.all())


def test_a_reversal_needs_a_reason_and_is_asked_for_once(console, manager, susu, entry):
    client = console(manager)
    refused = request_reversal(client, entry, "")
    assert refused.status_code == 200  # the dialog again, with the error
    assert not Transaction.objects.filter(reverses=entry.transaction).exists()

    request_reversal(client, entry, "Duplicate")
    assert request_reversal(client, entry, "Duplicate again").status_code == 403
    assert Transaction.objects.filter(reverses=entry.transaction).count() == 1
    assert balance(susu) == Decimal("1000.00")


def test_roles_without_the_journal_cannot_reverse_from_it(console, mobile_banker, susu, entry):
    assert request_reversal(console(mobile_banker), entry, "Mistake").status_code == 403
    assert not Transaction.objects.filter(reverses=entry.transaction).exists()
