"""The /ws/ socket through the project's ASGI stack (origin check, session auth)."""

import itertools
from importlib import import_module

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

from apps.messaging import consumers, services
from apps.users.models import User
from coastal_site.asgi import application

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

ORIGIN = (b"origin", b"http://localhost")
_numbers = itertools.count(1)


@database_sync_to_async
def session_cookie(user) -> bytes:
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}".encode()


async def connect(user=None, origin=ORIGIN):
    headers = [origin, (b"host", b"localhost")]
    if user is not None:
        headers.append((b"cookie", await session_cookie(user)))
    communicator = WebsocketCommunicator(application, "/ws/", headers=headers)
    connected, code = await communicator.connect()
    return communicator, connected, code


@database_sync_to_async
def user(role):
    return User.objects.create_user(f"ws-{role}-{next(_numbers)}@coastal.test", "x-Passw0rd-x", role=role)


async def test_anonymous_is_refused():
    communicator, connected, _ = await connect()
    assert not connected
    await communicator.disconnect()


async def test_a_posted_message_reaches_a_participants_socket_and_reads_reach_subscribers(settings):
    settings.ALLOWED_HOSTS = ["localhost"]
    cashier, manager = await user("cashier"), await user("manager")
    thread = await database_sync_to_async(services.thread_create)(
        actor=cashier, subject="Float", body="first", participant_ids=[manager.pk])
    socket, connected, _ = await connect(manager)
    assert connected
    message = await database_sync_to_async(services.message_post)(actor=cashier, thread_id=thread.pk, body="hello")
    event = await socket.receive_json_from(timeout=10)
    assert event == {"type": "message.new", "thread_id": thread.pk, "message_id": message.pk,
                     "sender_id": cashier.pk}

    await socket.send_json_to({"type": "subscribe", "thread_id": thread.pk})
    assert await socket.receive_json_from(timeout=10) == {"type": "subscribed", "thread_id": thread.pk}
    await database_sync_to_async(services.mark_read)(actor=cashier, thread_id=thread.pk, message_id=message.pk)
    # the cashier's post had already marked it read; the manager reading it is a new receipt
    await database_sync_to_async(services.mark_read)(actor=manager, thread_id=thread.pk, message_id=message.pk)
    read = await socket.receive_json_from(timeout=10)
    assert read == {"type": "message.read", "thread_id": thread.pk, "user_id": manager.pk, "message_id": message.pk}

    await database_sync_to_async(services.notify)(manager, "service_desk.picked_up", "Hello")
    note = await socket.receive_json_from(timeout=10)
    assert note["type"] == "notification.new" and note["title"] == "Hello"
    await socket.disconnect()


async def test_subscribing_to_someone_elses_thread_closes_4403(settings):
    settings.ALLOWED_HOSTS = ["localhost"]
    cashier, manager, customer = await user("cashier"), await user("manager"), await user("customer")
    thread = await database_sync_to_async(services.thread_create)(
        actor=cashier, subject="Staff", body="only", participant_ids=[manager.pk])
    socket, connected, _ = await connect(customer)
    assert connected
    await socket.send_json_to({"type": "subscribe", "thread_id": thread.pk})
    closed = await socket.receive_output(timeout=10)
    assert closed == {"type": "websocket.close", "code": consumers.CLOSE_FORBIDDEN}
    await socket.disconnect()


async def test_a_member_gets_no_event_of_a_thread_they_are_not_in(settings):
    settings.ALLOWED_HOSTS = ["localhost"]
    cashier, manager, customer = await user("cashier"), await user("manager"), await user("customer")
    thread = await database_sync_to_async(services.thread_create)(
        actor=cashier, subject="Staff", body="only", participant_ids=[manager.pk])
    socket, connected, _ = await connect(customer)
    assert connected
    await database_sync_to_async(services.message_post)(actor=cashier, thread_id=thread.pk, body="secret")
    assert await socket.receive_nothing(timeout=0.3)
    await socket.disconnect()


async def test_oversize_frames_and_floods_close_the_socket(settings):
    settings.ALLOWED_HOSTS = ["localhost"]
    cashier = await user("cashier")
    socket, connected, _ = await connect(cashier)
    assert connected
    await socket.send_to(text_data="x" * (consumers.MAX_FRAME_BYTES + 1))
    assert await socket.receive_output(timeout=10) == {"type": "websocket.close", "code": consumers.CLOSE_TOO_BIG}
    await socket.disconnect()

    socket, connected, _ = await connect(cashier)
    for _ in range(consumers.RATE_LIMIT):
        await socket.send_json_to({"type": "ping"})
        assert await socket.receive_json_from(timeout=10) == {"type": "pong"}
    await socket.send_json_to({"type": "ping"})
    assert await socket.receive_output(timeout=10) == {"type": "websocket.close", "code": consumers.CLOSE_TOO_MANY}
    await socket.disconnect()


async def test_a_foreign_origin_is_refused(settings):
    settings.ALLOWED_HOSTS = ["localhost"]
    cashier = await user("cashier")
    _, connected, _ = await connect(cashier, origin=(b"origin", b"http://evil.example"))
    assert not connected



async def test_typing_reaches_the_other_followers_of_the_thread_only(settings):
    settings.ALLOWED_HOSTS = ["localhost"]
    cashier, manager = await user("cashier"), await user("manager")
    thread = await database_sync_to_async(services.thread_create)(
        actor=cashier, subject="Float", body="first", participant_ids=[manager.pk])
    typist, _, _ = await connect(cashier)
    reader, _, _ = await connect(manager)
    await typist.send_json_to({"type": "typing", "thread_id": thread.pk})
    assert (await typist.receive_json_from(timeout=10))["code"] == "not_subscribed"  # follow it first
    for socket in (typist, reader):
        await socket.send_json_to({"type": "subscribe", "thread_id": thread.pk})
        assert await socket.receive_json_from(timeout=10) == {"type": "subscribed", "thread_id": thread.pk}
    await typist.send_json_to({"type": "typing", "thread_id": thread.pk})
    assert await reader.receive_json_from(timeout=10) == {"type": "message.typing", "thread_id": thread.pk,
                                                          "user_id": cashier.pk}
    assert await typist.receive_nothing(timeout=0.3)  # never echoed to the typist
    await typist.disconnect()
    await reader.disconnect()


async def test_one_person_cannot_flood_by_opening_more_sockets(settings):
    settings.ALLOWED_HOSTS = ["localhost"]
    settings.SOCKET_RATE_LIMIT = (6, 60)  # each socket's own limit (RATE_LIMIT) is far above this
    cashier = await user("cashier")
    first, _, _ = await connect(cashier)
    second, _, _ = await connect(cashier)
    for socket in (first, first, first, first, second, second):
        await socket.send_json_to({"type": "ping"})
        assert await socket.receive_json_from(timeout=10) == {"type": "pong"}
    await second.send_json_to({"type": "ping"})
    assert await second.receive_output(timeout=10) == {"type": "websocket.close", "code": consumers.CLOSE_TOO_MANY}
    await first.disconnect()
    await second.disconnect()
