"""The one websocket, `/ws/`: live events for the signed-in user.

On connect the socket joins the user's group (`user-<id>`): own notifications, new messages in own
threads, own jobs. `{"type": "subscribe", "thread_id": N}` follows one thread's reads after a
participant check (anyone else: closed with 4403); `{"type": "unsubscribe", "thread_id": N}` stops.
`{"type": "typing", "thread_id": N}` on a followed thread tells its other followers
(`message.typing` with the thread and user ids; never echoed to the typist).
Nothing sent by the client is trusted as an identity: the user is the connection's. Each connection
may send at most RATE_LIMIT frames per RATE_WINDOW seconds, and each person at most
settings.SOCKET_RATE_LIMIT over all their sockets together (`services.socket_frame_allowed`), or the
socket is closed with 4429; a frame is at most MAX_FRAME_BYTES (else 4413)."""

import json
import time
from collections import deque

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from . import services

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_TOO_BIG = 4413
CLOSE_TOO_MANY = 4429
CLOSE_BAD_FRAME = 4400

MAX_FRAME_BYTES = 2048
RATE_LIMIT = 20
RATE_WINDOW = 10.0
MAX_SUBSCRIPTIONS = 50


class LiveConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        self.groups_joined: set[str] = set()
        self.frames: deque[float] = deque()
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user = user
        await self._join(services.user_group(user.pk))
        await self.accept()

    async def disconnect(self, code):
        for group in list(getattr(self, "groups_joined", ())):
            await self.channel_layer.group_discard(group, self.channel_name)
        self.groups_joined = set()

    async def _join(self, group: str):
        await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined.add(group)

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        now = time.monotonic()
        self.frames.append(now)
        while self.frames and now - self.frames[0] > RATE_WINDOW:
            self.frames.popleft()
        if len(self.frames) > RATE_LIMIT or not await database_sync_to_async(services.socket_frame_allowed)(
                self.user.pk):
            await self.close(code=CLOSE_TOO_MANY)
            return
        size = len(text_data.encode()) if text_data is not None else len(bytes_data or b"")
        if size > MAX_FRAME_BYTES:
            await self.close(code=CLOSE_TOO_BIG)
            return
        if text_data is None:
            await self.close(code=CLOSE_BAD_FRAME)
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            await self.send_json({"type": "error", "code": "malformed_json"})
            return
        await self.receive_json(content)

    async def receive_json(self, content, **kwargs):
        kind = content.get("type") if isinstance(content, dict) else None
        if kind in ("subscribe", "unsubscribe", "typing"):
            thread_id = content.get("thread_id")
            if not isinstance(thread_id, int) or isinstance(thread_id, bool) or not 0 < thread_id < 2**31:
                await self.send_json({"type": "error", "code": "invalid", "detail": "thread_id must be an id."})
                return
            group = services.thread_group(thread_id)
            if kind == "typing":
                await self._typing(group, thread_id)
                return
            if kind == "unsubscribe":
                if group in self.groups_joined:
                    await self.channel_layer.group_discard(group, self.channel_name)
                    self.groups_joined.discard(group)
                return
            if not await database_sync_to_async(services.is_participant)(self.user, thread_id):
                await self.close(code=CLOSE_FORBIDDEN)
                return
            if len(self.groups_joined) > MAX_SUBSCRIPTIONS:
                await self.send_json({"type": "error", "code": "too_many_subscriptions"})
                return
            await self._join(group)
            await self.send_json({"type": "subscribed", "thread_id": thread_id})
        elif kind == "ping":
            await self.send_json({"type": "pong"})
        else:
            await self.send_json({"type": "error", "code": "unknown_type"})

    async def _typing(self, group: str, thread_id: int):
        """Only a follower of the thread (subscribed, so checked as a participant) may say they type."""
        if group not in self.groups_joined:
            await self.send_json({"type": "error", "code": "not_subscribed",
                                  "detail": "Subscribe to the thread before typing in it."})
            return
        await self.channel_layer.group_send(group, {"type": "message.typing", "thread_id": thread_id,
                                                    "user_id": self.user.pk})

    async def message_typing(self, event):
        if event.get("user_id") != self.user.pk:
            await self.send_json(event)

    # Group events, forwarded as they are: {type, ...ids}.
    async def message_new(self, event):
        await self.send_json(event)

    async def message_read(self, event):
        await self.send_json(event)

    async def notification_new(self, event):
        await self.send_json(event)

    async def job_progress(self, event):
        await self.send_json(event)
