"""Field remittance variances: within the tolerance they post at once; above it the counted cash
goes into the cashier's drawer and the difference waits on the banker's field cash until a manager
who neither remitted nor received the cash signs it off (posted to cash over and short) or rejects
it (left with the banker, expected with their next remittance). Services, console and API."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.cash import services as cash
from apps.cash.admin_views import signoffs_badge
from apps.cash.models import CashPolicy, CollectionRun
from apps.core import roles
from apps.core.models import BusinessDay
from apps.ledger import chart
from apps.ledger.errors import LedgerError
from apps.ledger.management.commands.verify_ledger import find_differences
from apps.ledger.models import GLAccount, JournalEntry
from apps.members.services import member_assign
from tests.ledger.factories import make_member, open_account
from tests.support import post_json

pytestmark = pytest.mark.django_db

SIGNOFFS = reverse("admin:cash_drawer_signoffs")
POSITION = reverse("admin:cash_position")
REMIT = reverse("admin:cash_field_remit")


def variance_account() -> Decimal:
    return cash.gl_balance(GLAccount.objects.get(code=chart.CASH_VARIANCE))


@pytest.fixture
def drawer(manager, cashier):
    cash.vault_receive(actor=manager, amount="50000.00", note="Bank withdrawal slip 0042")
    cash.float_issue(actor=manager, cashier=cashier, amount="1000.00")
    return cash.drawer_open(actor=cashier, denominations={"200.00": 5})


@pytest.fixture
def susu(cashier, operations_manager, manager, mobile_banker):
    member = make_member(registrar=cashier, verifier=operations_manager, first_name="Mansa")
    member_assign(actor=manager, member=member, banker=mobile_banker)
    return open_account(actor=cashier, member=member)


@pytest.fixture
def short_run(mobile_banker, cashier, drawer, susu):
    """300.00 collected, 200.00 counted: 100.00 short, far above the 5.00 tolerance."""
    cash.field_collect(actor=mobile_banker, account=susu, amount="300.00", idempotency_key="c1")
    return cash.field_remit(actor=mobile_banker, cashier=cashier, denominations={"100.00": 2})


def next_business_day():
    today = BusinessDay.objects.get(status=BusinessDay.Status.OPEN)
    today.status = BusinessDay.Status.CLOSED
    today.save()
    return BusinessDay.objects.create(date=today.date + timedelta(days=1), status=BusinessDay.Status.OPEN).date


def test_a_variance_within_tolerance_posts_with_the_remittance(mobile_banker, cashier, drawer, susu):
    assert CashPolicy.current().variance_tolerance == Decimal("5.00")
    cash.field_collect(actor=mobile_banker, account=susu, amount="60.00")
    run = cash.field_remit(actor=mobile_banker, cashier=cashier, denominations={"50.00": 1, "5.00": 1, "2.00": 1})
    assert (run.status, run.variance, run.variance_decision) == (CollectionRun.Status.REMITTED, Decimal("-3.00"), "")
    assert cash.drawer_expected(drawer) == Decimal("1057.00")
    assert cash.gl_balance(run.gl_account) == Decimal("0.00")
    assert variance_account() == Decimal("3.00")
    assert AuditEvent.objects.filter(action="cash.field_remit", target_id=str(run.pk)).exists()
    assert find_differences() == []


def test_above_tolerance_the_cash_goes_to_the_drawer_and_the_difference_waits(short_run, drawer, mobile_banker):
    run = short_run
    assert (run.status, run.expected_amount, run.counted_amount, run.variance) == (
        CollectionRun.Status.PENDING_APPROVAL, Decimal("300.00"), Decimal("200.00"), Decimal("-100.00"))
    assert cash.drawer_expected(drawer) == Decimal("1200.00")  # what the cashier actually holds
    assert cash.gl_balance(run.gl_account) == Decimal("100.00")  # the shortage, still on the banker
    assert variance_account() == Decimal("0.00")  # nothing written off yet
    event = AuditEvent.objects.get(action="cash.field_remit_pending", target_id=str(run.pk))
    assert event.details["over_tolerance"] is True and event.details["variance"] == "-100.00"
    # a pending remittance is remitted: no second remittance, no more collections today
    with pytest.raises(LedgerError) as exc:
        cash.field_remit(actor=mobile_banker, cashier=drawer.cashier, denominations={"100.00": 1})
    assert exc.value.code == "already_remitted"
    assert find_differences() == []


def test_no_one_who_handled_the_cash_signs_it_off(short_run, mobile_banker, cashier, manager, monkeypatch):
    entries = JournalEntry.objects.count()
    for person in (mobile_banker, cashier):
        with pytest.raises(PermissionDenied):
            cash.field_remit_approve(actor=person, run=short_run, note="Fine by me")
        with pytest.raises(PermissionDenied):
            cash.field_remit_reject(actor=person, run=short_run, reason="No")
    # a personal grant of the permission does not make them a decider (only a role can) ...
    approve = Permission.objects.get(codename="approve_drawer", content_type__app_label="cash")
    for person in (mobile_banker, cashier):
        person.user_permissions.add(approve)
        person = type(person).objects.get(pk=person.pk)  # drop the permission cache
        with pytest.raises(PermissionDenied):
            cash.field_remit_approve(actor=person, run=short_run, note="Fine by me")
    # ... and even if their roles decided remittances, the banker and the receiving cashier may not
    for person in (mobile_banker, cashier):
        monkeypatch.setitem(roles.GRANTS, person.role, {*roles.GRANTS[person.role], "cash.approve_drawer"})
        person = type(person).objects.get(pk=person.pk)
        with pytest.raises(LedgerError) as exc:
            cash.field_remit_approve(actor=person, run=short_run, note="Fine by me")
        assert exc.value.code == "self_approval"
    with pytest.raises(ValidationError):
        cash.field_remit_approve(actor=manager, run=short_run, note="  ")
    with pytest.raises(ValidationError):
        cash.field_remit_reject(actor=manager, run=short_run, reason="")
    short_run.refresh_from_db()
    assert short_run.status == CollectionRun.Status.PENDING_APPROVAL
    assert JournalEntry.objects.count() == entries


def test_sign_off_posts_the_variance_to_cash_over_and_short(short_run, manager):
    run = cash.field_remit_approve(actor=manager, run=short_run, note="Banker robbed on the way; police report 114")
    assert (run.status, run.variance_decision, run.decided_by) == (
        CollectionRun.Status.REMITTED, CollectionRun.Decision.APPROVED, manager)
    assert run.decision_note == "Banker robbed on the way; police report 114"
    assert variance_account() == Decimal("100.00")
    assert cash.gl_balance(run.gl_account) == Decimal("0.00")
    assert AuditEvent.objects.filter(action="cash.field_remit_approved", actor=manager).exists()
    with pytest.raises(LedgerError) as exc:
        cash.field_remit_approve(actor=manager, run=run, note="again")
    assert exc.value.code == "not_pending"
    assert variance_account() == Decimal("100.00")
    assert find_differences() == []


def test_an_overage_above_tolerance_signed_off_is_credited_to_cash_over_and_short(mobile_banker, cashier, drawer,
                                                                                  susu, manager):
    cash.field_collect(actor=mobile_banker, account=susu, amount="40.00")
    run = cash.field_remit(actor=mobile_banker, cashier=cashier, denominations={"50.00": 1})
    assert (run.status, run.variance) == (CollectionRun.Status.PENDING_APPROVAL, Decimal("10.00"))
    assert cash.drawer_expected(drawer) == Decimal("1050.00")
    assert cash.gl_balance(run.gl_account) == Decimal("-10.00")
    cash.field_remit_approve(actor=manager, run=run, note="Member paid ahead; not recorded")
    assert variance_account() == Decimal("-10.00")  # a credit to the over-and-short expense
    assert cash.gl_balance(run.gl_account) == Decimal("0.00")
    assert find_differences() == []


def test_a_rejected_shortage_stays_with_the_banker_and_is_expected_next_time(short_run, manager, mobile_banker,
                                                                             cashier, susu, drawer):
    run = cash.field_remit_reject(actor=manager, run=short_run, reason="Bring the missing cash tomorrow")
    assert (run.status, run.variance_decision) == (CollectionRun.Status.REMITTED, CollectionRun.Decision.REJECTED)
    assert variance_account() == Decimal("0.00")
    assert cash.gl_balance(run.gl_account) == Decimal("100.00")
    assert AuditEvent.objects.filter(action="cash.field_remit_rejected", actor=manager).exists()

    next_business_day()
    cash.field_collect(actor=mobile_banker, account=susu, amount="50.00")
    tomorrow = cash.field_remit(actor=mobile_banker, cashier=cashier, denominations={"50.00": 3})
    assert (tomorrow.expected_amount, tomorrow.variance, tomorrow.status) == (
        Decimal("150.00"), Decimal("0.00"), CollectionRun.Status.REMITTED)
    assert cash.gl_balance(run.gl_account) == Decimal("0.00")
    assert cash.drawer_expected(drawer) == Decimal("1000.00") + 200 + 150
    assert find_differences() == []


def test_a_difference_still_waiting_is_not_expected_again_the_next_day(short_run, manager, mobile_banker, cashier,
                                                                       susu):
    next_business_day()
    cash.field_collect(actor=mobile_banker, account=susu, amount="50.00")
    assert cash.field_cash_expected(short_run.gl_account) == Decimal("50.00")
    tomorrow = cash.field_remit(actor=mobile_banker, cashier=cashier, denominations={"50.00": 1})
    assert (tomorrow.expected_amount, tomorrow.variance) == (Decimal("50.00"), Decimal("0.00"))
    cash.field_remit_approve(actor=manager, run=short_run, note="Accepted after review")
    assert cash.gl_balance(short_run.gl_account) == Decimal("0.00")
    assert variance_account() == Decimal("100.00")
    assert find_differences() == []


# --- the console -----------------------------------------------------------------------------------------

def test_the_banker_sees_that_the_remittance_waits(console, mobile_banker, cashier, drawer, susu):
    cash.field_collect(actor=mobile_banker, account=susu, amount="300.00")
    client = console(mobile_banker)
    response = client.post(REMIT, {"remit-cashier": cashier.pk, "remit-n_100_00": "2"}, follow=True)
    body = response.content.decode()
    assert 'data-testid="remit-pending"' in body and "waits for a manager" in body
    assert CollectionRun.objects.get().status == CollectionRun.Status.PENDING_APPROVAL


def test_a_manager_decides_remittances_on_the_sign_offs_page(console, short_run, manager, make_user, rf):
    client = console(manager)
    page = client.get(SIGNOFFS).content.decode()
    assert 'data-testid="remittance-row"' in page and "-100.00" in page
    request = rf.get("/admin/")
    request.user = manager
    assert signoffs_badge(request) == 1

    client.post(SIGNOFFS, {"action": "remit_signoff", "run": short_run.pk, "reason": ""})
    short_run.refresh_from_db()
    assert short_run.status == CollectionRun.Status.PENDING_APPROVAL and variance_account() == Decimal("0.00")

    client.post(SIGNOFFS, {"action": "remit_signoff", "run": short_run.pk, "reason": "Recounted at the branch"})
    short_run.refresh_from_db()
    assert (short_run.status, short_run.decision_note) == (CollectionRun.Status.REMITTED, "Recounted at the branch")
    assert variance_account() == Decimal("100.00")
    assert 'data-testid="remittances-empty"' in client.get(SIGNOFFS).content.decode()
    assert signoffs_badge(request) is None


def test_the_position_page_shows_the_difference_waiting_on_the_banker(console, short_run, manager, mobile_banker):
    body = console(manager).get(POSITION).content.decode()
    assert "Remittance variance waiting" in body and mobile_banker.email in body
    assert "50,300.00" in body  # vault 49,000 + drawer 1,200 + the 100.00 still on the banker's books


def test_sign_off_and_reject_as_detail_actions_of_the_run(console, short_run, manager, cashier, mobile_banker):
    sign_off = reverse("admin:cash_collectionrun_sign_off", args=[short_run.pk])
    reject = reverse("admin:cash_collectionrun_reject_variance", args=[short_run.pk])
    assert console(mobile_banker).post(reject, {"_form_submitted": "on", "reason": "x"}).status_code == 403
    assert console(cashier).post(sign_off, {"_form_submitted": "on", "reason": "x"}).status_code == 403
    client = console(manager)
    detail = client.get(reverse("admin:cash_collectionrun_change", args=[short_run.pk])).content.decode()
    assert "Sign off variance" in detail and "Reject variance" in detail
    assert client.post(reject, {"_form_submitted": "on", "reason": ""}).status_code == 200  # the dialog, again
    client.post(reject, {"_form_submitted": "on", "reason": "Bring it tomorrow"})
    short_run.refresh_from_db()
    assert short_run.variance_decision == CollectionRun.Decision.REJECTED
    assert client.post(sign_off, {"_form_submitted": "on", "reason": "x"}).status_code == 403  # decided


def test_the_remit_endpoint_reports_a_variance_waiting(client, api, mobile_banker, cashier, drawer, susu):
    cash.field_collect(actor=mobile_banker, account=susu, amount="300.00")
    response = post_json(client, "/api/field-collections/remit/",
                         {"cashier_id": cashier.pk, "denominations": {"100.00": 2}}, headers=api(mobile_banker))
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["variance"], body["variance_decision"]) == ("pending_approval", "-100.00", "")


def test_a_day_not_remitted_is_carried_into_the_next_remittance(mobile_banker, cashier, drawer, susu):
    cash.field_collect(actor=mobile_banker, account=susu, amount="40.00")
    first = CollectionRun.objects.get(banker=mobile_banker)
    today = next_business_day()  # the banker went home with yesterday's 40.00
    assert cash.run_to_remit(mobile_banker) == first
    cash.field_collect(actor=mobile_banker, account=susu, amount="25.00")
    run = cash.field_remit(actor=mobile_banker, cashier=cashier, denominations={"50.00": 1, "10.00": 1, "5.00": 1})
    assert (run.business_date, run.expected_amount, run.variance) == (today, Decimal("65.00"), Decimal("0.00"))
    first.refresh_from_db()
    assert first.status == CollectionRun.Status.REMITTED and first.remitted_to == cashier
    assert "remittance of" in first.decision_note
    assert cash.gl_balance(run.gl_account) == Decimal("0.00")
    with pytest.raises(LedgerError) as exc:
        cash.field_remit(actor=mobile_banker, cashier=cashier, denominations={"5.00": 1})
    assert exc.value.code == "already_remitted"
    assert find_differences() == []


def test_yesterdays_cash_can_be_remitted_before_collecting_today(mobile_banker, cashier, drawer, susu):
    cash.field_collect(actor=mobile_banker, account=susu, amount="40.00")
    next_business_day()
    run = cash.field_remit(actor=mobile_banker, cashier=cashier, denominations={"20.00": 2})
    assert run.status == CollectionRun.Status.REMITTED and run.expected_amount == Decimal("40.00")
    assert cash.run_to_remit(mobile_banker) is None


def test_end_of_day_reports_cash_still_out_of_the_vault(mobile_banker, cashier, drawer, susu):
    cash.field_collect(actor=mobile_banker, account=susu, amount="40.00")
    summary = cash.end_of_day_cash(business_date=BusinessDay.objects.get(status="open").date, actor=cashier)
    assert summary["drawers_not_closed"] == 1 and summary["cash_in_drawers"] == "1000.00"
    assert (summary["field_rounds_not_remitted"], summary["field_cash_not_remitted"]) == (1, "40.00")
    assert summary["vault"] == "49000.00"
