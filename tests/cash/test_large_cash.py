"""Large cash: a cash deposit or withdrawal at or above the cash transaction report threshold is
flagged, listed for the compliance export (audited) and shown to managers; operations set the threshold."""

from decimal import Decimal

import pytest
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.cash.models import CashPolicy
from apps.cash.selectors import large_cash_transactions
from apps.ledger import services
from tests.exports import export_through_job
from tests.ledger.factories import make_member, open_account, open_drawer

pytestmark = pytest.mark.django_db

LIST = "/admin/cash/largecashtransaction/"


@pytest.fixture
def movements(cashier, manager, operations_manager):
    open_drawer(cashier, Decimal("200000.00"))
    cashier.daily_transaction_limit = Decimal("500000.00")
    cashier.save(update_fields=["daily_transaction_limit"])
    member = make_member(registrar=cashier, verifier=operations_manager, first_name="Kojo", last_name="Asante")
    account = open_account(actor=cashier, member=member)
    other = open_account(actor=cashier, member=member, kind="monthly_contribution")
    at = services.deposit_create(actor=cashier, account=account, amount="50000.00")
    below = services.deposit_create(actor=cashier, account=account, amount="49999.99")
    withdrawal = services.withdrawal_create(actor=cashier, account=account, amount="60000.00")
    services.transaction_approve(actor=manager, txn=withdrawal)  # above the four-eyes threshold
    transfer = services.transfer_create(actor=cashier, from_account=account, to_account_number=other.account_number,
                                        amount="30000.00")
    services.transaction_approve(actor=manager, txn=transfer)  # completed, but no cash changed hands
    return {"at": at, "below": below, "withdrawal": withdrawal, "transfer": transfer}


def test_cash_at_or_above_the_threshold_is_flagged_and_nothing_else(movements):
    flagged = set(large_cash_transactions().values_list("reference", flat=True))
    assert flagged == {movements["at"].reference, movements["withdrawal"].reference}
    policy = CashPolicy.current()
    policy.cash_report_threshold = Decimal("20000.00")
    policy.save()
    flagged = set(large_cash_transactions().values_list("reference", flat=True))
    assert movements["below"].reference in flagged
    movements["transfer"].refresh_from_db()
    assert movements["transfer"].status == "completed" and movements["transfer"].reference not in flagged


def test_managers_see_the_list_and_export_it_and_every_export_is_audited(console, manager, cashier, movements):
    page = console(manager).get(LIST).content.decode()
    assert movements["at"].reference in page and movements["withdrawal"].reference in page
    assert movements["below"].reference not in page
    assert "GH₵ 50,000.00" in page and "Cash withdrawal" in page and "Kojo Asante" in page
    response = export_through_job(console(manager), reverse("admin:cash_largecashtransaction_export"),
                                  {"format": "0"})
    assert response.status_code == 200
    csv = response.content.decode()
    assert movements["at"].reference in csv and "Cash deposit" in csv and "50000.00" in csv
    assert movements["below"].reference not in csv
    event = AuditEvent.objects.get(action="export.largecashtransaction")
    assert event.actor == manager and event.details["rows"] == 2
    assert console(cashier).get(LIST).status_code == 403
    assert console(cashier).post(reverse("admin:cash_largecashtransaction_export"),
                                 {"format": "0"}).status_code == 403


def test_operations_set_the_threshold_audited_and_a_bad_value_changes_nothing(console, operations_manager,
                                                                             manager):
    policy = CashPolicy.current()
    url = reverse("admin:cash_cashpolicy_change", args=[policy.pk])
    client = console(operations_manager)
    for bad in ("0", "-100.00", "abc", "1e5", "12.345"):
        response = client.post(url, {"variance_tolerance": "5.00", "cash_report_threshold": bad})
        assert response.status_code == 200, bad  # the form again, with the error
        assert CashPolicy.current().cash_report_threshold == Decimal("50000.00")
    assert "The threshold must be more than zero." in client.post(
        url, {"variance_tolerance": "5.00", "cash_report_threshold": "0"}).content.decode()
    client.post(url, {"variance_tolerance": "5.00", "cash_report_threshold": "20000.00"})
    assert CashPolicy.current().cash_report_threshold == Decimal("20000.00")
    event = AuditEvent.objects.get(action="cashpolicy.change")
    assert event.details["cash_report_threshold"] == "20000.00"
    assert CashPolicy.current().history.count() >= 2  # the change is kept with its history
    assert console(manager).post(url, {"variance_tolerance": "5.00",
                                       "cash_report_threshold": "1.00"}).status_code == 403
