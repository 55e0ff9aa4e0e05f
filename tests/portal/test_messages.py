"""The member's Messages pages: own threads only, a new message that reaches the service desk, replies
with attachments checked by the messaging service, unread counts, plain text escaped."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from apps.messaging import services
from apps.messaging.models import MAX_BODY_CHARS, Attachment, Message, Notification, Participant, Thread
from tests.support import staff_client_for

pytestmark = pytest.mark.django_db

INBOX = "/my/messages/"
NEW = "/my/messages/new/"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n" + b"x" * 64


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path / "private")
    return tmp_path / "private"


@pytest.fixture
def member(make_user):
    return make_user("customer", first_name="Efua", last_name="Mensah")


@pytest.fixture
def other_member(make_user):
    return make_user("customer", first_name="Kojo", last_name="Boateng")


@pytest.fixture
def teller(make_user):
    return make_user("cashier", first_name="Ama", last_name="Owusu")


def answered(member, teller, *, subject="Lost card", body="Please block my card",
             reply="Blocked. A new one is on its way."):
    """A member's thread that `teller` picked up and answered."""
    thread = services.thread_create(actor=member, subject=subject, body=body)
    services.thread_pick_up(actor=teller, thread_id=thread.pk)
    services.message_post(actor=teller, thread_id=thread.pk, body=reply)
    return thread


def messages_on(page: str) -> list[str]:
    """The text of each message shown in the thread's message list, oldest first."""
    found = re.findall(r'data-testid="message">(.*?)</li>', page, flags=re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", m)).strip() for m in found]


def test_the_inbox_lists_the_members_own_threads_with_preview_and_unread(member, other_member, teller, manager):
    answered(member, teller)
    services.thread_create(actor=member, subject="Statement request", body="Could I have June's statement?")
    theirs = services.thread_create(actor=other_member, subject="Kojo's loan", body="About my loan")
    staff_only = services.thread_create(actor=teller, subject="Drawer count", body="Staff only",
                                        participant_ids=[manager.pk])
    response = staff_client_for(member).get(INBOX)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Lost card" in page and "Statement request" in page
    assert "Blocked. A new one is on its way." in page  # the last message's preview
    assert "You: Could I have June" in page
    assert theirs.subject not in page and staff_only.subject not in page
    # Newest activity first, with the unread count on the answered thread only.
    rows = re.findall(r'data-testid="thread">(.*?)</li>', page, flags=re.S)
    assert [("Statement request" in r, "Lost card" in r) for r in rows] == [(True, False), (False, True)]
    assert 'data-testid="thread-unread">1<' in rows[1] and "thread-unread" not in rows[0]
    # The header's Messages entry carries the unread count.
    assert re.search(r'data-testid="messages-unread">1<', page)


def test_search_finds_own_threads_by_subject_or_message_text_only(member, other_member, teller):
    answered(member, teller, subject="Lost card", reply="We blocked it")
    services.thread_create(actor=member, subject="Statement", body="Please send June")
    services.thread_create(actor=other_member, subject="Blocked transfer", body="Why was it blocked?")
    client = staff_client_for(member)
    by_text = client.get(INBOX, {"q": "BLOCKED"}).content.decode()
    assert "Lost card" in by_text and "Statement" not in by_text and "Blocked transfer" not in by_text
    by_subject = client.get(INBOX, {"q": "statem"}).content.decode()
    assert "Statement" in by_subject and "Lost card" not in by_subject
    nothing = client.get(INBOX, {"q": "mortgage"}).content.decode()
    assert 'data-testid="no-threads"' in nothing and "mortgage" in nothing
    # The list alone (what htmx reloads) keeps the search.
    partial = client.get("/my/messages/list/", {"q": "blocked"}).content.decode()
    assert "Lost card" in partial and "Statement" not in partial and "<html" not in partial


def test_a_new_message_lands_in_the_service_desk_queue_and_opens_the_thread(member, teller):
    client = staff_client_for(member)
    form = client.get(NEW)
    assert form.status_code == 200 and 'name="csrfmiddlewaretoken"' in form.content.decode()
    response = client.post(NEW, {"subject": "Card stuck in ATM", "body": "At the Osu branch.\nThis morning."})
    thread = Thread.objects.get(subject="Card stuck in ATM")
    assert response.status_code == 302 and response.url == f"/my/messages/{thread.pk}/"
    assert thread in services.service_desk_queue(teller)
    assert Notification.objects.filter(user=teller, kind="service_desk.thread_new").exists()
    page = client.get(response.url).content.decode()
    assert "Sent. A member of staff will answer here." in page
    assert "At the Osu branch.<br>This morning." in page  # line breaks kept
    [shown] = messages_on(page)
    assert shown.startswith("You") and shown.endswith("At the Osu branch. This morning.")
    assert "Waiting for a member of staff" in page


def test_a_new_message_with_a_file_keeps_both_and_a_bad_file_keeps_neither(member, teller):
    client = staff_client_for(member)
    sent = client.post(NEW, {"subject": "Payslip", "body": "Attached", "file": SimpleUploadedFile("pay.pdf", PDF)})
    assert sent.status_code == 302
    thread = Thread.objects.get(subject="Payslip")
    assert [a.name for a in Attachment.objects.filter(message__thread=thread)] == ["pay.pdf"]

    bad = client.post(NEW, {"subject": "Photo", "body": "See file",
                            "file": SimpleUploadedFile("photo.png", b"GIF89a" + b"\x00" * 20)})
    assert bad.status_code == 422
    page = bad.content.decode()
    assert "Attach a PDF, JPEG or PNG file." in page and 'value="Photo"' in page
    assert not Thread.objects.filter(subject="Photo").exists()
    assert [t.subject for t in services.service_desk_queue(teller)] == ["Payslip"]


def test_a_new_message_needs_a_subject_and_text_within_the_limit(member):
    client = staff_client_for(member)
    empty = client.post(NEW, {"subject": "", "body": ""})
    assert empty.status_code == 422 and "This field is required." in empty.content.decode()
    long = client.post(NEW, {"subject": "Long", "body": "x" * (MAX_BODY_CHARS + 1)})
    assert long.status_code == 422
    assert f"At most {MAX_BODY_CHARS} characters ({MAX_BODY_CHARS + 1} given)." in long.content.decode()
    assert not Thread.objects.exists() and not Message.objects.exists()


def test_the_thread_page_shows_messages_oldest_first_with_staff_named_and_marks_them_read(member, teller):
    thread = answered(member, teller)
    client = staff_client_for(member)
    assert services.thread_for(member, thread.pk).unread == 1
    page = client.get(f"/my/messages/{thread.pk}/").content.decode()
    shown = messages_on(page)
    assert len(shown) == 2
    assert shown[0].startswith("You") and shown[0].endswith("Please block my card")
    assert re.match(r"Ama Owusu \S.* staff ", shown[1]) and shown[1].endswith("Blocked. A new one is on its way.")
    assert 'data-testid="message-list"' in page
    assert f"live:message.new[detail.thread_id=={thread.pk}&&" in page
    assert services.thread_for(member, thread.pk).unread == 0
    assert 'data-testid="messages-unread"' not in page  # the header's count already reflects it


def test_the_message_list_partial_reloads_and_marks_new_messages_read(member, teller):
    thread = answered(member, teller)
    client = staff_client_for(member)
    client.get(f"/my/messages/{thread.pk}/")
    services.message_post(actor=teller, thread_id=thread.pk, body="Anything else?")
    partial = client.get(f"/my/messages/{thread.pk}/list/")
    assert partial.status_code == 200 and "<html" not in partial.content.decode()
    assert messages_on(partial.content.decode())[-1].endswith("Anything else?")
    assert partial["HX-Trigger"] == "messages-read"
    assert services.thread_for(member, thread.pk).unread == 0
    again = client.get(f"/my/messages/{thread.pk}/list/")
    assert "HX-Trigger" not in again


def test_a_reply_is_stored_with_its_attachment_and_the_staff_member_sees_it(member, teller):
    thread = answered(member, teller)
    client = staff_client_for(member)
    response = client.post(f"/my/messages/{thread.pk}/",
                           {"body": "Thank you", "file": SimpleUploadedFile("id.png", PNG)})
    assert response.status_code == 302
    reply = Message.objects.filter(thread=thread).order_by("-pk").first()
    assert (reply.sender, reply.body) == (member, "Thank you")
    assert response.url == f"/my/messages/{thread.pk}/#message-{reply.pk}"
    attachment = reply.attachments.get()
    assert (attachment.name, attachment.content_type) == ("id.png", "image/png")
    assert services.thread_for(teller, thread.pk).unread == 1
    page = client.get(f"/my/messages/{thread.pk}/").content.decode()
    link = f"/my/messages/{thread.pk}/attachments/{attachment.pk}/"
    assert link in page and "id.png" in page
    download = client.get(link)
    assert download.status_code == 200 and b"".join(download.streaming_content) == PNG
    assert download["Content-Type"] == "image/png" and "attachment" in download["Content-Disposition"]
    assert "no-store" in download["Cache-Control"]


def test_an_attachment_only_reply_is_accepted(member, teller):
    thread = answered(member, teller)
    response = staff_client_for(member).post(f"/my/messages/{thread.pk}/",
                                             {"body": "", "file": SimpleUploadedFile("scan.pdf", PDF)})
    assert response.status_code == 302
    last = Message.objects.filter(thread=thread, sender=member).order_by("-pk").first()
    assert last.body == "" and last.attachments.get().name == "scan.pdf"


@pytest.mark.parametrize("upload, error", [
    (lambda: SimpleUploadedFile("virus.exe", b"MZ" + b"\x00" * 30), "Attach a PDF, JPEG or PNG file."),
    (lambda: SimpleUploadedFile("fake.pdf", b"<html>not a pdf</html>"), "Attach a PDF, JPEG or PNG file."),
    (lambda: SimpleUploadedFile("big.pdf", b"%PDF-" + b"x" * (5 * 1024 * 1024)), "between 1 byte and 5 MB"),
])
def test_a_bad_attachment_is_refused_with_the_reason_and_nothing_is_stored(member, teller, upload, error):
    thread = answered(member, teller)
    before = Message.objects.count()
    response = staff_client_for(member).post(f"/my/messages/{thread.pk}/", {"body": "Here", "file": upload()})
    assert response.status_code == 422
    page = response.content.decode()
    assert error in page and "The message was not sent." in page
    assert "Here</textarea>" in page  # what the member wrote is kept
    assert Message.objects.count() == before and not Attachment.objects.exists()


def test_an_empty_or_too_long_reply_is_refused(member, teller):
    thread = answered(member, teller)
    client = staff_client_for(member)
    before = Message.objects.count()
    empty = client.post(f"/my/messages/{thread.pk}/", {"body": "   "})
    assert empty.status_code == 422 and "This field is required." in empty.content.decode()
    long = client.post(f"/my/messages/{thread.pk}/", {"body": "y" * (MAX_BODY_CHARS + 1)})
    assert long.status_code == 422 and f"At most {MAX_BODY_CHARS} characters" in long.content.decode()
    assert Message.objects.count() == before


def test_message_text_is_escaped(member, teller):
    thread = answered(member, teller, subject="<b>Hi</b>", reply='<script>alert("x")</script>\nbye')
    client = staff_client_for(member)
    page = client.get(f"/my/messages/{thread.pk}/").content.decode()
    assert '<script>alert("x")</script>' not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;<br>bye" in page
    assert "<b>Hi</b>" not in page and "&lt;b&gt;Hi&lt;/b&gt;" in page
    inbox = client.get(INBOX).content.decode()
    assert "<script>alert" not in inbox and "&lt;script&gt;" in inbox


def test_another_members_thread_a_staff_thread_and_their_attachments_are_404(member, other_member, teller, manager):
    theirs = services.thread_create(actor=other_member, subject="Mine", body="private")
    services.message_post(actor=other_member, thread_id=theirs.pk, file=SimpleUploadedFile("p.pdf", PDF))
    staff_only = services.thread_create(actor=teller, subject="Staff", body="only", participant_ids=[manager.pk])
    services.message_post(actor=teller, thread_id=staff_only.pk, file=SimpleUploadedFile("s.png", PNG))
    client = staff_client_for(member)
    before = Message.objects.count()
    for thread in (theirs, staff_only):
        attachment = Attachment.objects.get(message__thread=thread)
        assert client.get(f"/my/messages/{thread.pk}/").status_code == 404
        assert client.get(f"/my/messages/{thread.pk}/list/").status_code == 404
        assert client.post(f"/my/messages/{thread.pk}/", {"body": "hello"}).status_code == 404
        assert client.get(f"/my/messages/{thread.pk}/attachments/{attachment.pk}/").status_code == 404
    # An attachment of another thread, asked for through one of the member's own threads: 404 too.
    mine = services.thread_create(actor=member, subject="Mine too", body="hi")
    other_attachment = Attachment.objects.get(message__thread=theirs)
    assert client.get(f"/my/messages/{mine.pk}/attachments/{other_attachment.pk}/").status_code == 404
    assert client.get("/my/messages/999999/").status_code == 404
    assert Message.objects.count() == before + 1  # only the member's own new thread
    assert not Participant.objects.filter(thread__in=[theirs, staff_only], user=member).exists()


def test_anonymous_visitors_are_sent_to_sign_in(member, teller):
    thread = answered(member, teller)
    for url in (INBOX, NEW, f"/my/messages/{thread.pk}/", f"/my/messages/{thread.pk}/list/", "/my/messages/list/",
                "/my/messages/unread/"):
        response = Client().get(url)
        assert response.status_code == 302 and "login" in response["Location"], url
    posted = Client().post(NEW, {"subject": "x", "body": "y"})
    assert posted.status_code == 302 and Thread.objects.count() == 1


def test_staff_are_refused_the_members_message_pages(member, teller, make_user, totp_device):
    thread = answered(member, teller)
    totp_device(teller)
    client = staff_client_for(teller)
    for url in (INBOX, NEW, f"/my/messages/{thread.pk}/", f"/my/messages/{thread.pk}/list/"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "This page is for members" in response.content.decode()
    before = Message.objects.count()
    assert client.post(f"/my/messages/{thread.pk}/", {"body": "from the portal"}).status_code == 403
    assert client.post(NEW, {"subject": "x", "body": "y"}).status_code == 403
    assert Message.objects.count() == before
    # Staff see no member bell nor Messages entry on the portal's pages.
    page = client.get("/my/").content.decode()
    assert 'data-testid="notification-bell"' not in page and 'data-testid="messages-nav"' not in page


def test_member_pages_are_never_cached_and_load_the_live_script(member, teller):
    thread = answered(member, teller)
    client = staff_client_for(member)
    for url in (INBOX, NEW, f"/my/messages/{thread.pk}/", f"/my/messages/{thread.pk}/list/", "/my/messages/list/"):
        response = client.get(url)
        assert response.status_code == 200, url
        parts = {p.strip() for p in response["Cache-Control"].split(",")}
        assert {"private", "no-store"} <= parts, url
    page = client.get(INBOX).content.decode()
    assert "/static/messaging/live.js" in page and "/static/unfold/js/htmx/htmx.js" in page
    assert 'hx-trigger="live:message.new from:body, every 20s"' in page
    assert "/static/messaging/live.js" not in Client().get("/login/").content.decode()


def test_the_scripts_the_portal_loads_exist():
    from django.contrib.staticfiles import finders

    for path in ("unfold/js/htmx/htmx.js", "messaging/live.js", "portal/messages.css"):
        assert finders.find(path), path


def test_the_forms_are_labelled_for_screen_readers(member, teller):
    thread = answered(member, teller)
    client = staff_client_for(member)
    for url in (NEW, f"/my/messages/{thread.pk}/"):
        page = client.get(url).content.decode()
        for name in ("body", "file"):
            assert f'<label for="id_{name}">' in page and f'id="id_{name}"' in page, (url, name)
        assert 'enctype="multipart/form-data"' in page
    assert '<label for="id_subject">' in client.get(NEW).content.decode()
    assert '<label for="message-search">' in client.get(INBOX).content.decode()
