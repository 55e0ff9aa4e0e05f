"""The staff console's messaging screens: inbox, thread page and composer, new message, service-desk
queue, notifications list, the header's bell and the sidebar's live badges."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.messaging import services
from apps.messaging.models import Attachment, Message, Notification, Participant, Thread
from tests.support import add_totp_device

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
INBOX = "/admin/messages/"
QUEUE = "/admin/messages/service-desk/"
NOTIFICATIONS = "/admin/notifications/"
BADGES = "/admin/sidebar/badges/"


@pytest.fixture
def console(staff_client):
    """console(user) -> a console client for the user (with the second factor their role needs)."""

    def make(user):
        if user.role in ("manager", "operations_manager", "admin"):
            add_totp_device(user)
        return staff_client(user)

    return make


@pytest.fixture
def thread(cashier, manager):
    return services.thread_create(actor=cashier, subject="Float for Monday", body="Can I have more float?",
                                  participant_ids=[manager.pk])


def thread_url(thread, suffix=""):
    return f"/admin/messages/{thread.pk}/{suffix}"


def test_every_page_opens_for_staff_and_not_for_members_or_the_signed_out(console, cashier, customer, client,
                                                                          thread):
    pages = [INBOX, "/admin/messages/list/", "/admin/messages/new/", QUEUE, thread_url(thread),
             thread_url(thread, "messages/"), NOTIFICATIONS, "/admin/notifications/bell/", BADGES]
    staff = console(cashier)
    for page in pages:
        assert staff.get(page).status_code == 200, page
    member = console(customer)
    for who in (member, client):
        for page in pages:
            response = who.get(page)
            assert response.status_code == 302 and response["Location"].startswith("/admin/login/"), page
    # Nothing was marked read by the refused visits.
    assert Participant.objects.get(thread=thread, user=cashier).last_read_id == thread.messages.get().pk


def test_the_inbox_lists_own_threads_newest_first_with_unread_counts(console, cashier, manager, make_user, thread):
    other = services.thread_create(actor=manager, subject="Audit visit", body="Tomorrow at 9",
                                   participant_ids=[cashier.pk])
    services.thread_create(actor=manager, subject="Not yours", body="private",
                           participant_ids=[make_user("cashier").pk])
    page = console(cashier).get(INBOX)
    body = page.content.decode()
    assert body.index("Audit visit") < body.index("Float for Monday")
    assert "Not yours" not in body
    rows = {row.pk: row for row in page.context["threads"]}
    assert set(rows) == {thread.pk, other.pk}
    assert rows[other.pk].unread == 1 and rows[thread.pk].unread == 0
    assert 'data-testid="thread-unread">1<' in body
    assert page.context["unread_total"] == 1


def test_opening_a_thread_shows_its_messages_in_order_and_marks_them_read(console, cashier, manager, thread):
    services.message_post(actor=cashier, thread_id=thread.pk, body="Or at least 2,000")
    client = console(manager)
    assert services.unread_total(manager) == 2
    page = client.get(thread_url(thread))
    assert page.status_code == 200
    body = page.content.decode()
    assert body.index("Can I have more float?") < body.index("Or at least 2,000")
    last = thread.messages.order_by("-pk").first()
    assert Participant.objects.get(thread=thread, user=manager).last_read_id == last.pk
    assert services.unread_total(manager) == 0
    # The cashier now sees the manager's read receipt under the last message.
    mine = console(cashier).get(thread_url(thread)).content.decode()
    receipt = mine.index('data-testid="read-receipt"')
    assert mine.index("Or at least 2,000") < receipt and "Read by" in mine[receipt:receipt + 200]
    name = manager.get_full_name() or manager.email
    assert f"Read by {name}" in mine[receipt:receipt + 200]


def test_a_non_participant_gets_404_on_the_thread_and_its_attachment(console, cashier, manager, make_user, thread):
    services.message_post(actor=cashier, thread_id=thread.pk,
                          file=SimpleUploadedFile("scan.png", PNG, content_type="image/png"))
    attachment = Attachment.objects.get()
    outsider = console(make_user("cashier"))
    download = thread_url(thread, f"attachments/{attachment.pk}/")
    for url in (thread_url(thread), thread_url(thread, "messages/"), download):
        assert outsider.get(url).status_code == 404, url
    assert outsider.post(thread_url(thread), {"body": "let me in"}).status_code == 404
    assert outsider.post(thread_url(thread, "mute/"), {"muted": "1"}).status_code == 404
    assert Message.objects.filter(thread=thread).count() == 2
    got = console(manager).get(download)
    assert got.status_code == 200 and b"".join(got.streaming_content) == PNG
    assert got["Content-Disposition"].startswith("attachment") and got["X-Content-Type-Options"] == "nosniff"
    # The attachment of another thread is not reached through this one.
    elsewhere = services.thread_create(actor=manager, subject="x", body="y", participant_ids=[cashier.pk])
    assert console(cashier).get(thread_url(elsewhere, f"attachments/{attachment.pk}/")).status_code == 404


def test_posting_a_reply_with_an_attachment_shows_it(console, cashier, manager, thread):
    client = console(manager)
    response = client.post(thread_url(thread), {
        "body": "Approved.\nCollect it at 8.",
        "file": SimpleUploadedFile("note.png", PNG, content_type="image/png")})
    assert response.status_code == 302
    message = Message.objects.filter(thread=thread).order_by("-pk").first()
    assert response["Location"] == f"{thread_url(thread)}#message-{message.pk}"
    assert message.sender == manager and message.body == "Approved.\nCollect it at 8."
    page = console(cashier).get(thread_url(thread)).content.decode()
    assert "Approved.<br>Collect it at 8." in page  # line breaks kept
    attachment = message.attachments.get()
    assert reverse("admin:messaging_attachment", args=[thread.pk, attachment.pk]) in page and "note.png" in page


def test_a_bad_attachment_or_an_empty_reply_shows_the_service_error_and_stores_nothing(console, manager, thread,
                                                                                      private_media):
    client = console(manager)
    bad = client.post(thread_url(thread), {"body": "see this",
                                           "file": SimpleUploadedFile("run.exe", b"MZ" + b"\x00" * 64)})
    assert bad.status_code == 422
    assert "Attach a PDF, JPEG or PNG file." in bad.content.decode()
    empty = client.post(thread_url(thread), {"body": "   "})
    assert empty.status_code == 422 and "This field is required." in empty.content.decode()
    too_long = client.post(thread_url(thread), {"body": "a" * 4001})
    assert too_long.status_code == 422
    assert Message.objects.filter(thread=thread).count() == 1 and not Attachment.objects.exists()
    assert not private_media.exists() or not any(p.is_file() for p in private_media.rglob("*"))


def test_message_text_is_escaped(console, cashier, manager):
    thread = services.thread_create(actor=cashier, subject="<b>Bold</b> subject",
                                    body="<script>alert('x')</script>", participant_ids=[manager.pk])
    client = console(manager)
    for url in (INBOX, thread_url(thread), thread_url(thread, "messages/")):
        body = client.get(url).content.decode()
        assert "<script>alert" not in body and "<b>Bold</b>" not in body, url
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in body, url
    assert "&lt;b&gt;Bold&lt;/b&gt; subject" in client.get(INBOX).content.decode()


def test_staff_start_a_conversation_with_chosen_staff(console, cashier, manager, customer, make_user):
    client = console(cashier)
    form = client.get("/admin/messages/new/")
    choices = {user.pk for user in form.context["form"].fields["participants"].queryset}
    assert manager.pk in choices and customer.pk not in choices and cashier.pk not in choices
    inactive = make_user("manager", is_active=False)
    assert inactive.pk not in choices
    response = client.post("/admin/messages/new/", {"subject": "Shift swap", "participants": [manager.pk],
                                                    "body": "Can we swap on Friday?"})
    thread = Thread.objects.get(subject="Shift swap")
    assert response.status_code == 302 and response["Location"] == thread_url(thread)
    assert set(thread.participants.values_list("user_id", flat=True)) == {cashier.pk, manager.pk}
    refused = client.post("/admin/messages/new/", {"subject": "Hi", "participants": [customer.pk], "body": "x"})
    assert refused.status_code == 422 and Thread.objects.count() == 1
    missing = client.post("/admin/messages/new/", {"subject": "", "participants": [], "body": ""})
    assert missing.status_code == 422 and Thread.objects.count() == 1


def test_the_service_desk_queue_and_pick_up(console, customer, cashier, manager, mobile_banker, make_user):
    first = services.thread_create(actor=customer, subject="Lost card", body="Please block it")
    second = services.thread_create(actor=make_user("customer"), subject="Statement", body="For March please")
    desk = console(cashier)
    page = desk.get(QUEUE)
    body = page.content.decode()
    assert [t.pk for t in page.context["threads"]] == [first.pk, second.pk]  # oldest first
    assert "Please block it" in body and "Pick up" in body
    assert console(mobile_banker).get(QUEUE).status_code == 403
    assert console(mobile_banker).post(thread_url(first, "pick-up/")).status_code == 403

    picked = desk.post(thread_url(first, "pick-up/"))
    assert picked.status_code == 302 and picked["Location"] == thread_url(first)
    assert desk.get(thread_url(first)).status_code == 200
    first.refresh_from_db()
    assert first.picked_up_by == cashier
    again = console(manager).post(thread_url(first, "pick-up/"), follow=True)
    assert "Someone has already picked this thread up." in again.content.decode()
    assert [t.pk for t in console(manager).get(QUEUE).context["threads"]] == [second.pk]
    assert desk.get(QUEUE, {"page": "x"}).status_code == 200


def test_the_bell_shows_the_unread_count_on_every_console_page(console, cashier, make_user):
    client = console(cashier)
    page = client.get("/admin/").content.decode()
    assert 'data-testid="notification-bell"' in page and 'data-testid="notification-count"' not in page
    services.notify(cashier, "service_desk.thread_new", "New member message", "Lost card")
    services.notify(cashier, "service_desk.thread_new", "Another", "Statement")
    services.notify(make_user("cashier"), "service_desk.thread_new", "Not yours", "")
    for url in ("/admin/", INBOX, "/admin/ledger/transaction/", NOTIFICATIONS):
        body = client.get(url).content.decode()
        assert 'data-testid="notification-bell"' in body, url
        assert 'data-testid="notification-count"' in body and ">2</span>" in body, url
    bell = client.get("/admin/notifications/bell/").content.decode()
    assert 'data-testid="notification-count"' in bell and ">2</span>" in bell
    assert 'hx-trigger="every 30s' not in bell  # the partial is only the inside of the refreshed element
    assert "live:notification.new from:body" in client.get("/admin/").content.decode()


def test_the_notifications_list_marks_read_one_or_all(console, cashier, make_user):
    first = services.notify(cashier, "service_desk.thread_new", "First", "one", link="/admin/messages/")[0]
    second = services.notify(cashier, "service_desk.thread_new", "Second", "two", link="javascript:alert(1)")[0]
    third = services.notify(cashier, "service_desk.thread_new", "Third")[0]
    theirs = services.notify(make_user("cashier"), "service_desk.thread_new", "Theirs")[0]
    client = console(cashier)
    page = client.get(NOTIFICATIONS)
    body = page.content.decode()
    assert [n.pk for n in page.context["notifications"]] == [third.pk, second.pk, first.pk]
    assert "Theirs" not in body and "javascript:" not in body
    assert body.count('data-unread="true"') == 3

    assert client.post(NOTIFICATIONS, {"id": [str(third.pk), str(theirs.pk)]}).status_code == 302
    assert Notification.objects.get(pk=third.pk).read_at is not None
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    opened = client.get(f"/admin/notifications/{first.pk}/open/")
    assert opened.status_code == 302 and opened["Location"] == "/admin/messages/"
    assert Notification.objects.get(pk=first.pk).read_at is not None
    assert client.get(f"/admin/notifications/{theirs.pk}/open/").status_code == 404
    assert services.notifications_unread(cashier) == 1
    assert client.post(NOTIFICATIONS, {"all": "1"}).status_code == 302
    assert services.notifications_unread(cashier) == 0
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert 'data-testid="notification-count"' not in client.get(NOTIFICATIONS).content.decode()


def test_search_finds_own_threads_by_subject_and_text(console, cashier, manager, make_user, thread):
    services.message_post(actor=manager, thread_id=thread.pk, body="The VAULT key is with Ama")
    services.thread_create(actor=manager, subject="Holiday rota", body="Easter", participant_ids=[cashier.pk])
    services.thread_create(actor=manager, subject="Vault audit", body="x", participant_ids=[make_user("cashier").pk])
    assert [t.pk for t in services.threads_visible_to(cashier, search="vault")] == [thread.pk]
    assert {t.subject for t in services.threads_visible_to(cashier, search="ROTA")} == {"Holiday rota"}
    assert not services.threads_visible_to(cashier, search="nothing like this").exists()
    page = console(cashier).get(INBOX, {"q": "vault"})
    assert [t.pk for t in page.context["threads"]] == [thread.pk]
    assert "Holiday rota" not in page.content.decode()
    assert console(cashier).get(INBOX, {"q": "zzz"}).context["threads"] == []


def test_mute_leaves_a_thread_out_of_the_unread_total(console, cashier, manager, thread):
    services.message_post(actor=manager, thread_id=thread.pk, body="One")
    services.message_post(actor=manager, thread_id=thread.pk, body="Two")
    assert services.unread_total(cashier) == 2
    client = console(cashier)
    response = client.post(thread_url(thread, "mute/"), {"muted": "1", "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == thread_url(thread)
    assert services.unread_total(cashier) == 0
    row = services.threads_visible_to(cashier).get(pk=thread.pk)
    assert row.muted and row.unread == 2  # the thread keeps its own count
    assert 'data-testid="thread-muted"' in client.get(INBOX).content.decode()
    client.post(thread_url(thread, "mute/"), {"muted": "0", "next": "/admin/messages/?q=x"})
    assert services.unread_total(cashier) == 2


def test_the_badge_endpoint_gives_the_counts_the_role_may_see(console, cashier, manager, mobile_banker, customer,
                                                              thread):
    services.thread_create(actor=customer, subject="Help", body="please")
    services.message_post(actor=manager, thread_id=thread.pk, body="Yes")

    def badges(user):
        response = console(user).get(BADGES)
        assert response.status_code == 200
        return {item["title"]: item for item in response.json()["items"]}

    mine = badges(cashier)
    assert mine["Inbox"]["badge"] == "1" and mine["Inbox"]["link"] == INBOX
    assert mine["Service desk"]["badge"] == "1" and mine["Service desk"]["link"] == QUEUE
    assert "Approvals" not in mine  # the cashier does not approve: the queue's count is not theirs to see
    banker = badges(mobile_banker)
    assert "Service desk" not in banker and banker["Inbox"]["badge"] is None
    boss = badges(manager)
    assert "Approvals" in boss and boss["Service desk"]["badge"] == "1" and boss["Inbox"]["badge"] is None


def test_the_sidebar_shows_the_inbox_and_queue_badges(console, cashier, manager, customer, thread):
    from apps.core import sidebar

    services.thread_create(actor=customer, subject="Help", body="please")
    services.message_post(actor=manager, thread_id=thread.pk, body="Yes")
    page = console(cashier).get("/admin/")
    group = next(g for g in sidebar.navigation(page.wsgi_request) if g["title"] == "Messages")
    items = {item["title"]: item for item in group["items"]}
    assert items["Inbox"]["badge"] == 1 and items["Service desk"]["badge"] == 1
    assert "badge" not in items["Notifications"]
    assert 'src="/static/messaging/console.js"' in page.content.decode()


def test_the_api_searches_and_mutes(client, api, cashier, manager, make_user, thread):
    from tests.support import post_json

    headers = api(cashier)
    found = client.get("/api/threads/", {"search": "FLOAT"}, headers=headers).json()
    assert [t["id"] for t in found["items"]] == [thread.pk] and found["items"][0]["muted"] is False
    assert client.get("/api/threads/", {"search": "nope"}, headers=headers).json()["count"] == 0
    muted = post_json(client, f"/api/threads/{thread.pk}/mute/", {"muted": True}, headers=headers)
    assert muted.status_code == 200 and muted.json()["muted"] is True and muted.json()["id"] == thread.pk
    assert Participant.objects.get(thread=thread, user=cashier).muted
    outsider = api(make_user("cashier"))
    assert post_json(client, f"/api/threads/{thread.pk}/mute/", {"muted": True}, headers=outsider).status_code == 404
    assert post_json(client, f"/api/threads/{thread.pk}/mute/", {"muted": "maybe"}, headers=headers).status_code == 422


def test_a_long_thread_opens_on_its_newest_page(console, cashier, manager, thread, settings):
    from apps.messaging.admin_views import MESSAGES_PER_PAGE

    settings.MESSAGING_RATE_LIMIT = (MESSAGES_PER_PAGE + 10, 60)  # the setup posts more than a person may in a minute
    for n in range(MESSAGES_PER_PAGE + 4):
        services.message_post(actor=cashier, thread_id=thread.pk, body=f"Line {n}")
    client = console(manager)
    newest = client.get(thread_url(thread))
    shown = [m.body for m in newest.context["thread_messages"]]
    assert len(shown) == MESSAGES_PER_PAGE and shown[-1] == f"Line {MESSAGES_PER_PAGE + 3}"
    assert "Earlier messages" in newest.content.decode() and "Later messages" not in newest.content.decode()
    last = thread.messages.order_by("-pk").first()
    assert Participant.objects.get(thread=thread, user=manager).last_read_id == last.pk
    first = client.get(thread_url(thread), {"page": "2"})
    assert [m.body for m in first.context["thread_messages"]] == ["Can I have more float?", "Line 0", "Line 1",
                                                                  "Line 2", "Line 3"]
    assert "Later messages" in first.content.decode()
    assert Participant.objects.get(thread=thread, user=manager).last_read_id == last.pk  # never moves back
