"""The messaging services: threads, the service-desk queue, read receipts, notifications and their
on-commit events."""

from unittest import mock

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from apps.core.notify import register_notification_kind
from apps.messaging import services
from apps.messaging.models import MAX_BODY_CHARS, Message, Notification, Participant, Thread

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent():
    """Every group_send made after a commit: [(group, event)]."""
    calls = []

    async def group_send(group, event):
        calls.append((group, event))

    layer = mock.Mock()
    layer.group_send = group_send
    with mock.patch.object(services, "get_channel_layer", return_value=layer):
        yield calls


def test_staff_thread_has_the_named_participants_and_unread_counts(cashier, manager, customer):
    thread = services.thread_create(actor=cashier, subject="Float", body="Need more float",
                                    participant_ids=[manager.pk, customer.pk])
    assert not thread.service_desk
    assert set(thread.participants.values_list("user_id", flat=True)) == {cashier.pk, manager.pk, customer.pk}
    assert services.threads_visible_to(manager).get(pk=thread.pk).unread == 1
    assert services.threads_visible_to(cashier).get(pk=thread.pk).unread == 0  # own message
    services.message_post(actor=manager, thread_id=thread.pk, body="On its way")
    services.message_post(actor=manager, thread_id=thread.pk, body="Sent")
    assert services.threads_visible_to(cashier).get(pk=thread.pk).unread == 2
    first = Message.objects.filter(thread=thread, sender=manager).order_by("pk").first()
    services.mark_read(actor=cashier, thread_id=thread.pk, message_id=first.pk)
    assert services.threads_visible_to(cashier).get(pk=thread.pk).unread == 1
    assert services.threads_visible_to(manager).get(pk=thread.pk).unread == 0  # posting reads what came before


def test_mark_read_never_moves_back_and_refuses_a_message_of_another_thread(cashier, manager):
    thread = services.thread_create(actor=cashier, subject="A", body="one", participant_ids=[manager.pk])
    other = services.thread_create(actor=cashier, subject="B", body="two", participant_ids=[manager.pk])
    m2 = services.message_post(actor=cashier, thread_id=thread.pk, body="three")
    services.mark_read(actor=manager, thread_id=thread.pk, message_id=m2.pk)
    first = Message.objects.filter(thread=thread).order_by("pk").first()
    assert services.mark_read(actor=manager, thread_id=thread.pk, message_id=first.pk).last_read_id == m2.pk
    with pytest.raises(ValidationError):
        services.mark_read(actor=manager, thread_id=thread.pk, message_id=other.messages.get().pk)


def test_a_member_thread_goes_to_the_queue_and_is_picked_up_once(customer, cashier, manager, operations_manager,
                                                                  mobile_banker):
    thread = services.thread_create(actor=customer, subject="My card", body="It is lost")
    assert thread.service_desk
    assert list(thread.participants.values_list("user_id", flat=True)) == [customer.pk]
    for user in (cashier, manager, operations_manager):
        assert thread in services.service_desk_queue(user)
        assert Notification.objects.filter(user=user, kind="service_desk.thread_new").count() == 1
    with pytest.raises(PermissionDenied):
        services.service_desk_queue(mobile_banker)
    with pytest.raises(PermissionDenied):
        services.thread_pick_up(actor=mobile_banker, thread_id=thread.pk)
    with pytest.raises(Http404):  # not in the queue: cashiers cannot post before picking up
        services.message_post(actor=cashier, thread_id=thread.pk, body="Hello")
    services.thread_pick_up(actor=cashier, thread_id=thread.pk)
    assert thread not in services.service_desk_queue(manager)
    with pytest.raises(services.MessagingRefused):
        services.thread_pick_up(actor=manager, thread_id=thread.pk)
    services.message_post(actor=cashier, thread_id=thread.pk, body="We will block it")
    assert services.threads_visible_to(customer).get(pk=thread.pk).unread == 1
    assert Notification.objects.filter(user=customer, kind="service_desk.picked_up").count() == 1


def test_a_member_cannot_name_participants_nor_see_others_threads(customer, other_customer, cashier, manager):
    with pytest.raises(ValidationError):
        services.thread_create(actor=customer, subject="x", body="y", participant_ids=[cashier.pk])
    staff_only = services.thread_create(actor=cashier, subject="Staff", body="only", participant_ids=[manager.pk])
    theirs = services.thread_create(actor=other_customer, subject="Mine", body="private")
    for thread in (staff_only, theirs):
        assert not services.threads_visible_to(customer).filter(pk=thread.pk).exists()
        with pytest.raises(Http404):
            services.thread_for(customer, thread.pk)
        with pytest.raises(Http404):
            services.message_post(actor=customer, thread_id=thread.pk, body="let me in")
        with pytest.raises(Http404):
            services.mark_read(actor=customer, thread_id=thread.pk, message_id=thread.messages.first().pk)
    assert Message.objects.filter(sender=customer).count() == 0


def test_refusals_store_nothing(cashier, manager):
    with pytest.raises(ValidationError):
        services.thread_create(actor=cashier, subject="x", body="y", participant_ids=[])
    with pytest.raises(ValidationError):
        services.thread_create(actor=cashier, subject="x", body="y", participant_ids=[999999])
    with pytest.raises(ValidationError):
        services.thread_create(actor=cashier, subject="x", body="a" * (MAX_BODY_CHARS + 1),
                               participant_ids=[manager.pk])
    with pytest.raises(ValidationError):
        services.thread_create(actor=cashier, subject="x\x00", body="y", participant_ids=[manager.pk])
    assert not Thread.objects.exists() and not Message.objects.exists() and not Participant.objects.exists()


def test_message_events_are_sent_after_the_commit(cashier, manager, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        thread = services.thread_create(actor=cashier, subject="A", body="one", participant_ids=[manager.pk])
    assert sent == [] and callbacks  # nothing before the commit
    for callback in callbacks:
        callback()
    message = thread.messages.get()
    event = {"type": "message.new", "thread_id": thread.pk, "message_id": message.pk, "sender_id": cashier.pk}
    assert sorted(sent, key=lambda c: c[0]) == sorted([(f"user-{cashier.pk}", event), (f"user-{manager.pk}", event)])
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.mark_read(actor=manager, thread_id=thread.pk, message_id=message.pk)
    assert sent == [(f"thread-{thread.pk}", {"type": "message.read", "thread_id": thread.pk, "user_id": manager.pk,
                                              "message_id": message.pk})]


def test_notify_a_role_reaches_every_active_holder(make_user, sent, django_capture_on_commit_callbacks):
    register_notification_kind("test.plain", "Plain")
    managers = [make_user("manager"), make_user("manager")]
    make_user("manager", is_active=False)
    make_user("cashier")
    with django_capture_on_commit_callbacks(execute=True):
        rows = services.notify("manager", "test.plain", "Approval waiting", "A large withdrawal", link="/admin/x/")
    assert sorted(r.user_id for r in rows) == sorted(m.pk for m in managers)
    assert {g for g, _ in sent} == {f"user-{m.pk}" for m in managers}
    assert all(e["type"] == "notification.new" and e["kind"] == "test.plain" for _, e in sent)
    assert mail.outbox == []  # a kind that does not e-mail by default, and nobody chose e-mail


def test_notify_emails_a_kind_that_emails_by_default(make_user, django_capture_on_commit_callbacks):
    register_notification_kind("test.mailed", "Mailed", roles=("operations_manager",), email_default=True)
    ops = make_user("operations_manager")
    with django_capture_on_commit_callbacks(execute=True):
        services.notify("operations_manager", "test.mailed", "End of day stopped", "Step 3 failed")
    assert Notification.objects.filter(user=ops, kind="test.mailed").exists()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [ops.email]


def test_notify_refuses_an_unregistered_kind_and_a_user_recipient_works(customer):
    with pytest.raises(KeyError):
        services.notify(customer, "nobody.registered.this", "x")
    rows = services.notify(customer, "service_desk.picked_up", "Hello")
    assert [r.user_id for r in rows] == [customer.pk]
    assert services.notifications_mark_read(actor=customer, all_=True) == 1
