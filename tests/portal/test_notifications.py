"""The member's notification bell and list: unread count, newest first, marking read (one or all, own
rows only), links that open portal pages, no access for others."""

import re

import pytest
from django.test import Client

from apps.messaging import services
from apps.messaging.models import Notification
from apps.portal.notifications import portal_link
from tests.support import staff_client_for

pytestmark = pytest.mark.django_db

LIST = "/my/notifications/"
READ = "/my/notifications/read/"
BELL = "/my/notifications/bell/"


@pytest.fixture
def member(make_user):
    return make_user("customer", first_name="Efua", last_name="Mensah")


@pytest.fixture
def teller(make_user):
    return make_user("cashier", first_name="Ama", last_name="Owusu")


def picked_up(member, teller, subject="Lost card"):
    """A member's thread picked up by staff: the member is notified (kind service_desk.picked_up)."""
    thread = services.thread_create(actor=member, subject=subject, body="Please help")
    services.thread_pick_up(actor=teller, thread_id=thread.pk)
    return thread


def bell_count(page: str) -> str | None:
    found = re.search(r'data-testid="notification-count">([^<]*)<', page)
    return found.group(1) if found else None


def test_the_bell_shows_the_unread_count_and_nothing_at_zero(member, teller):
    client = staff_client_for(member)
    page = client.get("/my/").content.decode()
    assert 'data-testid="notification-bell"' in page and bell_count(page) is None
    assert 'href="/my/notifications/"' in page
    picked_up(member, teller, "Lost card")
    picked_up(member, teller, "Statement")
    page = client.get("/my/").content.decode()
    assert bell_count(page) == "2"
    assert 'aria-label="Notifications, 2 unread"' in page
    assert "live:notification.new from:body, every 60s" in page
    # The bell alone (what htmx reloads) says the same.
    bell = client.get(BELL)
    assert bell.status_code == 200 and "<html" not in bell.content.decode()
    assert bell_count(bell.content.decode()) == "2"
    assert "no-store" in bell["Cache-Control"]


def test_the_list_is_newest_first_unread_highlighted_with_links_to_the_thread(member, teller):
    first = picked_up(member, teller, "Lost card")
    second = picked_up(member, teller, "Statement")
    response = staff_client_for(member).get(LIST)
    assert response.status_code == 200
    page = response.content.decode()
    rows = re.findall(r'<li class="notification( unread)?" data-testid="notification">(.*?)</li>', page, flags=re.S)
    assert len(rows) == 2 and all(unread for unread, _ in rows)
    assert "Statement" in rows[0][1] and "Lost card" in rows[1][1]  # newest first
    assert "Ama Owusu is answering" in rows[0][1]
    assert f'href="/my/messages/{second.pk}/"' in rows[0][1] and f'href="/my/messages/{first.pk}/"' in rows[1][1]
    assert "/api/" not in page
    assert "2 unread." in page and 'data-testid="mark-all-read"' in page


def test_mark_one_read_then_all(member, teller):
    picked_up(member, teller, "Lost card")
    picked_up(member, teller, "Statement")
    picked_up(member, teller, "Loan question")
    client = staff_client_for(member)
    newest = Notification.objects.filter(user=member).order_by("-pk").first()
    response = client.post(READ, {"id": newest.pk})
    assert response.status_code == 302 and response.url == LIST
    newest.refresh_from_db()
    assert newest.read_at is not None
    assert Notification.objects.filter(user=member, read_at__isnull=True).count() == 2
    page = client.get(LIST).content.decode()
    assert bell_count(page) == "2"
    assert len(re.findall(r'class="notification unread"', page)) == 2
    assert client.post(READ, {"all": "1"}).status_code == 302
    assert not Notification.objects.filter(user=member, read_at__isnull=True).exists()
    page = client.get(LIST).content.decode()
    assert bell_count(page) is None and "You have read everything." in page
    assert 'data-testid="mark-all-read"' not in page and 'data-testid="mark-read"' not in page


def test_marking_read_touches_only_the_members_own_notifications(member, teller, make_user):
    other = make_user("customer")
    picked_up(other, teller, "Theirs")
    theirs = Notification.objects.get(user=other)
    client = staff_client_for(member)
    assert client.post(READ, {"id": theirs.pk}).status_code == 302
    assert client.post(READ, {"all": "1"}).status_code == 302
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert "Theirs" not in client.get(LIST).content.decode()
    # Nonsense ids change nothing and break nothing.
    assert client.post(READ, {"id": ["abc", "-1", ""]}).status_code == 302


def test_mark_read_needs_a_post_with_csrf(member, teller):
    picked_up(member, teller)
    row = Notification.objects.get(user=member)
    client = staff_client_for(member, enforce_csrf_checks=True)
    assert client.get(READ).status_code == 405
    assert client.post(READ, {"all": "1"}).status_code == 403
    row.refresh_from_db()
    assert row.read_at is None


def test_notification_text_is_escaped(member, teller):
    services.notify(member, "service_desk.picked_up", "<img src=x onerror=alert(1)>", "<script>bad()</script>\nline")
    page = staff_client_for(member).get(LIST).content.decode()
    assert "<img src=x" not in page and "<script>bad" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "&lt;script&gt;bad()&lt;/script&gt;<br>line" in page


def test_links_a_member_cannot_use_are_not_shown():
    assert portal_link("/api/threads/12/messages/") == "/my/messages/12/"
    assert portal_link("/my/loans/3/") == "/my/loans/3/"
    for link in ("", "https://evil.example/", "//evil.example/x", "javascript:alert(1)", "/admin/ledger/",
                 "/api/accounts/1/", "/cms/"):
        assert portal_link(link) == "", link


def test_anonymous_and_staff_cannot_use_the_members_notification_pages(member, teller, totp_device):
    picked_up(member, teller)
    for url in (LIST, BELL):
        response = Client().get(url)
        assert response.status_code == 302 and "login" in response["Location"]
    assert Client().post(READ, {"all": "1"}).status_code == 302
    totp_device(teller)
    staff = staff_client_for(teller)
    assert staff.get(LIST).status_code == 403 and staff.get(BELL).status_code == 403
    assert staff.post(READ, {"all": "1"}).status_code == 403
    assert Notification.objects.filter(read_at__isnull=False).count() == 0


def test_the_list_pages_and_is_never_cached(member):
    for n in range(30):
        services.notify(member, "service_desk.picked_up", f"Note {n}", "")
    client = staff_client_for(member)
    first = client.get(LIST)
    assert "no-store" in first["Cache-Control"] and "private" in first["Cache-Control"]
    page = first.content.decode()
    assert "Note 29" in page and "Note 4<" not in page and "Page 1 of 2" in page
    second = client.get(LIST, {"page": 2}).content.decode()
    assert "Note 4<" in second and "Note 29" not in second
    # Marking one read from page 2 goes back to page 2.
    row = Notification.objects.get(user=member, title="Note 0")
    assert client.post(READ, {"id": row.pk, "page": "2"}).url == f"{LIST}?page=2"
    assert bell_count(client.get("/my/").content.decode()) == "29"
