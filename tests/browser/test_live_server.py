"""Live events reach pages in a real browser, served by the ASGI live server (asgi_server.py): a console
page open in one browser gets the notification a member's message raises through the API in another,
and the progress of the job its user started, without reloading; the websocket refuses a page of
another site even with a signed-in session."""

import os
import socket
from base64 import b64encode
from urllib.parse import urlsplit

import pytest

from apps.core import jobs
from apps.messaging import services
from apps.messaging.models import Notification, Thread

from .pages import (
    BROWSER_TEST,
    api_headers,
    live_events,
    new_page,
    record_live_events,
    sign_in,
    wait_for_live_event,
    wait_until_live,
)

pytestmark = BROWSER_TEST


@pytest.fixture
def people(make_user):
    cashier = make_user("cashier", first_name="Ama", last_name="Owusu")
    member = make_user("customer", first_name="Abena", last_name="Darko")
    return cashier, member


def test_a_members_message_tells_the_cashiers_open_console_page_without_reloading(browser, asgi_live_server,
                                                                                  people):
    cashier, member = people
    console, page = new_page(browser, asgi_live_server, 1280, 900)
    sign_in(page, cashier.email)
    page.goto("/admin/")
    record_live_events(page, "notification.new")

    # The member writes to the credit union through the API, from a browser of their own: the
    # server's own request raises the notification for the service desk after its commit.
    phone = browser.new_context(base_url=asgi_live_server.url)
    response = phone.request.post("/api/threads/", headers=api_headers(phone, member),
                                  data={"subject": "Lost passbook", "body": "I lost my passbook at the market."})
    assert response.status == 201, response.text()
    thread = Thread.objects.get(pk=response.json()["id"])

    event = wait_for_live_event(page, "notification.new", kind="service_desk.thread_new")
    note = Notification.objects.get(user=cashier, kind="service_desk.thread_new")
    assert event["id"] == note.pk and "Abena Darko" in event["title"]
    assert note.body == thread.subject == "Lost passbook"
    assert [e["id"] for e in live_events(page)] == [note.pk]  # the cashier's own, once
    phone.close()
    console.close()


def test_the_progress_of_a_job_reaches_the_page_of_whoever_started_it(browser, asgi_live_server, people):
    cashier, _ = people
    console, page = new_page(browser, asgi_live_server, 1280, 900)
    sign_in(page, cashier.email)
    page.goto("/admin/")
    record_live_events(page, "job.progress")
    job = jobs.job_create("export", started_by=cashier, total=40, message="Exporting transactions")

    asgi_live_server.call(jobs.job_start, job)
    wait_for_live_event(page, "job.progress", id=job.pk, status="running", current=0)
    asgi_live_server.call(jobs.job_progress, job, 10, force=True)
    wait_for_live_event(page, "job.progress", id=job.pk, status="running", current=10, total=40)
    asgi_live_server.call(jobs.job_finish, job, message="Exported")
    wait_for_live_event(page, "job.progress", id=job.pk, status="done", current=40)
    assert [(e["status"], e["current"]) for e in live_events(page)] == [("running", 0), ("running", 10), ("done", 40)]
    console.close()


def test_an_idle_console_page_keeps_its_live_connection(browser, asgi_live_server, people):
    """Nothing happens for a while (longer than the Redis layer's 5 s blocking receive): the socket
    stays open, no reconnection, and the next notification still arrives at once."""
    cashier, _ = people
    console, page = new_page(browser, asgi_live_server, 1280, 900)
    sign_in(page, cashier.email)
    page.goto("/admin/")
    record_live_events(page, "close", "notification.new")
    page.wait_for_timeout(7_000)
    closes = [event for event in live_events(page) if "code" in event]
    assert closes == [], f"the live socket closed while the page was idle: {closes}"
    assert page.locator("body").get_attribute("data-live") == "up"

    [note] = asgi_live_server.call(services.notify, cashier, "service_desk.picked_up", "Kofi is answering",
                                   "Lost passbook")
    wait_for_live_event(page, "notification.new", id=note.pk)
    console.close()


def handshake(server, cookie: str, origin: str) -> str:
    """Open /ws/ by hand with this session cookie and Origin; returns the HTTP status line."""
    address = urlsplit(server.url)
    key = b64encode(os.urandom(16)).decode()
    request = (f"GET /ws/ HTTP/1.1\r\nHost: {address.netloc}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: {origin}\r\n"
               f"Cookie: {cookie}\r\n\r\n")
    with socket.create_connection((address.hostname, address.port), timeout=10) as conn:
        conn.sendall(request.encode())
        reply = b""
        while b"\r\n" not in reply:
            chunk = conn.recv(1024)
            if not chunk:
                break
            reply += chunk
    return reply.split(b"\r\n", 1)[0].decode()


def test_the_socket_refuses_a_page_of_another_site_even_with_a_signed_in_session(browser, asgi_live_server,
                                                                                 people):
    cashier, _ = people
    console, page = new_page(browser, asgi_live_server, 1280, 900)
    sign_in(page, cashier.email)
    page.goto("/admin/")
    wait_until_live(page)
    cookie = "; ".join(f"{c['name']}={c['value']}" for c in console.cookies())

    assert handshake(asgi_live_server, cookie, "http://phishing.example").split(" ")[1] == "403"
    assert handshake(asgi_live_server, cookie, asgi_live_server.url).split(" ")[1] == "101"
    assert handshake(asgi_live_server, "", asgi_live_server.url).split(" ")[1] == "403"  # not signed in
    console.close()
