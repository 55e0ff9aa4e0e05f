"""Threads, messages and notifications ("Messaging, notifications, service desk, jobs" in API.md).

A thread the caller does not take part in answers 404 to everyone, as one that does not exist."""

import json
from datetime import datetime
from typing import Annotated, Literal

from django.http import FileResponse
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import model_validator

from apps.core.apikit.errors import ApiError
from apps.core.apikit.pagination import PageNumber

from . import services
from .models import MAX_BODY_CHARS, MAX_SUBJECT_CHARS, Attachment, Message, Notification

threads_router = Router(tags=["messaging"])
notifications_router = Router(tags=["notifications"])
ROUTERS = [("/threads/", threads_router), ("/notifications/", notifications_router)]

MAX_ID = 2**31 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


# --- schemas -------------------------------------------------------------------------------------

class ParticipantOut(Schema):
    id: int = Field(..., description="The user's id.")
    name: str
    role: str
    last_read_id: int | None

    @staticmethod
    def resolve_id(obj): return obj.user_id
    @staticmethod
    def resolve_name(obj): return obj.user.get_full_name() or obj.user.get_role_display()
    @staticmethod
    def resolve_role(obj): return obj.user.role


class AttachmentOut(Schema):
    id: int
    name: str
    size: int
    content_type: str


class MessageOut(Schema):
    id: int
    thread_id: int
    sender_id: int
    sender_name: str
    body: str = Field(..., description="Plain text: escape it when showing it as HTML.")
    created_at: datetime
    attachments: list[AttachmentOut]

    @staticmethod
    def resolve_sender_name(obj): return obj.sender.get_full_name() or obj.sender.get_role_display()
    @staticmethod
    def resolve_attachments(obj): return list(obj.attachments.all())


class ThreadOut(Schema):
    id: int
    subject: str
    participants: list[ParticipantOut]
    last_message: MessageOut | None
    unread: int = Field(..., description="Messages from others after the caller's last read one.")
    muted: bool = Field(..., description="The caller muted the thread: its unread messages are left out of "
                                         "the caller's unread total.")
    service_desk: bool
    picked_up_by: int | None
    created_at: datetime

    @staticmethod
    def resolve_participants(obj): return list(obj.participants.select_related("user"))
    @staticmethod
    def resolve_picked_up_by(obj): return obj.picked_up_by_id

    @staticmethod
    def resolve_last_message(obj):
        if not obj.last_message_id:
            return None
        return (Message.objects.select_related("sender").prefetch_related("attachments")
                .filter(pk=obj.last_message_id).first())


class ThreadIn(Schema):
    subject: str = Field(..., min_length=1, max_length=MAX_SUBJECT_CHARS)
    body: str = Field(..., min_length=1, max_length=MAX_BODY_CHARS)
    participant_ids: list[Id] = Field(default_factory=list, max_length=services.MAX_PARTICIPANTS,
                                       description="Staff only: the other participants' user ids.")


class ReadIn(Schema):
    message_id: int = Field(..., ge=1, le=MAX_ID)


class ReadOut(Schema):
    thread_id: int
    last_read_id: int | None
    unread: int


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    link: str
    created_at: datetime
    read_at: datetime | None


class NotificationsReadIn(Schema):
    ids: list[Id] | None = Field(None, max_length=1000)
    all: bool = False

    @model_validator(mode="after")
    def one_of(self):
        if not self.all and not self.ids:
            raise ValueError("Send the notification ids, or all: true.")
        return self


class NotificationsReadOut(Schema):
    marked: int
    unread: int


class ThreadFilters(Schema):
    queue: Literal["service_desk"] | None = Field(
        None, description="service_desk (cashier, manager, operations manager): members' threads nobody has "
                          "picked up.")
    search: str = Field("", max_length=100, description="Own threads whose subject or any message's text "
                                                        "contains these words (case-insensitive).")


class MuteIn(Schema):
    muted: bool


class NotificationFilters(Schema):
    unread: bool = False


# --- threads -------------------------------------------------------------------------------------

def _thread_out(user, thread_id: int):
    return services.thread_for(user, thread_id)


@threads_router.get("/", response=list[ThreadOut], summary="Own threads, or the service-desk queue")
@paginate(PageNumber)
def thread_list(request, filters: Query[ThreadFilters]):
    if filters.queue == "service_desk":
        return services.service_desk_queue(request.user).order_by("created_at", "pk")
    return services.threads_visible_to(request.user, search=filters.search).order_by("-last_message_at", "-pk")


@threads_router.post("/", response={201: ThreadOut}, summary="Start a thread (a member's goes to the service desk)")
def thread_create(request, payload: ThreadIn):
    thread = services.thread_create(actor=request.user, subject=payload.subject, body=payload.body,
                                    participant_ids=payload.participant_ids)
    return Status(201, _thread_out(request.user, thread.pk))


@threads_router.post("/{int:thread_id}/pick-up/", response=ThreadOut,
                     summary="Take a member's thread from the service-desk queue")
def thread_pick_up(request, thread_id: int):
    services.thread_pick_up(actor=request.user, thread_id=thread_id)
    return _thread_out(request.user, thread_id)


@threads_router.post("/{int:thread_id}/mute/", response=ThreadOut,
                     summary="Mute or unmute an own thread (a muted thread's messages leave the unread total)")
def thread_mute(request, thread_id: int, payload: MuteIn):
    services.thread_mute(actor=request.user, thread_id=thread_id, muted=payload.muted)
    return _thread_out(request.user, thread_id)


@threads_router.get("/{int:thread_id}/messages/", response=list[MessageOut], summary="Messages, newest first")
@paginate(PageNumber)
def message_list(request, thread_id: int):
    thread = services.thread_for(request.user, thread_id)
    return (Message.objects.filter(thread=thread).select_related("sender").prefetch_related("attachments")
            .order_by("-pk"))


MESSAGE_BODY = {"responses": {"400": {"description": "A multipart body the server could not read."}},
    "requestBody": {"required": True, "content": {
    "application/json": {"schema": {"type": "object", "required": ["body"], "properties": {
        "body": {"type": "string", "minLength": 1, "maxLength": MAX_BODY_CHARS}}}},
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
        "body": {"type": "string", "maxLength": MAX_BODY_CHARS},
        "file": {"type": "string", "format": "binary", "description": "PDF, JPEG or PNG, at most 5 MB."}}}},
}}}


@threads_router.post("/{int:thread_id}/messages/", response={201: MessageOut}, openapi_extra=MESSAGE_BODY,
                     summary="Post a message: JSON {body}, or multipart with a file (and an optional body)")
def message_post(request, thread_id: int):
    services.thread_for(request.user, thread_id)
    content_type = request.content_type or ""
    file = None
    if content_type.startswith("multipart/form-data"):
        body = request.POST.get("body", "")
        files = request.FILES.getlist("file")
        if len(files) != 1:
            raise ApiError(422, "invalid", "file: Attach exactly one file.",
                           errors=[{"field": "file", "message": "Attach exactly one file."}])
        file = files[0]
    else:
        try:
            data = json.loads(request.body or b"null")
        except (ValueError, UnicodeDecodeError):
            raise ApiError(422, "malformed_json", "The request body is not valid JSON.") from None
        body = data.get("body") if isinstance(data, dict) else None
        if not isinstance(body, str):
            raise ApiError(422, "invalid", "body: This field is required.",
                           errors=[{"field": "body", "message": "This field is required."}])
    message = services.message_post(actor=request.user, thread_id=thread_id, body=body, file=file)
    return Status(201, Message.objects.select_related("sender").prefetch_related("attachments").get(pk=message.pk))


@threads_router.post("/{int:thread_id}/read/", response=ReadOut, summary="Mark the thread read up to a message")
def thread_read(request, thread_id: int, payload: ReadIn):
    services.thread_for(request.user, thread_id)
    participant = services.mark_read(actor=request.user, thread_id=thread_id, message_id=payload.message_id)
    thread = services.thread_for(request.user, thread_id)
    return {"thread_id": thread_id, "last_read_id": participant.last_read_id, "unread": thread.unread}


@threads_router.get("/{int:thread_id}/attachments/{int:attachment_id}/", response={200: None},
                    summary="Download an attachment (participants only)")
def attachment_download(request, thread_id: int, attachment_id: int):
    thread = services.thread_for(request.user, thread_id)
    attachment = Attachment.objects.filter(pk=attachment_id, message__thread=thread).first()
    if attachment is None:
        raise ApiError(404, "not_found", "Not found.")
    response = FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.name,
                            content_type=attachment.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- notifications -------------------------------------------------------------------------------

@notifications_router.get("/", response=list[NotificationOut], summary="Own notifications, newest first")
@paginate(PageNumber)
def notification_list(request, filters: Query[NotificationFilters]):
    rows = Notification.objects.filter(user=request.user).order_by("-pk")
    return rows.filter(read_at__isnull=True) if filters.unread else rows


@notifications_router.post("/read/", response=NotificationsReadOut, summary="Mark own notifications read")
def notifications_read(request, payload: NotificationsReadIn):
    marked = services.notifications_mark_read(actor=request.user, ids=payload.ids, all_=payload.all)
    unread = Notification.objects.filter(user=request.user, read_at__isnull=True).count()
    return {"marked": marked, "unread": unread}


# --- notification preferences --------------------------------------------------------------------

class PreferenceOut(Schema):
    kind: str
    label: str
    description: str
    email: bool = Field(..., description="Also sent by e-mail (the person's choice, else the kind's default).")
    sms: bool = Field(..., description="Also sent by text message.")
    email_default: bool
    sms_default: bool
    chosen: bool = Field(..., description="False while the kind follows its defaults.")


class PreferenceIn(Schema):
    kind: str = Field(..., min_length=1, max_length=64)
    email: bool
    sms: bool


@notifications_router.get("/preferences/", response=list[PreferenceOut],
                          summary="How each kind of notification the caller can receive reaches them")
def preference_list(request):
    return services.preferences_for(request.user)


@notifications_router.put("/preferences/", response=PreferenceOut,
                          summary="Choose whether one kind also comes by e-mail and by text message")
def preference_set(request, payload: PreferenceIn):
    services.preference_set(actor=request.user, kind=payload.kind, email=payload.email, sms=payload.sms)
    return next(row for row in services.preferences_for(request.user) if row["kind"] == payload.kind)
