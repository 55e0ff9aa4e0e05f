"""/api/service-requests/ as API.md lists it."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apps.messaging.models import Notification
from apps.servicedesk import services
from apps.servicedesk.models import ServiceRequest
from tests.support import post_json

pytestmark = pytest.mark.django_db

URL = "/api/service-requests/"


def test_a_member_makes_a_request_and_gets_its_reference_and_due_by(client, headers, customer, member, account):
    before = timezone.now()
    response = post_json(client, URL, {"kind": "cheque_book", "subject": "New cheque book", "body": "50 leaves",
                                       "account_id": account.pk}, headers=headers(customer))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["reference"].startswith(f"SR-{timezone.localdate().year}-")
    assert body["status"] == "open" and body["kind"] == "cheque_book" and body["member_id"] == member.pk
    due = parse_datetime(body["due_by"])
    assert due >= before + timedelta(days=3)  # three working days for a cheque book
    assert due <= before + timedelta(days=3, minutes=5)
    assert Notification.objects.filter(user=customer, kind="servicedesk.updated").count() == 1


def test_each_kind_gets_its_own_service_level(customer, member):
    start = timezone.now()
    complaint = services.request_create(actor=customer, kind="complaint", subject="Rude teller", body="Yesterday")
    statement = services.request_create(actor=customer, kind="statement", subject="Statement", body="June")
    assert complaint.due_by - start >= timedelta(days=10)
    assert timedelta(days=1) <= statement.due_by - start < timedelta(days=2)
    assert complaint.date_received == timezone.localdate() and complaint.complaint_category == "other"


@pytest.mark.parametrize("payload, field", [
    ({"subject": "x", "body": "y"}, "kind"),
    ({"kind": "statement", "body": "y"}, "subject"),
    ({"kind": "statement", "subject": "x"}, "body"),
    ({"kind": "loan", "subject": "x", "body": "y"}, "kind"),
    ({"kind": "statement", "subject": "x", "body": "y", "amount": "10.00"}, "amount"),
    ({"kind": "refund", "subject": "x", "body": "y"}, "amount"),
    ({"kind": "refund", "subject": "x", "body": "y", "amount": "-5"}, "amount"),
    ({"kind": "account_change", "subject": "x", "body": "y"}, "changes"),
    ({"kind": "account_change", "subject": "x", "body": "y", "changes": {"national_id": "1"}}, "changes"),
])
def test_bad_requests_are_422_with_the_field_and_nothing_is_made(client, headers, customer, member, payload, field):
    response = post_json(client, URL, payload, headers=headers(customer))
    assert response.status_code == 422, response.content
    assert field in response.json()["detail"]
    assert not ServiceRequest.objects.exists()


def test_an_account_that_is_not_the_members_is_422(client, headers, customer, member, other_account):
    response = post_json(client, URL, {"kind": "refund", "subject": "Fee", "body": "Charged twice", "amount": "5.00",
                                       "account_id": other_account.pk}, headers=headers(customer))
    assert response.status_code == 422 and "account_id" in response.json()["detail"]
    assert not ServiceRequest.objects.exists()


def test_a_member_sees_only_own_requests_and_gets_404_for_anothers(client, headers, customer, member, other_customer,
                                                                   other_member):
    mine = services.request_create(actor=customer, kind="card", subject="Card", body="Lost it")
    theirs = services.request_create(actor=other_customer, kind="card", subject="Theirs", body="private")
    listed = client.get(URL, headers=headers(customer)).json()
    assert [r["id"] for r in listed["items"]] == [mine.pk] and listed["count"] == 1
    assert client.get(f"{URL}{theirs.pk}/", headers=headers(customer)).status_code == 404
    assert client.get(f"{URL}{mine.pk}/", headers=headers(customer)).status_code == 200


def test_a_customer_may_not_transition_and_staff_filter_the_queue_overdue_first(
        client, headers, customer, member, cashier, manager):
    late = services.request_create(actor=customer, kind="other", subject="Late", body="x")
    card = services.request_create(actor=customer, kind="card", subject="Card", body="x")
    statement = services.request_create(actor=customer, kind="statement", subject="Statement", body="x")
    ServiceRequest.objects.filter(pk=late.pk).update(due_by=timezone.now() - timedelta(hours=1))
    services.request_assign(actor=cashier, request=card, assignee=manager)

    response = post_json(client, f"{URL}{card.pk}/transition/", {"status": "in_progress", "note": ""},
                         headers=headers(customer))
    assert response.status_code == 403

    desk = headers(cashier)
    queue = client.get(URL, headers=desk).json()
    assert [r["id"] for r in queue["items"]][0] == late.pk and queue["items"][0]["overdue"] is True
    assert queue["count"] == 3
    assert [r["id"] for r in client.get(URL, {"kind": "statement"}, headers=desk).json()["items"]] == [statement.pk]
    assert [r["id"] for r in client.get(URL, {"assigned_to": manager.pk}, headers=desk).json()["items"]] == [card.pk]
    assert client.get(URL, {"status": "resolved"}, headers=desk).json()["count"] == 0
    assert client.get(URL, {"kind": "loan"}, headers=desk).status_code == 422


def test_roles_outside_the_desk_are_refused(client, headers, customer, member, mobile_banker):
    made = services.request_create(actor=customer, kind="card", subject="Card", body="x")
    assert client.get(URL, headers=headers(mobile_banker)).status_code == 403
    assert post_json(client, f"{URL}{made.pk}/transition/", {"status": "in_progress"},
                     headers=headers(mobile_banker)).status_code == 403


def test_staff_make_a_request_for_a_member(client, headers, cashier, member):
    response = post_json(client, URL, {"kind": "statement", "subject": "Statement", "body": "For the embassy",
                                       "member_id": member.pk}, headers=headers(cashier))
    assert response.status_code == 201, response.content
    assert response.json()["channel"] == "branch" and response.json()["member_id"] == member.pk
    missing = post_json(client, URL, {"kind": "statement", "subject": "S", "body": "B"}, headers=headers(cashier))
    assert missing.status_code == 422 and "member_id" in missing.json()["detail"]


def test_transitions_through_the_api_and_a_refused_one_is_409(client, headers, customer, member, cashier):
    made = services.request_create(actor=customer, kind="card", subject="Card", body="Lost")
    desk = headers(cashier)
    refused = post_json(client, f"{URL}{made.pk}/transition/", {"status": "resolved", "note": "Done"}, headers=desk)
    assert refused.status_code == 409 and refused.json()["code"] == "transition_not_allowed"
    assert "open" in refused.json()["detail"]
    moved = post_json(client, f"{URL}{made.pk}/transition/", {"status": "in_progress"}, headers=desk)
    assert moved.status_code == 200 and moved.json()["status"] == "in_progress"
    assert moved.json()["assigned_to"] == cashier.pk
    no_note = post_json(client, f"{URL}{made.pk}/transition/", {"status": "resolved"}, headers=desk)
    assert no_note.status_code == 422 and "note" in no_note.json()["detail"]
    done = post_json(client, f"{URL}{made.pk}/transition/", {"status": "resolved", "note": "Card at the branch"},
                     headers=desk)
    assert done.status_code == 200 and done.json()["status"] == "resolved"
    again = post_json(client, f"{URL}{made.pk}/transition/", {"status": "in_progress"}, headers=desk)
    assert again.status_code == 409
    member_view = client.get(f"{URL}{made.pk}/", headers=headers(customer)).json()
    assert [h["to_status"] for h in member_view["history"]] == ["open", "in_progress", "resolved"]
    assert [n["text"] for n in member_view["notes"]] == ["Card at the branch"]


def test_internal_notes_stay_with_staff(client, headers, customer, member, cashier):
    made = services.request_create(actor=customer, kind="other", subject="Q", body="x")
    services.note_add(actor=cashier, request=made, text="Member called twice", internal=True)
    services.note_add(actor=cashier, request=made, text="We are on it")
    member_notes = client.get(f"{URL}{made.pk}/", headers=headers(customer)).json()["notes"]
    staff_notes = client.get(f"{URL}{made.pk}/", headers=headers(cashier)).json()["notes"]
    assert [n["text"] for n in member_notes] == ["We are on it"]
    assert [n["text"] for n in staff_notes] == ["Member called twice", "We are on it"]
    assert post_json(client, f"{URL}{made.pk}/notes/", {"text": "secret", "internal": True},
                     headers=headers(customer)).status_code == 403
