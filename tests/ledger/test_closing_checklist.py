"""Closing the business day is a checklist: what is still open is listed with a link, resolved or
overridden with a written (audited) reason, and only then does the day close."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.cash import services as cash
from apps.core.closing import open_items
from apps.core.models import BusinessDay, CloseOverride, EndOfDayRun
from apps.ledger import services
from apps.ledger.business_days import business_day_close, close_item_override
from apps.ledger.errors import LedgerError
from apps.members.services import member_assign
from apps.messaging.models import Notification
from tests.support import add_totp_device, staff_client_for

from .factories import fund, make_member, on_day, open_account, open_drawer

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy_day(cashier, manager, mobile_banker, operations_manager):
    """A day with one of everything still open: the cashier's drawer, a banker's field cash, a large
    withdrawal waiting for approval and a cheque not cleared."""
    on_day(timezone.localdate())
    open_drawer(cashier)
    member = make_member(registrar=cashier, verifier=operations_manager, first_name="Ama", last_name="Mensah")
    account = fund(open_account(actor=cashier, member=member), "20000.00", cashier=cashier)
    member_assign(actor=manager, member=member, banker=mobile_banker)
    cash.field_collect(actor=mobile_banker, account=account, amount="30.00", idempotency_key="k-field")
    pending = services.withdrawal_create(actor=cashier, account=account, amount="15000.00")
    cheque = cash.cheque_deposit(actor=cashier, account=account, amount="800.00", drawer_bank="GCB Bank",
                                 cheque_number="000123")
    return {"account": account, "pending": pending, "cheque": cheque}


def test_the_checklist_lists_what_is_open_with_links_and_closing_is_refused_until_each_is_dealt_with(
        busy_day, operations_manager, cashier):
    texts = [item.text for item in open_items(timezone.localdate())]
    assert any("drawer of" in t and "still open" in t for t in texts)
    assert any("has not remitted the field cash" in t and "GH₵ 30.00" in t for t in texts)
    assert any(busy_day["pending"].reference in t and "waits for a manager's approval" in t for t in texts)
    assert any("Cheque 000123 from GCB Bank" in t for t in texts)

    with pytest.raises(LedgerError) as refused:
        business_day_close(actor=operations_manager)
    assert refused.value.code == "checklist_open" and "4 checklist items" in refused.value.message
    assert BusinessDay.objects.get(date=timezone.localdate()).status == BusinessDay.Status.OPEN
    assert not EndOfDayRun.objects.exists()

    add_totp_device(operations_manager)
    ops = staff_client_for(operations_manager)
    page = ops.get("/admin/business-day/").content.decode()
    assert 'data-testid="closing-checklist"' in page and "4 checklist items still open" in page
    assert f'href="/admin/cash/chequedeposit/{busy_day["cheque"].pk}/change/"' in page
    assert 'href="/admin/ledger/transaction/approvals/"' in page
    response = ops.post("/admin/business-day/", {"action": "close"}, follow=True)
    assert "cannot close yet" in response.content.decode()
    assert not EndOfDayRun.objects.exists()


def test_an_override_needs_a_written_reason_is_audited_and_lets_the_day_close(
        busy_day, operations_manager, cashier, django_capture_on_commit_callbacks):
    first = open_items(timezone.localdate())[0]
    for reason in ("", "   ", "ok"):
        with pytest.raises(ValidationError, match="Say why"):
            close_item_override(actor=operations_manager, item_key=first.key, reason=reason)
    with pytest.raises(LedgerError) as unknown:
        close_item_override(actor=operations_manager, item_key="cash.drawer:999999", reason="Looks fine to me")
    assert unknown.value.code == "item_not_open"
    with pytest.raises(PermissionDenied):
        close_item_override(actor=cashier, item_key=first.key, reason="The cashier would like to go home")
    assert not CloseOverride.objects.exists()

    for item in open_items(timezone.localdate()):
        close_item_override(actor=operations_manager, item_key=item.key,
                            reason="Carried to tomorrow, agreed with the branch manager")
    override = CloseOverride.objects.get(item_key=first.key)
    assert override.overridden_by == operations_manager and override.reason.startswith("Carried to tomorrow")
    event = AuditEvent.objects.filter(action="business_day.checklist_override").first()
    assert event.details["reason"] == "Carried to tomorrow, agreed with the branch manager"
    assert AuditEvent.objects.filter(action="business_day.checklist_override").count() == 4

    add_totp_device(operations_manager)
    ops = staff_client_for(operations_manager)
    page = ops.get("/admin/business-day/").content.decode()
    assert "Every checklist item is resolved or overridden" in page and "Carried to tomorrow" in page
    with django_capture_on_commit_callbacks(execute=True):
        ops.post("/admin/business-day/", {"action": "close"})
    assert EndOfDayRun.objects.get().status == EndOfDayRun.Status.COMPLETED
    report = ops.get("/admin/business-day/").content.decode()
    # The end-of-day report speaks in words, never in internal keys.
    assert "Drawers not closed: 1" in report and "Field cash not remitted: GH₵ 30.00" in report
    assert "Books: Balanced" in report
    assert 'data-testid="run-overrides"' in report  # the run keeps what was accepted, and why
    assert report.count("“Carried to tomorrow, agreed with the branch manager”") == 4
    for key in ("drawers_not_closed", "Drawers_not_closed", "Accrued_days", "accrued_days", "Susu_cycles_closed"):
        assert key not in report


def test_resolving_an_item_where_it_lives_takes_it_off_the_list(busy_day, operations_manager, cashier, manager):
    cheque_key = f"cash.cheque:{busy_day['cheque'].pk}"
    assert cheque_key in {item.key for item in open_items(timezone.localdate())}
    cash.cheque_clear(actor=operations_manager, cheque=busy_day["cheque"])
    services.transaction_approve(actor=manager, txn=busy_day["pending"])
    keys = {item.key for item in open_items(timezone.localdate())}
    assert cheque_key not in keys and f"ledger.approval:{busy_day['pending'].pk}" not in keys


def test_the_override_form_on_the_page_refuses_an_empty_reason_and_changes_nothing(busy_day, operations_manager):
    add_totp_device(operations_manager)
    ops = staff_client_for(operations_manager)
    item = open_items(timezone.localdate())[0]
    response = ops.post("/admin/business-day/", {"action": "override", "item": item.key, "reason": " "},
                        follow=True)
    assert "Say why this item may stay open" in response.content.decode()
    assert not CloseOverride.objects.exists()
    response = ops.post("/admin/business-day/", {"action": "override", "item": item.key,
                                                 "reason": "Cashier is counting late"}, follow=True)
    assert "Override recorded" in response.content.decode()
    assert CloseOverride.objects.get().item_key == item.key


def test_the_nightly_close_leaves_an_unfinished_day_open_and_tells_operations(busy_day, operations_manager,
                                                                             mailoutbox,
                                                                             django_capture_on_commit_callbacks):
    from apps.ledger.tasks import scheduled_end_of_day

    with django_capture_on_commit_callbacks(execute=True):  # the e-mail goes after the commit
        outcome = scheduled_end_of_day()
    assert "cannot close yet" in outcome
    assert BusinessDay.objects.get(date=timezone.localdate()).status == BusinessDay.Status.OPEN
    assert not EndOfDayRun.objects.exists()
    [mail] = mailoutbox
    assert mail.to == [operations_manager.email] and "closing checklist is not done" in mail.subject
    assert "/admin/business-day/" in mail.body and "4 checklist items" in mail.body
    [bell] = Notification.objects.filter(kind="business_day.still_open")  # and the bell shows it
    assert bell.user == operations_manager and bell.link == "/admin/business-day/"
