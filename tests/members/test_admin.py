"""The staff console's member screens: visibility per banker, KYC actions, registration through the
service, masked Ghana Card numbers, audited CSV export and member import with a dry run."""

import io

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.members.models import Member, MemberDocument
from apps.members.services import member_assign, member_register
from tests.exports import export_through_job

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:members_member_changelist")
ADD = reverse("admin:members_member_add")


def change_url(member):
    return reverse("admin:members_member_change", args=[member.pk])


def action_url(member, name):
    return reverse(f"admin:members_member_{name}", args=[member.pk])


def register(actor, *, national_id="GHA-712345678-9", **extra):
    data = {"first_name": "Adjoa", "last_name": "Sarpong", "phone": "0201234567", "national_id": national_id}
    data.update(extra)
    return member_register(actor=actor, **data)


def texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- who sees which members ----------------------------------------------------------------------

def test_a_mobile_banker_sees_only_assigned_members_and_gets_404_on_others(console, cashier, manager,
                                                                        mobile_banker, make_user):
    mine = register(cashier, first_name="Mine", national_id="GHA-100000001-1")
    theirs = register(cashier, first_name="Theirs", national_id="GHA-100000002-1")
    member_assign(actor=manager, member=mine, banker=mobile_banker)
    member_assign(actor=manager, member=theirs, banker=make_user("mobile_banker"))
    client = console(mobile_banker)

    response = client.get(CHANGELIST)
    assert response.status_code == 200
    shown = list(response.context["cl"].result_list)
    assert shown == [mine]
    assert mine.member_number in response.content.decode()
    assert theirs.member_number not in response.content.decode()

    assert client.get(change_url(mine)).status_code == 200
    assert client.get(change_url(theirs)).status_code in (403, 404)
    assert client.get(reverse("admin:members_member_history", args=[theirs.pk])).status_code in (403, 404)


def test_a_mobile_banker_cannot_change_an_assigned_member(console, cashier, manager, mobile_banker):
    member = register(cashier)
    member_assign(actor=manager, member=member, banker=mobile_banker)
    client = console(mobile_banker)
    response = client.post(change_url(member), {"first_name": "Changed", "last_name": "X", "phone": "0201234567"})
    assert response.status_code == 403
    assert Member.objects.get(pk=member.pk).first_name == "Adjoa"


def test_a_mobile_banker_registers_a_member_who_is_then_theirs(console, mobile_banker):
    client = console(mobile_banker)
    response = client.post(ADD, {
        "first_name": "Kojo", "last_name": "Field", "phone": "024 555 1234", "national_id_entry": "gha-123123123-1",
        "documents-TOTAL_FORMS": "0", "documents-INITIAL_FORMS": "0",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    member = Member.objects.get(last_name="Field")
    assert member.registered_by == mobile_banker
    assert member.assigned_banker == mobile_banker
    assert member.kyc_status == Member.Kyc.PENDING
    assert member.national_id == "GHA-123123123-1"
    assert client.get(change_url(member)).status_code == 200
    assert AuditEvent.objects.filter(action="member.register", target_id=str(member.pk)).exists()


# --- registration, editing and the Ghana Card number ------------------------------------------------

def test_registration_goes_through_the_service_and_records_who_registered(console, cashier):
    client = console(cashier)
    response = client.post(ADD, {
        "first_name": "Ama", "last_name": "Counter", "phone": "0244000111", "email": "ama@example.com",
        "national_id_entry": "GHA-555555555-5",
        "documents-TOTAL_FORMS": "0", "documents-INITIAL_FORMS": "0",
    })
    assert response.status_code == 302
    member = Member.objects.get(last_name="Counter")
    assert member.registered_by == cashier and member.assigned_banker is None
    assert member.member_number.startswith("M")


def test_registration_refuses_a_duplicate_ghana_card_on_the_form(console, cashier):
    register(cashier, national_id="GHA-555555555-5")
    response = console(cashier).post(ADD, {
        "first_name": "Second", "last_name": "Person", "phone": "0244000111", "national_id_entry": "GHA-555555555-5",
        "documents-TOTAL_FORMS": "0", "documents-INITIAL_FORMS": "0",
    })
    assert response.status_code == 200
    assert "already registered" in response.content.decode()
    assert not Member.objects.filter(last_name="Person").exists()


def test_registration_refuses_a_bad_phone_number(console, cashier):
    response = console(cashier).post(ADD, {
        "first_name": "Bad", "last_name": "Phone", "phone": "call me", "documents-TOTAL_FORMS": "0",
        "documents-INITIAL_FORMS": "0",
    })
    assert response.status_code == 200
    assert "Enter a phone number" in response.content.decode()
    assert not Member.objects.filter(last_name="Phone").exists()


def test_the_ghana_card_number_is_never_sent_to_the_browser(console, cashier):
    member = register(cashier, national_id="GHA-712345678-9")
    client = console(cashier)
    for url in (CHANGELIST, change_url(member), reverse("admin:members_member_history", args=[member.pk])):
        body = client.get(url).content.decode()
        assert "712345678" not in body
    assert "GHA-********8-9" in client.get(change_url(member)).content.decode()


def test_changing_the_ghana_card_number_sends_kyc_back_to_pending(console, cashier, operations_manager):
    member = register(cashier, national_id="GHA-712345678-9")
    member.kyc_status = Member.Kyc.VERIFIED
    member.save()
    response = console(cashier).post(change_url(member), {
        "first_name": member.first_name, "last_name": member.last_name, "phone": member.phone,
        "national_id_entry": "GHA-712345678-0", "documents-TOTAL_FORMS": "0", "documents-INITIAL_FORMS": "0",
        "accounts-TOTAL_FORMS": "0", "accounts-INITIAL_FORMS": "0",
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    member.refresh_from_db()
    assert member.national_id == "GHA-712345678-0"
    assert member.kyc_status == Member.Kyc.PENDING
    event = AuditEvent.objects.get(action="member.update", target_id=str(member.pk))
    assert "712345678" not in str(event.details)


def test_a_document_is_uploaded_through_the_service(console, cashier):
    from django.core.files.uploadedfile import SimpleUploadedFile

    member = register(cashier)
    response = console(cashier).post(change_url(member), {
        "first_name": member.first_name, "last_name": member.last_name, "phone": member.phone,
        "documents-TOTAL_FORMS": "1", "documents-INITIAL_FORMS": "0",
        "documents-0-kind": "id_front",
        "documents-0-file": SimpleUploadedFile("card.pdf", b"%PDF-1.4 test", content_type="application/pdf"),
        "accounts-TOTAL_FORMS": "0", "accounts-INITIAL_FORMS": "0",
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    document = MemberDocument.objects.get(member=member)
    assert document.uploaded_by == cashier and document.kind == "id_front"
    assert AuditEvent.objects.filter(action="member.document_add").exists()


def test_history_is_read_only(console, cashier):
    member = register(cashier)
    member.first_name = "Renamed"
    member.save()
    version = member.history.order_by("history_id").first()
    url = reverse("admin:members_member_simple_history", args=[member.pk, version.history_id])
    client = console(cashier)
    assert client.get(url).status_code == 200
    response = client.post(url, {"first_name": "Adjoa", "last_name": "Sarpong", "phone": "0201234567"})
    assert response.status_code == 403
    member.refresh_from_db()
    assert member.first_name == "Renamed" and member.national_id == "GHA-712345678-9"


# --- KYC and assignment --------------------------------------------------------------------------

def test_kyc_verify_by_the_registering_person_is_refused(console, operations_manager):
    member = register(operations_manager)
    response = console(operations_manager).post(action_url(member, "verify_kyc"), {"_form_submitted": "on"})
    assert response.status_code == 302
    assert any("someone other than the person who registered" in text for text in texts(response))
    member.refresh_from_db()
    assert member.kyc_status == Member.Kyc.PENDING


def test_kyc_verify_by_another_operations_manager(console, cashier, operations_manager):
    member = register(cashier)
    client = console(operations_manager)
    assert client.get(action_url(member, "verify_kyc")).status_code == 200  # the dialog
    response = client.post(action_url(member, "verify_kyc"), {"_form_submitted": "on", "note": "Card seen"},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response["HX-Redirect"] == change_url(member)
    member.refresh_from_db()
    assert member.kyc_status == Member.Kyc.VERIFIED and member.kyc_reviewed_by == operations_manager


def test_kyc_reject_needs_a_reason(console, cashier, operations_manager):
    member = register(cashier)
    client = console(operations_manager)
    response = client.post(action_url(member, "reject_kyc"), {"_form_submitted": "on", "reason": "  "})
    assert response.status_code == 200  # the dialog again, with the error
    member.refresh_from_db()
    assert member.kyc_status == Member.Kyc.PENDING
    client.post(action_url(member, "reject_kyc"), {"_form_submitted": "on", "reason": "Photo does not match"})
    member.refresh_from_db()
    assert member.kyc_status == Member.Kyc.REJECTED and member.kyc_note == "Photo does not match"


def test_a_cashier_has_no_kyc_actions(console, cashier, make_user):
    member = register(make_user("cashier"))
    client = console(cashier)
    assert client.post(action_url(member, "verify_kyc"), {"_form_submitted": "on"}).status_code == 403
    assert "Verify KYC" not in client.get(change_url(member)).content.decode()


def test_assigning_a_member_to_a_banker(console, cashier, manager, mobile_banker):
    member = register(cashier)
    response = console(manager).post(action_url(member, "assign_banker"),
                                     {"_form_submitted": "on", "banker": str(mobile_banker.pk)})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.assigned_banker == mobile_banker
    assert mobile_banker.has_perm("members.view_member", member)


# --- CSV export and import ---------------------------------------------------------------------------

def test_export_is_audited_and_carries_no_plaintext_ghana_card(console, cashier, operations_manager):
    register(cashier, national_id="GHA-712345678-9")
    register(cashier, first_name="Kwesi", national_id="GHA-987654321-0")
    client = console(operations_manager)

    response = export_through_job(client, reverse("admin:members_member_export"), {"format": "0", "resource": "0"})

    assert response.status_code == 200
    body = response.content.decode()
    assert "member_number" in body.splitlines()[0]
    assert "712345678" not in body and "987654321" not in body
    assert "GHA-********8-9" in body
    event = AuditEvent.objects.get(action="export.member")
    assert event.actor == operations_manager
    assert event.details == {"rows": 2, "format": "csv"}


def test_a_cashier_may_not_export(console, cashier):
    assert console(cashier).post(reverse("admin:members_member_export"), {"format": "0"}).status_code == 403
    assert not AuditEvent.objects.filter(action__startswith="export.").exists()


def _csv(*rows):
    header = "first_name,last_name,phone,national_id,email"
    return io.BytesIO(("\n".join([header, *rows]) + "\n").encode())


def test_import_dry_run_shows_row_errors_and_creates_nothing(console, operations_manager):
    client = console(operations_manager)
    upload = _csv("Ama,Good,0244123456,GHA-111111111-1,ama@example.com",
                  "Kofi,BadPhone,not-a-phone,GHA-222222222-2,",
                  "Esi,BadCard,0244123457,GHA-12,")
    upload.name = "members.csv"

    response = client.post(reverse("admin:members_member_import"),
                           {"format": "0", "resource": "0", "import_file": upload})

    assert response.status_code == 200
    body = response.content.decode()
    assert "Enter a phone number" in body
    assert "Ghana Card number as GHA-123456789-0" in body
    result = response.context["result"]
    assert result.has_validation_errors()
    assert {row.number for row in result.invalid_rows} == {2, 3}
    assert "confirm_form" not in response.context or response.context["confirm_form"] is None
    assert Member.objects.count() == 0
    assert not AuditEvent.objects.filter(action="member.register").exists()


def test_import_confirmed_registers_members_through_the_service(console, operations_manager):
    client = console(operations_manager)
    upload = _csv("Ama,Imported,0244123456,GHA-111111111-1,ama@example.com",
                  "Kofi,Imported,+233 24 412 3457,,")
    upload.name = "members.csv"
    response = client.post(reverse("admin:members_member_import"),
                           {"format": "0", "resource": "0", "import_file": upload})
    assert response.status_code == 200
    assert Member.objects.count() == 0  # dry run
    confirm = response.context["confirm_form"]

    response = client.post(reverse("admin:members_member_process_import"),
                           {name: confirm.initial[name] for name in confirm.fields if name in confirm.initial})

    assert response.status_code == 302
    members = Member.objects.filter(last_name="Imported")
    assert members.count() == 2
    assert all(m.registered_by == operations_manager and m.kyc_status == Member.Kyc.PENDING for m in members)
    assert members.get(first_name="Ama").national_id == "GHA-111111111-1"
    assert AuditEvent.objects.filter(action="member.register").count() == 2
    assert AuditEvent.objects.filter(action="import.member").get().details["rows"] == 2


def test_only_operations_managers_and_administrators_import(console, cashier):
    assert console(cashier).get(reverse("admin:members_member_import")).status_code == 403
