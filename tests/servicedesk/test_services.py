"""The service desk's rules: refunds through a second approver and the ledger, account changes applied
only on resolve, the member told at each change, attachments, the complaints register."""

import csv
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.audit.models import AuditEvent
from apps.ledger.models import Transaction
from apps.members.models import Member
from apps.messaging.models import Notification
from apps.servicedesk import services
from apps.servicedesk.models import ServiceRequest, ServiceRequestAttachment
from tests.support import post_json

pytestmark = pytest.mark.django_db

URL = "/api/service-requests/"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def refund(customer, member, account, cashier):
    """refund() -> a member's refund request of 25.00 to their account, taken up by a cashier."""

    def make():
        req = services.request_create(actor=customer, kind="refund", subject="Double charge",
                                      body="The card fee was taken twice", account_id=account.pk, amount="25.00")
        return services.request_transition(actor=cashier, request=req, status="in_progress")

    return make


def test_a_refund_needs_a_second_approver_and_posts_once_through_the_ledger(
        refund, customer, account, cashier, manager, make_user):
    req = refund()
    before = account.balance
    asked = services.request_transition(actor=cashier, request=req, status="resolved", note="Fee taken twice")
    assert asked.status == "in_progress" and asked.refund_state == "waiting"
    account.refresh_from_db()
    assert account.balance == before  # nothing paid yet
    assert Notification.objects.filter(user=manager, kind="servicedesk.refund_waiting").exists()

    with pytest.raises(PermissionDenied):  # a cashier may not approve
        services.refund_approve(actor=cashier, request=req)

    paid = services.refund_approve(actor=manager, request=req)
    assert paid.status == "resolved" and paid.refund_state == "posted" and paid.refund_approved_by == manager
    account.refresh_from_db()
    assert account.balance == before + Decimal("25.00")
    txn = paid.refund_transaction
    assert txn.status == Transaction.Status.COMPLETED and txn.to_account_id == account.pk
    assert txn.purpose == "refund" and txn.entry.postings.count() == 2

    with pytest.raises(services.ServiceDeskRefused):  # never twice
        services.refund_approve(actor=make_user("manager"), request=req)
    account.refresh_from_db()
    assert account.balance == before + Decimal("25.00")
    assert Transaction.objects.filter(purpose="refund").count() == 1
    assert AuditEvent.objects.filter(action="servicedesk.refund_approved").count() == 1
    assert Notification.objects.filter(user=customer, title__contains="refund paid").exists()


def test_the_manager_who_asked_for_a_refund_cannot_approve_it(refund, manager, make_user):
    req = refund()
    services.request_transition(actor=manager, request=req, status="resolved", note="Agreed")
    with pytest.raises(PermissionDenied, match="second person"):
        services.refund_approve(actor=manager, request=req)
    # Through the API the same: the second transition to resolved is the approval, the asker's is refused.
    assert ServiceRequest.objects.get(pk=req.pk).refund_state == "waiting"
    second = make_user("manager")
    services.request_transition(actor=second, request=req, status="resolved", note="")
    assert ServiceRequest.objects.get(pk=req.pk).status == "resolved"


def test_the_second_approver_resolves_a_refund_through_the_transition_endpoint(
        refund, client, headers, account, cashier, manager):
    req = refund()
    body = {"status": "resolved", "note": "Refund agreed"}
    first = post_json(client, f"{URL}{req.pk}/transition/", body, headers=headers(cashier))
    assert first.status_code == 200 and first.json()["refund_state"] == "waiting"
    assert first.json()["status"] == "in_progress"
    asker_again = post_json(client, f"{URL}{req.pk}/transition/", body, headers=headers(cashier))
    assert asker_again.status_code == 403
    approved = post_json(client, f"{URL}{req.pk}/transition/", body, headers=headers(manager))
    assert approved.status_code == 200, approved.content
    assert approved.json()["status"] == "resolved" and approved.json()["refund_transaction"]
    account.refresh_from_db()
    assert account.balance == Decimal("25.00")


def test_a_refused_refund_pays_nothing_and_the_request_stays_open(refund, account, cashier, manager):
    req = refund()
    services.request_transition(actor=cashier, request=req, status="resolved", note="Agreed")
    services.refund_reject(actor=manager, request=req, reason="The fee was due")
    req.refresh_from_db()
    assert req.refund_state == "" and req.status == "in_progress"
    account.refresh_from_db()
    assert account.balance == 0 and not Transaction.objects.filter(purpose="refund").exists()


def test_an_account_change_is_applied_only_when_staff_resolve_it(customer, member, cashier):
    req = services.request_create(actor=customer, kind="account_change", subject="New address", body="I moved",
                                  changes={"address": "12 Harbour Road, Tema", "next_of_kin_name": "Ama Quaye"})
    services.request_transition(actor=cashier, request=req, status="in_progress")
    member.refresh_from_db()
    assert member.address == "" and member.next_of_kin_name == ""
    services.request_transition(actor=cashier, request=req, status="resolved", note="Checked the utility bill")
    member.refresh_from_db()
    assert member.address == "12 Harbour Road, Tema" and member.next_of_kin_name == "Ama Quaye"
    assert AuditEvent.objects.filter(action="member.update", target_id=str(member.pk)).exists()


def test_a_rejected_account_change_changes_nothing(customer, member, cashier):
    req = services.request_create(actor=customer, kind="account_change", subject="Phone", body="New phone",
                                  changes={"phone": "0209999999"})
    services.request_transition(actor=cashier, request=req, status="rejected", note="Could not verify")
    assert Member.objects.get(pk=member.pk).phone == "0244123456"


def test_the_member_is_told_at_each_change(customer, member, cashier, manager):
    req = services.request_create(actor=customer, kind="card", subject="Card", body="Lost")
    services.request_assign(actor=cashier, request=req, assignee=manager)
    services.request_transition(actor=cashier, request=req, status="in_progress")
    services.request_transition(actor=cashier, request=req, status="waiting_customer", note="Bring your ID")
    services.request_transition(actor=cashier, request=req, status="resolved", note="New card ready")
    told = list(Notification.objects.filter(user=customer, kind="servicedesk.updated").order_by("pk")
                .values_list("title", flat=True))
    assert len(told) == 4 and "waiting for the member" in told[2] and "resolved" in told[3]
    assert Notification.objects.filter(user=manager, kind="servicedesk.assigned").count() == 1


def test_attachments_are_checked_and_kept_private(client, headers, customer, member, other_customer, other_member):
    req = services.request_create(actor=customer, kind="complaint", subject="Receipt", body="See the photo")
    big = SimpleUploadedFile("big.png", PNG + b"\x00" * (5 * 1024 * 1024), content_type="image/png")
    with pytest.raises(ValidationError, match="5 MB"):
        services.attachment_add(actor=customer, request=req, file=big)
    with pytest.raises(ValidationError, match="PDF, JPEG or PNG"):
        services.attachment_add(actor=customer, request=req,
                                file=SimpleUploadedFile("x.png", b"MZ" + b"\x00" * 40))
    assert not ServiceRequestAttachment.objects.exists()

    upload = client.post(f"{URL}{req.pk}/attachments/", {"file": SimpleUploadedFile("receipt.png", PNG)},
                         headers=headers(customer))
    assert upload.status_code == 201, upload.content
    attachment_url = f"{URL}{req.pk}/attachments/{upload.json()['id']}/"
    download = client.get(attachment_url, headers=headers(customer))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PNG
    assert client.get(attachment_url, headers=headers(other_customer)).status_code == 404
    oversized = client.post(f"{URL}{req.pk}/attachments/", {"file": SimpleUploadedFile("big.png", PNG + b"\x00" * (
        5 * 1024 * 1024))}, headers=headers(customer))
    assert oversized.status_code == 422 and "5 MB" in oversized.json()["detail"]
    assert client.post(f"{URL}{req.pk}/attachments/", {"file": SimpleUploadedFile("r.png", PNG)},
                       headers=headers(other_customer)).status_code == 404


def test_the_complaints_register_has_the_regulators_columns(customer, member, cashier, mobile_banker):
    complaint = services.request_create(actor=customer, kind="complaint", subject="Long queue", body="Two hours",
                                        category="service_delay")
    services.request_create(actor=customer, kind="card", subject="Card", body="not a complaint")
    services.request_transition(actor=cashier, request=complaint, status="in_progress")
    services.request_transition(actor=cashier, request=complaint, status="resolved", note="Apologised",
                                outcome="Upheld: extra teller at month end")
    rows = services.complaints_export(actor=cashier)
    header = rows[0]
    for column in ("category", "channel", "date_received", "date_resolved", "outcome"):
        assert column in header
    assert len(rows) == 2
    row = dict(zip(header, rows[1], strict=True))
    assert row["reference"] == complaint.reference and row["category"] == "Delay in service"
    assert row["outcome"] == "Upheld: extra teller at month end" and row["date_resolved"]
    assert AuditEvent.objects.filter(action="servicedesk.complaints_export").exists()
    with pytest.raises(PermissionDenied):
        services.complaints_export(actor=mobile_banker)


def test_the_console_queue_and_the_complaints_csv(staff_client, totp_device, customer, member, cashier):
    complaint = services.request_create(actor=customer, kind="complaint", subject="Long queue", body="Two hours")
    console = staff_client(cashier)
    page = console.get("/admin/servicedesk/servicerequest/")
    assert page.status_code == 200 and complaint.reference in page.content.decode()
    detail = console.get(f"/admin/servicedesk/servicerequest/{complaint.pk}/change/")
    assert detail.status_code == 200 and "Two hours" in detail.content.decode()
    response = console.get("/admin/servicedesk/servicerequest/complaints-csv/")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:8] == list(services.COMPLAINT_COLUMNS[:8]) and rows[1][0] == complaint.reference


def test_a_manager_cannot_apply_an_account_change_and_nothing_changes(customer, member, manager):
    req = services.request_create(actor=customer, kind="account_change", subject="Phone", body="New phone",
                                  changes={"phone": "0209999999"})
    services.request_transition(actor=manager, request=req, status="in_progress")
    with pytest.raises(PermissionDenied, match="cashier or an operations manager"):
        services.request_transition(actor=manager, request=req, status="resolved", note="Checked")
    assert Member.objects.get(pk=member.pk).phone == "0244123456"
    assert ServiceRequest.objects.get(pk=req.pk).status == "in_progress"


def test_the_console_actions_move_a_refund_through_two_people(staff_client, totp_device, refund, account, cashier,
                                                              manager):
    from django.urls import reverse

    req = refund()
    totp_device(manager)
    desk, boss = staff_client(cashier), staff_client(manager)
    transition = reverse("admin:servicedesk_servicerequest_transition", args=[req.pk])
    desk.post(transition, {"_form_submitted": "on", "status": "resolved", "note": "Fee taken twice", "outcome": ""})
    assert ServiceRequest.objects.get(pk=req.pk).refund_state == "waiting"
    approve = reverse("admin:servicedesk_servicerequest_approve_refund", args=[req.pk])
    assert desk.post(approve, {"_form_submitted": "on"}).status_code == 403  # the asker, and not a manager
    page = boss.get(reverse("admin:servicedesk_servicerequest_change", args=[req.pk])).content.decode()
    assert "Approve refund" in page and "Fee taken twice" in page
    boss.post(approve, {"_form_submitted": "on"})
    req.refresh_from_db()
    account.refresh_from_db()
    assert req.status == "resolved" and account.balance == Decimal("25.00")
    assert boss.post(approve, {"_form_submitted": "on"}).status_code == 403  # nothing waits any more
