"""The member's Requests pages in the portal: own requests only (another member's is 404), a new request
checked by the service desk's services (a missing field or an oversized file refused, nothing stored),
the status and public notes the member watches change."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.servicedesk import services
from apps.servicedesk.models import ServiceRequest, ServiceRequestAttachment
from tests.support import staff_client_for

pytestmark = pytest.mark.django_db

LIST = "/my/requests/"
NEW = "/my/requests/new/"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_a_member_raises_a_complaint_and_watches_staff_resolve_it(customer, member, cashier):
    browser = staff_client_for(customer)
    assert f'href="{LIST}"' in browser.get("/my/").content.decode()  # the header leads to the requests
    assert browser.get(NEW).status_code == 200
    response = browser.post(NEW, {"kind": "complaint", "subject": "Long queue", "body": "Two hours at Tema",
                                  "category": "service_delay", "file": SimpleUploadedFile("ticket.png", PNG)})
    req = ServiceRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/my/requests/{req.pk}/"
    assert req.channel == "portal" and req.attachments.count() == 1
    listing = browser.get(LIST).content.decode()
    assert req.reference in listing and "Open" in listing

    services.request_transition(actor=cashier, request=req, status="in_progress")
    services.note_add(actor=cashier, request=req, text="Staff only: busy Friday", internal=True)
    services.request_transition(actor=cashier, request=req, status="resolved", note="We added a teller on Fridays")
    page = browser.get(f"/my/requests/{req.pk}/").content.decode()
    assert "Resolved" in page and "We added a teller on Fridays" in page
    assert "Staff only" not in page
    attachment = req.attachments.get()
    download = browser.get(f"/my/requests/{req.pk}/attachments/{attachment.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PNG


def test_another_members_request_and_its_files_are_404(customer, member, other_customer, other_member):
    theirs = services.request_create(actor=other_customer, kind="card", subject="Kofi's card", body="Lost",
                                     files=[SimpleUploadedFile("id.png", PNG)])
    browser = staff_client_for(customer)
    assert browser.get(f"/my/requests/{theirs.pk}/").status_code == 404
    attachment = theirs.attachments.get()
    assert browser.get(f"/my/requests/{theirs.pk}/attachments/{attachment.pk}/").status_code == 404
    assert browser.post(f"/my/requests/{theirs.pk}/", {"text": "hello"}).status_code == 404
    assert "Kofi's card" not in browser.get(LIST).content.decode()


def test_a_missing_field_or_an_oversized_file_is_refused_and_nothing_is_stored(customer, member):
    browser = staff_client_for(customer)
    missing = browser.post(NEW, {"kind": "statement", "subject": "", "body": "June please"})
    assert missing.status_code == 422 and "This field is required." in missing.content.decode()
    big = SimpleUploadedFile("big.png", PNG + b"\x00" * (5 * 1024 * 1024))
    oversized = browser.post(NEW, {"kind": "statement", "subject": "June", "body": "Please", "file": big})
    assert oversized.status_code == 422 and "5 MB" in oversized.content.decode()
    refund = browser.post(NEW, {"kind": "refund", "subject": "Fee", "body": "Twice"})
    assert refund.status_code == 422 and "Say how much should be refunded." in refund.content.decode()
    assert not ServiceRequest.objects.exists() and not ServiceRequestAttachment.objects.exists()


def test_staff_are_sent_to_the_console(cashier):
    assert staff_client_for(cashier).get(LIST).status_code == 403


def test_the_status_partial_follows_staff_and_is_the_members_only(customer, member, other_customer, cashier):
    req = services.request_create(actor=customer, kind="card", subject="Card", body="Lost")
    browser = staff_client_for(customer)
    url = f"/my/requests/{req.pk}/status/"
    assert "Open" in browser.get(url).content.decode()
    assert f'hx-get="{url}"' in browser.get(f"/my/requests/{req.pk}/").content.decode()
    services.request_transition(actor=cashier, request=req, status="waiting_customer", note="Bring your ID")
    assert "Waiting for the member" in browser.get(url).content.decode()
    assert staff_client_for(other_customer).get(url).status_code == 404
