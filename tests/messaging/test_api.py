"""/api/threads/ and /api/notifications/ as API.md lists them."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.messaging import services
from apps.messaging.models import MAX_BODY_CHARS, Attachment, Message, Notification
from tests.support import post_json

pytestmark = pytest.mark.django_db

THREADS = "/api/threads/"
NOTIFICATIONS = "/api/notifications/"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n" + b"x" * 64


def test_a_member_writes_to_the_service_desk_and_a_cashier_picks_it_up(client, headers, customer, cashier,
                                                                        mobile_banker):
    member = headers(customer)
    response = post_json(client, THREADS, {"subject": "Lost card", "body": "Please block it"}, headers=member)
    assert response.status_code == 201, response.content
    thread = response.json()
    assert {"id", "subject", "participants", "last_message", "unread"} <= set(thread)
    assert thread["last_message"]["body"] == "Please block it" and thread["unread"] == 0
    assert [p["id"] for p in thread["participants"]] == [customer.pk]

    desk = headers(cashier)
    queue = client.get(THREADS, {"queue": "service_desk"}, headers=desk).json()
    assert [t["id"] for t in queue["items"]] == [thread["id"]] and queue["count"] == 1
    assert client.get(THREADS, {"queue": "service_desk"}, headers=headers(mobile_banker)).status_code == 403
    assert client.get(THREADS, {"queue": "service_desk"}, headers=member).status_code == 403
    # Not picked up: the thread is not the cashier's yet.
    assert client.get(f"{THREADS}{thread['id']}/messages/", headers=desk).status_code == 404

    picked = client.post(f"{THREADS}{thread['id']}/pick-up/", headers=desk)
    assert picked.status_code == 200, picked.content
    assert cashier.pk in [p["id"] for p in picked.json()["participants"]]
    assert client.post(f"{THREADS}{thread['id']}/pick-up/", headers=desk).status_code == 409
    assert client.post(f"{THREADS}{thread['id']}/pick-up/", headers=member).status_code == 403
    assert client.get(THREADS, {"queue": "service_desk"}, headers=desk).json()["count"] == 0

    reply = post_json(client, f"{THREADS}{thread['id']}/messages/", {"body": "<b>Blocked</b>"}, headers=desk)
    assert reply.status_code == 201, reply.content
    assert reply.json()["sender_id"] == cashier.pk and reply.json()["body"] == "<b>Blocked</b>"
    mine = client.get(THREADS, headers=member).json()["items"]
    assert mine[0]["unread"] == 1 and mine[0]["last_message"]["id"] == reply.json()["id"]
    read = post_json(client, f"{THREADS}{thread['id']}/read/", {"message_id": reply.json()["id"]}, headers=member)
    assert read.status_code == 200 and read.json() == {"thread_id": thread["id"], "last_read_id": reply.json()["id"],
                                                       "unread": 0}
    messages = client.get(f"{THREADS}{thread['id']}/messages/", headers=member).json()
    assert [m["body"] for m in messages["items"]] == ["<b>Blocked</b>", "Please block it"]  # newest first


def test_a_member_gets_404_for_staff_threads_and_other_members_threads(client, headers, customer, other_customer,
                                                                       cashier, manager, make_user):
    staff_only = services.thread_create(actor=cashier, subject="Staff", body="only", participant_ids=[manager.pk])
    theirs = services.thread_create(actor=other_customer, subject="Mine", body="private")
    member = headers(customer)
    for thread in (staff_only, theirs):
        message_id = thread.messages.get().pk
        assert client.get(f"{THREADS}{thread.pk}/messages/", headers=member).status_code == 404
        assert post_json(client, f"{THREADS}{thread.pk}/messages/", {"body": "hi"}, headers=member).status_code == 404
        assert post_json(client, f"{THREADS}{thread.pk}/read/", {"message_id": message_id},
                         headers=member).status_code == 404
    assert client.get(THREADS, headers=member).json() == {"items": [], "count": 0}
    assert client.post(f"{THREADS}{theirs.pk}/pick-up/", headers=member).status_code == 403
    assert Message.objects.filter(sender=customer).count() == 0
    # Staff outside a thread get the same 404.
    outsider = headers(make_user("cashier"))
    assert client.get(f"{THREADS}{staff_only.pk}/messages/", headers=outsider).status_code == 404
    assert post_json(client, f"{THREADS}{theirs.pk}/messages/", {"body": "hi"}, headers=outsider).status_code == 404


def test_staff_start_a_thread_with_participants(client, headers, cashier, manager):
    response = post_json(client, THREADS, {"subject": "Float", "body": "More float please",
                                           "participant_ids": [manager.pk]}, headers=headers(cashier))
    assert response.status_code == 201, response.content
    assert sorted(p["id"] for p in response.json()["participants"]) == sorted([cashier.pk, manager.pk])
    listing = client.get(THREADS, headers=headers(manager)).json()
    assert listing["count"] == 1 and listing["items"][0]["unread"] == 1
    assert post_json(client, THREADS, {"subject": "x", "body": "y"}, headers=headers(cashier)).status_code == 422


def test_an_oversize_body_or_forbidden_attachment_is_refused_with_nothing_stored(client, headers, cashier, manager,
                                                                                private_media):
    thread = services.thread_create(actor=cashier, subject="Docs", body="here", participant_ids=[manager.pk])
    h = headers(cashier)
    url = f"{THREADS}{thread.pk}/messages/"
    assert post_json(client, url, {"body": "a" * (MAX_BODY_CHARS + 1)}, headers=h).status_code == 422
    assert post_json(client, url, {"body": ""}, headers=h).status_code == 422
    assert post_json(client, url, {"body": "bad \x00"}, headers=h).status_code == 422
    refused = [
        SimpleUploadedFile("run.exe", b"MZ" + b"\x00" * 64, content_type="application/octet-stream"),
        SimpleUploadedFile("fake.pdf", b"MZ" + b"\x00" * 64, content_type="application/pdf"),  # not a PDF inside
        SimpleUploadedFile("big.pdf", b"%PDF-" + b"x" * (5 * 1024 * 1024), content_type="application/pdf"),
        SimpleUploadedFile("empty.png", b"", content_type="image/png"),
    ]
    for upload in refused:
        response = client.post(url, {"body": "see attached", "file": upload}, headers=h)
        assert response.status_code == 422, (upload.name, response.content)
    assert Message.objects.filter(thread=thread).count() == 1 and not Attachment.objects.exists()
    assert not private_media.exists() or not any(p.is_file() for p in private_media.rglob("*"))


def test_an_attachment_is_stored_privately_and_downloaded_by_participants_only(client, headers, cashier, manager,
                                                                              customer, private_media):
    thread = services.thread_create(actor=cashier, subject="Docs", body="here", participant_ids=[manager.pk])
    response = client.post(f"{THREADS}{thread.pk}/messages/",
                           {"file": SimpleUploadedFile("scan.png", PNG, content_type="image/png")},
                           headers=headers(cashier))
    assert response.status_code == 201, response.content
    attachment = response.json()["attachments"][0]
    assert attachment["name"] == "scan.png" and attachment["content_type"] == "image/png"
    assert attachment["size"] == len(PNG)
    stored = Attachment.objects.get()
    assert (private_media / stored.file.name).is_file()
    with pytest.raises(ValueError):
        stored.file.url  # noqa: B018
    url = f"{THREADS}{thread.pk}/attachments/{attachment['id']}/"
    download = client.get(url, headers=headers(manager))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PNG
    assert client.get(url, headers=headers(customer)).status_code == 404
    pdf = client.post(f"{THREADS}{thread.pk}/messages/",
                      {"body": "statement", "file": SimpleUploadedFile("s.pdf", PDF, content_type="application/pdf")},
                      headers=headers(manager))
    assert pdf.status_code == 201 and pdf.json()["body"] == "statement"


def test_notifications_list_and_read(client, headers, customer, other_customer):
    first = services.notify(customer, "service_desk.picked_up", "One", "b", link="/x/")[0]
    second = services.notify(customer, "service_desk.picked_up", "Two")[0]
    theirs = services.notify(other_customer, "service_desk.picked_up", "Theirs")[0]
    h = headers(customer)
    listing = client.get(NOTIFICATIONS, headers=h).json()
    assert listing["count"] == 2
    assert [n["id"] for n in listing["items"]] == [second.pk, first.pk]
    assert set(listing["items"][1]) == {"id", "kind", "title", "body", "link", "created_at", "read_at"}
    marked = post_json(client, f"{NOTIFICATIONS}read/", {"ids": [first.pk, theirs.pk]}, headers=h)
    assert marked.status_code == 200 and marked.json() == {"marked": 1, "unread": 1}
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    unread = client.get(NOTIFICATIONS, {"unread": "true"}, headers=h).json()
    assert [n["id"] for n in unread["items"]] == [second.pk]
    assert post_json(client, f"{NOTIFICATIONS}read/", {}, headers=h).status_code == 422
    assert post_json(client, f"{NOTIFICATIONS}read/", {"all": True}, headers=h).json() == {"marked": 1, "unread": 0}


def test_signed_out_is_401(client):
    assert client.get(THREADS).status_code == 401
    assert client.get(NOTIFICATIONS).status_code == 401


def test_out_of_range_ids_are_not_server_errors(client, headers, cashier):
    h = headers(cashier)
    huge = 2**70
    assert client.get(f"{THREADS}{huge}/messages/", headers=h).status_code in (404, 422)
    assert client.post(f"{THREADS}{huge}/pick-up/", headers=h).status_code in (404, 422)
    assert post_json(client, f"{THREADS}{huge}/read/", {"message_id": 1}, headers=h).status_code in (404, 422)
    assert post_json(client, THREADS, {"subject": "s", "body": "b", "participant_ids": [huge]},
                     headers=h).status_code == 422
    assert post_json(client, f"{NOTIFICATIONS}read/", {"ids": [huge]}, headers=h).status_code == 422
    assert post_json(client, f"{THREADS}1/messages/", [1, 2], headers=h).status_code in (404, 422)


def test_a_forged_sender_is_ignored(client, headers, cashier, manager):
    thread = services.thread_create(actor=cashier, subject="A", body="one", participant_ids=[manager.pk])
    response = post_json(client, f"{THREADS}{thread.pk}/messages/", {"body": "from me", "sender_id": manager.pk},
                         headers=headers(cashier))
    assert response.status_code == 201 and response.json()["sender_id"] == cashier.pk
    assert Message.objects.get(pk=response.json()["id"]).sender == cashier
