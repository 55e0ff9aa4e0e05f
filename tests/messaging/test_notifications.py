"""Notifications: how a person hears about each kind (bell always; e-mail and SMS by their preference,
else the kind's default), the preferences API and pages, a sign-in from a new device, and the
per-person limit on new messages."""

import json
import logging
from unittest import mock

import pytest
from django.core import mail

from apps.core.notify import register_notification_kind
from apps.messaging import services, sms
from apps.messaging.models import Message, Notification, NotificationPreference, Thread
from tests.support import PASSWORD, new_client

pytestmark = pytest.mark.django_db

SENT_SMS = []


class RecordingSmsBackend(sms.SmsBackend):
    """Keeps what it was asked to send."""

    def send_messages(self, messages):
        SENT_SMS.extend(messages)
        return len(messages)


class BrokenSmsBackend(sms.SmsBackend):
    def send_messages(self, messages):
        raise ConnectionError("gateway down")


@pytest.fixture
def texts(settings):
    settings.SMS_BACKEND = "tests.messaging.test_notifications.RecordingSmsBackend"
    SENT_SMS.clear()
    yield SENT_SMS
    SENT_SMS.clear()


@pytest.fixture
def kinds(monkeypatch):
    """Three test kinds, gone from the registry after the test."""
    from apps.core import notify

    monkeypatch.setattr(notify, "NOTIFICATION_KINDS", dict(notify.NOTIFICATION_KINDS))
    register_notification_kind("test.quiet", "Quiet", roles=("cashier", "customer"))
    register_notification_kind("test.urgent", "Urgent", roles=("cashier",), email_default=True)
    register_notification_kind("test.staff_only", "Staff only", roles=("manager", "cashier"))


# --- delivery by preference ----------------------------------------------------------------------

def test_email_follows_the_preference_else_the_kind_default(cashier, kinds, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(cashier, "test.quiet", "Quiet one", "body")
        services.notify(cashier, "test.urgent", "Urgent one", "Fix it", link="/admin/business-day/")
    [urgent] = mail.outbox  # the kind that e-mails by default; the quiet one only rings the bell
    assert urgent.to == [cashier.email] and urgent.subject.endswith("] Urgent one")
    assert "Fix it" in urgent.body and "http://localhost:8000/admin/business-day/" in urgent.body
    mail.outbox.clear()

    services.preference_set(actor=cashier, kind="test.quiet", email=True, sms=False)
    services.preference_set(actor=cashier, kind="test.urgent", email=False, sms=False)
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(cashier, "test.quiet", "Quiet two")
        services.notify(cashier, "test.urgent", "Urgent two")
    assert [(m.to, m.subject.endswith("Quiet two")) for m in mail.outbox] == [([cashier.email], True)]
    # the bell has all four, whatever the e-mail choices
    assert Notification.objects.filter(user=cashier).count() == 4


def test_each_person_gets_their_own_email(make_user, kinds, django_capture_on_commit_callbacks):
    one, two = make_user("cashier"), make_user("cashier")
    with django_capture_on_commit_callbacks(execute=True):
        services.notify("cashier", "test.urgent", "Drawer check")
    assert sorted(m.to[0] for m in mail.outbox) == sorted([one.email, two.email])
    assert all(len(m.to) == 1 for m in mail.outbox)


def test_sms_goes_through_the_backend_to_the_members_phone(customer, cashier, operations_manager, kinds, texts,
                                                          django_capture_on_commit_callbacks):
    from tests.ledger.factories import make_member

    make_member(registrar=cashier, verifier=operations_manager, user=customer, phone="0244000111")
    services.preference_set(actor=customer, kind="test.quiet", email=False, sms=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(customer, "test.quiet", "Your cheque cleared", "Long body that an SMS leaves out")
    [text] = texts
    assert text.to == "0244000111" and text.text.endswith("Your cheque cleared")
    assert "Long body" not in text.text and "http" not in text.text
    assert mail.outbox == []


def test_a_failing_sms_gateway_or_mail_server_never_stops_notify(cashier, kinds, settings, caplog,
                                                                 django_capture_on_commit_callbacks):
    settings.SMS_BACKEND = "tests.messaging.test_notifications.BrokenSmsBackend"
    cashier.phone_number = "0200000001"
    cashier.save(update_fields=["phone_number"])
    services.preference_set(actor=cashier, kind="test.urgent", email=True, sms=True)
    with mock.patch.object(services, "send_mass_mail", side_effect=OSError("mail server down")), \
            caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        rows = services.notify(cashier, "test.urgent", "Still told")
    assert [r.user_id for r in rows] == [cashier.pk]
    assert Notification.objects.filter(user=cashier, title="Still told").exists()
    assert "Could not send an SMS" in caplog.text and "Could not e-mail" in caplog.text


def test_the_logging_backend_is_the_default_and_logs_the_start_of_the_text(caplog):
    with caplog.at_level(logging.INFO, logger="apps.messaging.sms"):
        assert sms.send_sms("0244 123 456", "Coastal: Your loan instalment is due on Friday") == 1
    assert "SMS to 0244 123 456: Coastal: Your loan instalment is due on" in caplog.text
    assert sms.send_sms("", "nobody to send to") == 0


def test_a_keyed_notification_is_raised_once(cashier, kinds, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = services.notify(cashier, "test.urgent", "Instalment due", key="instalment-1")
        again = services.notify(cashier, "test.urgent", "Instalment due", key="instalment-1")
    assert len(first) == 1 and again == []
    assert len(mail.outbox) == 1
    assert len(services.notify(cashier, "test.urgent", "Another instalment", key="instalment-2")) == 1


# --- preferences: services and API ---------------------------------------------------------------

def test_preferences_list_only_the_kinds_of_the_role(customer, cashier, kinds):
    services.preference_set(actor=customer, kind="test.quiet", email=True, sms=False)
    mine = {row["kind"]: row for row in services.preferences_for(customer)}
    assert "test.quiet" in mine and "test.urgent" not in mine and "test.staff_only" not in mine
    assert "eod.step_failed" not in mine and "cash.cheque_bounced" in mine
    assert mine["test.quiet"]["email"] is True and mine["test.quiet"]["chosen"] is True
    staff = {row["kind"]: row for row in services.preferences_for(cashier)}
    assert staff["test.urgent"]["email"] is True and staff["test.urgent"]["chosen"] is False


def test_api_reads_and_sets_a_preference(api, customer, kinds):
    headers = api(customer)
    client = new_client()
    response = client.get("/api/notifications/preferences/", headers=headers)
    assert response.status_code == 200
    kinds_listed = [row["kind"] for row in response.json()]
    assert "test.quiet" in kinds_listed and "test.staff_only" not in kinds_listed
    response = client.put("/api/notifications/preferences/", json.dumps({"kind": "test.quiet", "email": True,
                                                                         "sms": False}),
                          content_type="application/json", headers=headers)
    assert response.status_code == 200, response.content
    assert response.json()["email"] is True and response.json()["chosen"] is True
    assert NotificationPreference.objects.get(user=customer, kind="test.quiet").email is True


def test_api_refuses_an_unknown_kind_and_a_staff_kind_for_a_member(api, customer, kinds):
    headers = api(customer)
    client = new_client()
    for kind, words in (("no.such.kind", "no kind of notification"), ("test.staff_only", "is for staff"),
                        ("eod.step_failed", "is for staff")):
        response = client.put("/api/notifications/preferences/", json.dumps({"kind": kind, "email": True,
                                                                             "sms": False}),
                              content_type="application/json", headers=headers)
        assert response.status_code == 422, response.content
        assert words in response.json()["detail"]
    assert not NotificationPreference.objects.exists()


def test_sms_needs_a_phone_number(cashier, kinds):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="no phone number"):
        services.preference_set(actor=cashier, kind="test.quiet", email=False, sms=True)
    assert not NotificationPreference.objects.exists()


# --- preferences: the console and portal pages ---------------------------------------------------

def test_every_staff_member_reaches_and_saves_the_console_page(cashier, kinds, staff_client):
    client = staff_client(cashier)
    page = client.get("/admin/")
    assert "/admin/notifications/settings/" in page.content.decode()  # in the sidebar
    response = client.get("/admin/notifications/settings/")
    html = response.content.decode()
    assert response.status_code == 200 and "Notification settings" in html and "Urgent" in html
    assert 'name="csrfmiddlewaretoken"' in html
    response = client.post("/admin/notifications/settings/", {"email:test.quiet": "on"}, follow=True)
    assert "Your notification settings are saved." in response.content.decode()
    assert NotificationPreference.objects.get(user=cashier, kind="test.quiet").email is True
    assert NotificationPreference.objects.get(user=cashier, kind="test.urgent").email is False  # unticked


def test_console_page_refuses_sms_without_a_phone_and_saves_nothing(cashier, kinds, staff_client):
    client = staff_client(cashier)
    response = client.post("/admin/notifications/settings/", {"sms:test.quiet": "on",
                                                              "email:test.urgent": "on"})
    assert response.status_code == 422
    assert "no phone number" in response.content.decode()
    assert not NotificationPreference.objects.exists()


def test_console_page_needs_csrf(cashier, kinds):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(cashier)
    assert client.post("/admin/notifications/settings/", {"email:test.quiet": "on"}).status_code == 403
    assert not NotificationPreference.objects.exists()


def test_member_saves_settings_in_the_portal(customer, kinds):
    client = new_client()
    client.force_login(customer)
    assert "/my/notifications/settings/" in client.get("/my/sessions/").content.decode()  # from Security
    response = client.get("/my/notifications/settings/")
    html = response.content.decode()
    assert response.status_code == 200 and "Notification settings" in html and "Quiet" in html
    assert "Staff only" not in html and "End of day stopped" not in html
    response = client.post("/my/notifications/settings/", {"email:test.quiet": "on"}, follow=True)
    assert "Your notification settings are saved." in response.content.decode()
    assert NotificationPreference.objects.get(user=customer, kind="test.quiet").email is True
    # a staff-only kind slipped into the form is not the member's to choose
    client.post("/my/notifications/settings/", {"email:test.staff_only": "on"})
    assert not NotificationPreference.objects.filter(kind="test.staff_only").exists()


def test_portal_settings_need_a_sign_in():
    response = new_client().get("/my/notifications/settings/")
    assert response.status_code == 302 and "login" in response["Location"]


# --- sign-in from a new device -------------------------------------------------------------------

CHROME_LINUX = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
CHROME_LINUX_NEWER = CHROME_LINUX.replace("120.0.0.0", "121.0.6167.85")
FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0"


def sign_in(user, agent, ip):
    from django.test import Client

    client = Client(HTTP_USER_AGENT=agent, REMOTE_ADDR=ip)
    response = client.post("/login/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return client


def test_a_sign_in_from_a_new_device_is_notified_once(customer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sign_in(customer, CHROME_LINUX, "203.0.113.7")  # the first sign-in: nothing to compare with
        sign_in(customer, CHROME_LINUX_NEWER, "203.0.113.90")  # same browser, same network
    assert not Notification.objects.filter(kind="users.new_device").exists()
    with django_capture_on_commit_callbacks(execute=True):
        sign_in(customer, FIREFOX_WINDOWS, "198.51.100.4")
    [told] = Notification.objects.filter(user=customer, kind="users.new_device")
    assert told.link == "/my/sessions/" and "Firefox / Windows" in told.body and "198.51.100.4" in told.body
    [email] = mail.outbox  # urgent: e-mailed unless the member turned it off
    assert email.to == [customer.email]
    sign_in(customer, FIREFOX_WINDOWS, "198.51.100.200")  # now a known device
    assert Notification.objects.filter(kind="users.new_device").count() == 1


def test_staff_are_sent_to_their_console_sessions(cashier):
    sign_in(cashier, CHROME_LINUX, "203.0.113.7")
    sign_in(cashier, FIREFOX_WINDOWS, "203.0.113.7")
    assert Notification.objects.get(user=cashier, kind="users.new_device").link == "/admin/my-sessions/"


# --- the per-person message limit ----------------------------------------------------------------

def test_too_many_messages_answer_429_and_store_nothing(settings, api, cashier, manager):
    settings.MESSAGING_RATE_LIMIT = (3, 60)
    thread = services.thread_create(actor=cashier, subject="Float", body="one", participant_ids=[manager.pk])
    headers = api(cashier)
    client = new_client()
    url = f"/api/threads/{thread.pk}/messages/"
    for body in ("two", "three"):
        assert client.post(url, json.dumps({"body": body}), content_type="application/json",
                           headers=headers).status_code == 201
    response = client.post(url, json.dumps({"body": "four"}), content_type="application/json", headers=headers)
    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited" and "at most 3 in 60 seconds" in response.json()["detail"]
    assert list(Message.objects.filter(thread=thread).order_by("pk").values_list("body", flat=True)) == [
        "one", "two", "three"]
    response = client.post("/api/threads/", json.dumps({"subject": "New", "body": "x",
                                                        "participant_ids": [manager.pk]}),
                           content_type="application/json", headers=headers)
    assert response.status_code == 429 and Thread.objects.count() == 1
    # another person is not held back by the cashier's count
    services.message_post(actor=manager, thread_id=thread.pk, body="from the manager")


def test_the_limit_is_per_window(settings, cashier, manager):
    settings.MESSAGING_RATE_LIMIT = (2, 60)
    thread = services.thread_create(actor=cashier, subject="Float", body="one", participant_ids=[manager.pk])
    services.message_post(actor=cashier, thread_id=thread.pk, body="two")
    with pytest.raises(services.MessagingRateLimited):
        services.message_post(actor=cashier, thread_id=thread.pk, body="three")
    with mock.patch.object(services.time, "time", return_value=services.time.time() + 61):
        services.message_post(actor=cashier, thread_id=thread.pk, body="three, a minute later")
    assert Message.objects.filter(thread=thread).count() == 3
