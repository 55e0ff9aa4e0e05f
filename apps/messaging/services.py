"""Threads, messages, read receipts, the service-desk queue and notifications.

Every write is one atomic block; live events (`message.new`, `message.read`, `notification.new`) go
through the channel layer only after the commit (`transaction.on_commit`), carrying ids and small
payloads, to per-user groups (`user-<id>`) and per-thread groups (`thread-<id>`). A refusal is a
`ValidationError` (bad input, 422), `PermissionDenied` (403), `Http404` (not a thread the caller is
in), `MessagingRefused` (a rule, 409) or `MessagingRateLimited` (too many messages, 429); nothing is
stored when one is raised.

Notifications: `notify` is the one way to tell people (bell row, live event, e-mail and SMS per each
person's `NotificationPreference`, else the kind's defaults); `preferences_for` and `preference_set`
read and choose those preferences.
"""

import logging
import os
import time
from functools import partial

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mass_mail
from django.db import IntegrityError, transaction
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from apps.core import notify as registry
from apps.core.errors import RuleRefused
from apps.core.institution import institution
from apps.core.roles import Role
from apps.core.text import has_control_characters

from . import sms
from .models import (
    MAX_ATTACHMENT_BYTES,
    MAX_BODY_CHARS,
    MAX_SUBJECT_CHARS,
    Attachment,
    Message,
    Notification,
    NotificationPreference,
    Participant,
    Thread,
)

log = logging.getLogger(__name__)

SERVICE_DESK_ROLES = (Role.CASHIER, Role.MANAGER, Role.OPERATIONS_MANAGER)
MAX_PARTICIPANTS = 50
# The first bytes of each accepted kind of file: the name alone does not decide it.
ATTACHMENT_TYPES = {
    "application/pdf": ((b"%PDF-",), (".pdf",)),
    "image/jpeg": ((b"\xff\xd8\xff",), (".jpg", ".jpeg")),
    "image/png": ((b"\x89PNG\r\n\x1a\n",), (".png",)),
}


class MessagingRefused(RuleRefused):
    status = 409


class MessagingRateLimited(MessagingRefused):
    status = 429


def _count_in_window(name: str, user_id: int, seconds: int) -> tuple[int, int]:
    """Add one to the person's count for `name` in the current window of `seconds`, kept in Django's
    cache so every process shares it when the cache is shared (Redis). Returns (count, seconds left)."""
    window = int(time.time() // seconds)
    key = f"{name}:{user_id}:{window}"
    cache.add(key, 0, timeout=seconds + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # the window's key expired between add and incr
        cache.set(key, 1, timeout=seconds + 5)
        count = 1
    return count, max(1, int((window + 1) * seconds - time.time()) + 1)


def _rate_limit_check(actor) -> None:
    """At most `settings.MESSAGING_RATE_LIMIT` = (messages, seconds) new threads and messages per person
    in each window of that many seconds (30 in 60 by default). Over it: MessagingRateLimited (429)."""
    limit, seconds = getattr(settings, "MESSAGING_RATE_LIMIT", (30, 60))
    count, wait = _count_in_window("messaging-rate", actor.pk, seconds)
    if count > limit:
        raise MessagingRateLimited(
            "rate_limited", f"You are sending messages too quickly: at most {limit} in {seconds} seconds. "
                            f"Wait {wait} seconds, then send it again.")


def socket_frame_allowed(user_id: int) -> bool:
    """Frames one person may send over all their live sockets together: `settings.SOCKET_RATE_LIMIT` =
    (frames, seconds), 60 in 10 s by default (each socket also has its own, smaller limit)."""
    limit, seconds = getattr(settings, "SOCKET_RATE_LIMIT", (60, 10))
    count, _ = _count_in_window("socket-rate", user_id, seconds)
    return count <= limit


def user_group(user_id: int) -> str:
    return f"user-{user_id}"


def thread_group(thread_id: int) -> str:
    return f"thread-{thread_id}"


def _send_after_commit(sends: list[tuple[str, dict]]) -> None:
    """Send each (group, event) through the channel layer once the surrounding transaction commits (at
    once when none is open). One commit callback and one event loop for them all: from a sync worker,
    every `async_to_sync` call starts a new loop with a new Redis connection, which made a notification
    to a role of 1,000 people take seconds (bench/messaging.py). A layer that cannot be reached loses
    the live events only: the rows are saved, and the pages poll."""
    if not sends:
        return

    async def send_all(layer):
        for group, event in sends:
            try:
                await layer.group_send(group, event)
            except Exception:
                log.exception("Could not send %s to %s", event.get("type"), group)

    def send():
        layer = get_channel_layer()
        if layer is None:
            return
        try:
            async_to_sync(send_all)(layer)
        except Exception:  # e.g. called from a thread that runs an event loop: the rows stand, the pages poll
            log.exception("Could not send %d live events", len(sends))

    transaction.on_commit(send)


# --- reading -------------------------------------------------------------------------------------

def threads_visible_to(user, search: str = "") -> QuerySet:
    """The threads `user` takes part in, with `unread` (messages from others after their last read),
    `last_message_id` and `muted` (the user's own mute). A member sees only their own threads; anyone
    else's answers as missing. `search` keeps the threads whose subject or any message's text contains
    it (case-insensitive)."""
    if not user.is_authenticated or not user.is_active:
        return Thread.objects.none()
    mine = Participant.objects.filter(thread=OuterRef("thread"), user=user)
    unread = (Message.objects.filter(thread=OuterRef("pk")).exclude(sender=user)
              .filter(pk__gt=Coalesce(Subquery(mine.values("last_read_id")[:1]), Value(0)))
              .order_by().values("thread").annotate(n=Count("pk")).values("n"))
    last = Message.objects.filter(thread=OuterRef("pk")).order_by("-pk").values("pk")[:1]
    muted = Participant.objects.filter(thread=OuterRef("pk"), user=user).values("muted")[:1]
    threads = (Thread.objects.filter(participants__user=user)
               .annotate(unread=Coalesce(Subquery(unread, output_field=IntegerField()), Value(0)),
                         last_message_id=Subquery(last, output_field=IntegerField()),
                         muted=Coalesce(Subquery(muted, output_field=BooleanField()), Value(False))))
    search = (search or "").strip()
    if search:
        said = Message.objects.filter(thread=OuterRef("pk"), body__icontains=search)
        threads = threads.filter(Q(subject__icontains=search) | Exists(said))
    return threads


def unread_total(user) -> int:
    """Messages from others the user has not read yet, in the threads they have not muted (the Inbox
    badge). A muted thread keeps its own unread count but adds nothing here."""
    if not user.is_authenticated or not user.is_active:
        return 0
    # One filter() call: the participant conditions and the F() share one join to the user's row.
    return (Message.objects.filter(thread__participants__user=user, thread__participants__muted=False,
                                   pk__gt=Coalesce(F("thread__participants__last_read_id"), Value(0)))
            .exclude(sender=user).count())


def notifications_unread(user) -> int:
    """How many of the user's notifications are unread (the bell's count)."""
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def service_desk_queue(user) -> QuerySet:
    """Members' threads nobody has picked up yet (cashiers, managers, operations managers)."""
    if user.role not in SERVICE_DESK_ROLES:
        raise PermissionDenied("Only cashiers, managers and operations managers work the service-desk queue.")
    last = Message.objects.filter(thread=OuterRef("pk")).order_by("-pk").values("pk")[:1]
    unread = Message.objects.filter(thread=OuterRef("pk")).order_by().values("thread").annotate(
        n=Count("pk")).values("n")
    return (Thread.objects.filter(service_desk=True, picked_up_by__isnull=True)
            .annotate(unread=Coalesce(Subquery(unread, output_field=IntegerField()), Value(0)),
                      last_message_id=Subquery(last, output_field=IntegerField()),
                      muted=Value(False, output_field=BooleanField())))


def thread_for(user, thread_id: int) -> Thread:
    """A thread `user` takes part in, or Http404 (missing and not-yours answer alike)."""
    thread = threads_visible_to(user).filter(pk=thread_id).first()
    if thread is None:
        raise Http404("No such thread.")
    return thread


def is_participant(user, thread_id: int) -> bool:
    return bool(user and user.is_authenticated and user.is_active
                and Participant.objects.filter(thread_id=thread_id, user=user).exists())


# --- writing -------------------------------------------------------------------------------------

def _clean_text(field: str, value: str, *, limit: int, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError({field: "This field is required."})
    if len(value) > limit:
        raise ValidationError({field: f"At most {limit} characters ({len(value)} given)."})
    if has_control_characters(value):
        raise ValidationError({field: "Remove the control characters from this text."})
    return value


def check_attachment(file) -> tuple[str, str]:
    """(content type, clean name) of an acceptable attachment: PDF, JPEG or PNG by its first bytes and its
    name, from 1 byte to 5 MB. ValidationError otherwise."""
    size = getattr(file, "size", 0) or 0
    if size <= 0 or size > MAX_ATTACHMENT_BYTES:
        raise ValidationError({"file": f"The file must be between 1 byte and 5 MB ({size:,} bytes given)."})
    name = os.path.basename((getattr(file, "name", "") or "").replace("\\", "/"))[-150:] or "attachment"
    if has_control_characters(name):
        raise ValidationError({"file": "The file name contains control characters."})
    file.seek(0)
    head = file.read(16)
    file.seek(0)
    for content_type, (magics, suffixes) in ATTACHMENT_TYPES.items():
        if name.lower().endswith(suffixes) and head.startswith(magics):
            return content_type, name
    raise ValidationError({"file": "Attach a PDF, JPEG or PNG file."})


def _post(*, thread: Thread, sender, body: str, file=None, checked=None) -> Message:
    message = Message.objects.create(thread=thread, sender=sender, body=body)
    if file is not None:
        content_type, name = checked
        Attachment.objects.create(message=message, file=file, name=name, size=file.size, content_type=content_type)
    Thread.objects.filter(pk=thread.pk).update(last_message_at=message.created_at)
    Participant.objects.filter(thread=thread, user=sender).update(last_read=message)
    recipients = list(Participant.objects.filter(thread=thread).values_list("user_id", flat=True))
    event = {"type": "message.new", "thread_id": thread.pk, "message_id": message.pk, "sender_id": sender.pk}
    _send_after_commit([(user_group(user_id), event) for user_id in recipients])
    return message


def thread_create(*, actor, subject: str, body: str, participant_ids=()) -> Thread:
    """Start a thread with a first message. Staff name the other participants (staff or members); a
    member's thread has only the member and goes to the service-desk queue."""
    subject = _clean_text("subject", subject, limit=MAX_SUBJECT_CHARS, required=True)
    body = _clean_text("body", body, limit=MAX_BODY_CHARS, required=True)
    ids = set(participant_ids or ())
    service_desk = actor.role == Role.CUSTOMER
    if service_desk and ids - {actor.pk}:
        raise ValidationError({"participant_ids": "Members cannot choose participants: the service desk answers."})
    ids.discard(actor.pk)
    if not service_desk:
        if not ids:
            raise ValidationError({"participant_ids": "Name at least one other participant."})
        if len(ids) > MAX_PARTICIPANTS:
            raise ValidationError({"participant_ids": f"At most {MAX_PARTICIPANTS} participants."})
        found = set(get_user_model().objects.filter(pk__in=ids, is_active=True).values_list("pk", flat=True))
        if found != ids:
            missing = ", ".join(str(i) for i in sorted(ids - found))
            raise ValidationError({"participant_ids": f"No active user with id {missing}."})
    _rate_limit_check(actor)
    with transaction.atomic():
        thread = Thread.objects.create(subject=subject, created_by=actor, service_desk=service_desk)
        Participant.objects.bulk_create([Participant(thread=thread, user_id=uid)
                                         for uid in [actor.pk, *sorted(ids)]])
        _post(thread=thread, sender=actor, body=body)
        if service_desk:
            for role in SERVICE_DESK_ROLES:
                notify(role, "service_desk.thread_new", f"New message from {actor.get_full_name() or 'a member'}",
                       subject, link=reverse("admin:messaging_service_desk"))
    return thread


def message_post(*, actor, thread_id: int, body: str = "", file=None) -> Message:
    """Post to a thread the actor takes part in; the sender is always the actor. A body up to
    MAX_BODY_CHARS, an optional PDF/JPEG/PNG attachment up to 5 MB; at least one of the two."""
    body = _clean_text("body", body, limit=MAX_BODY_CHARS, required=file is None)
    checked = check_attachment(file) if file is not None else None
    _rate_limit_check(actor)
    with transaction.atomic():
        thread = Thread.objects.select_for_update().filter(pk=thread_id, participants__user=actor).first()
        if thread is None or not actor.is_active:
            raise Http404("No such thread.")
        return _post(thread=thread, sender=actor, body=body, file=file, checked=checked)


def mark_read(*, actor, thread_id: int, message_id: int) -> Participant:
    """Mark the thread read up to `message_id` (a message of that thread); the mark never moves back."""
    with transaction.atomic():
        participant = (Participant.objects.select_for_update()
                       .filter(thread_id=thread_id, user=actor).first())
        if participant is None:
            raise Http404("No such thread.")
        if not Message.objects.filter(pk=message_id, thread_id=thread_id).exists():
            raise ValidationError({"message_id": f"Thread {thread_id} has no message {message_id}."})
        if participant.last_read_id is None or participant.last_read_id < message_id:
            participant.last_read_id = message_id
            participant.save(update_fields=["last_read"])
            event = {"type": "message.read", "thread_id": thread_id, "user_id": actor.pk, "message_id": message_id}
            _send_after_commit([(thread_group(thread_id), event)])
    return participant


def thread_pick_up(*, actor, thread_id: int) -> Thread:
    """Take a member's thread from the service-desk queue: the caller becomes a participant. Once."""
    if actor.role not in SERVICE_DESK_ROLES:
        raise PermissionDenied("Only cashiers, managers and operations managers pick up members' threads.")
    with transaction.atomic():
        thread = Thread.objects.select_for_update().filter(pk=thread_id, service_desk=True).first()
        if thread is None:
            raise Http404("No such thread.")
        if thread.picked_up_by_id is not None:
            raise MessagingRefused("already_picked_up", "Someone has already picked this thread up.")
        thread.picked_up_by, thread.picked_up_at = actor, timezone.now()
        thread.save(update_fields=["picked_up_by", "picked_up_at"])
        Participant.objects.get_or_create(thread=thread, user=actor)
        notify(thread.created_by, "service_desk.picked_up", f"{actor.get_full_name() or 'Staff'} is answering",
               thread.subject, link=reverse("portal:thread", args=[thread.pk]))
    return thread


def thread_mute(*, actor, thread_id: int, muted: bool) -> Participant:
    with transaction.atomic():
        updated = Participant.objects.filter(thread_id=thread_id, user=actor).update(muted=muted)
        if not updated:
            raise Http404("No such thread.")
    return Participant.objects.get(thread_id=thread_id, user=actor)


# --- notifications -------------------------------------------------------------------------------

def _recipients(recipient) -> list:
    """The active users `recipient` names: a user, a role, or a list of roles and users."""
    many = recipient if isinstance(recipient, (list, tuple, set, frozenset)) else [recipient]
    roles = [r for r in many if isinstance(r, str)]
    unknown = [r for r in roles if r not in Role.values]
    if unknown:
        raise ValueError(f"Unknown role {unknown[0]!r}.")
    users = {u.pk: u for u in many if not isinstance(u, str) and u is not None and u.is_active}
    if roles:
        users.update({u.pk: u for u in get_user_model().objects.filter(is_active=True, role__in=roles)})
    return [users[pk] for pk in sorted(users)]


def phone_for(user) -> str:
    """The number to text: the user's own, else the one on their member profile (members' phone)."""
    member = getattr(user, "member", None)  # the members app's profile (Member.user), if there is one
    return (getattr(user, "phone_number", "") or getattr(member, "phone", "") or "").strip()


def _absolute(link: str) -> str:
    if link.startswith("/"):
        return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + link
    return link


def notify(recipient, kind: str, title: str, body: str = "", link: str = "", *, key: str = "") -> list[Notification]:
    """Tell people about something: `recipient` a user, a role (every active holder), or a list of roles
    and users (`kind.roles` reaches everyone the kind is for). `kind` must be registered with
    apps.core.notify.register_notification_kind (KeyError otherwise).

    Makes one Notification row (the bell) per person and, after the commit, sends `notification.new` to
    each person's group and, per each person's preference (else the kind's default), an e-mail (Django's
    e-mail backend) and an SMS (apps/messaging/sms.py). Neither an unreachable mail server nor an SMS
    gateway makes this raise: the row is saved and the failure logged. `link` is the page where the person
    acts (a path; e-mails carry it in full). With a `key` ("instalment-42") a person who already has a
    notification of this kind and key is not told again: a re-run end of day notifies nobody twice."""
    registered = registry.NOTIFICATION_KINDS[kind]
    users = _recipients(recipient)
    key = key[:100]
    if key and users:
        told = set(Notification.objects.filter(kind=kind, key=key, user__in=users).values_list("user_id", flat=True))
        users = [u for u in users if u.pk not in told]
    if not users:
        return []
    title, link = title[:200], link[:500]
    try:
        with transaction.atomic():
            rows = Notification.objects.bulk_create(
                [Notification(user=user, kind=kind, title=title, body=body, link=link, key=key) for user in users])
    except IntegrityError:
        if not key:
            raise
        return []  # the same keyed notification, raised at the same moment elsewhere: told once
    if rows[0].pk is None:  # databases that do not return ids from a bulk insert
        rows = list(Notification.objects.filter(user__in=users, kind=kind, title=title).order_by("-pk")[:len(users)])
    _send_after_commit([(user_group(row.user_id), {"type": "notification.new", "id": row.pk, "kind": kind,
                                                   "title": title}) for row in rows])
    chosen = {p.user_id: p for p in NotificationPreference.objects.filter(kind=kind, user__in=users)}
    by_email, by_sms = [], []
    for user in users:
        preference = chosen.get(user.pk)
        if (preference.email if preference else registered.email_default) and user.email:
            by_email.append(user.email)
        if preference.sms if preference else registered.sms_default:
            phone = phone_for(user)
            if phone:
                by_sms.append(phone)
    if by_email:
        transaction.on_commit(partial(_email, by_email, title, body, _absolute(link)))
    if by_sms:
        transaction.on_commit(partial(_sms, by_sms, title))
    return rows


def _email(recipients: list[str], title: str, body: str, link: str) -> None:
    """One e-mail per person (nobody sees who else was told)."""
    subject = f"[{institution().short_name}] {title}"
    text = "\n\n".join(part for part in (body.strip(), f"Open: {link}" if link else "") if part) or title
    try:
        send_mass_mail([(subject, text + "\n", None, [address]) for address in recipients], fail_silently=False)
    except Exception:  # an unreachable mail server loses the e-mail only: the notification is saved
        log.exception("Could not e-mail the notification %r to %d people", title, len(recipients))


def _sms(numbers: list[str], title: str) -> None:
    """The title only, no link: members are taught that their credit union never texts them links."""
    text = f"{institution().short_name}: {title}"
    for number in numbers:
        sms.send_sms(number, text)


# --- notification preferences --------------------------------------------------------------------

def preferences_for(user) -> list[dict]:
    """Every kind a person of `user`'s role can receive, with how they hear about it now: `email` and
    `sms` (their choice, else the kind's default) and whether that is their own choice (`chosen`)."""
    kinds = registry.kinds_for_role(user.role)
    chosen = {p.kind: p for p in NotificationPreference.objects.filter(user=user, kind__in=[k.code for k in kinds])}
    rows = []
    for kind in kinds:
        preference = chosen.get(kind.code)
        rows.append({"kind": kind.code, "label": kind.label, "description": kind.description,
                     "email": preference.email if preference else kind.email_default,
                     "sms": preference.sms if preference else kind.sms_default,
                     "email_default": kind.email_default, "sms_default": kind.sms_default,
                     "chosen": preference is not None})
    return rows


def preference_set(*, actor, kind: str, email: bool, sms: bool) -> NotificationPreference:
    """Choose whether one kind of notification also comes by e-mail and by SMS (the bell always shows it).
    Only the kinds of the actor's role: a member chooses only the notifications members receive."""
    registered = registry.NOTIFICATION_KINDS.get(kind)
    if registered is None:
        raise ValidationError({"kind": f"There is no kind of notification called “{kind[:64]}”."})
    if actor.role not in registered.roles:
        if actor.role == Role.CUSTOMER:
            raise ValidationError({"kind": f"“{registered.label}” is for staff: members cannot choose it."})
        raise ValidationError({"kind": f"“{registered.label}” is not sent to {Role(actor.role).label.lower()}s."})
    if sms and not phone_for(actor):
        raise ValidationError({"sms": "We have no phone number for you: ask the credit union to add one, then "
                                      "turn text messages on."})
    with transaction.atomic():
        preference, _ = NotificationPreference.objects.update_or_create(
            user=actor, kind=kind, defaults={"email": bool(email), "sms": bool(sms)})
    return preference


def notifications_mark_read(*, actor, ids=None, all_: bool = False) -> int:
    """Mark own notifications read (the given ids, or all); others' ids are ignored. Returns how many."""
    mine = Notification.objects.filter(user=actor, read_at__isnull=True)
    if not all_:
        mine = mine.filter(pk__in=list(ids or ()))
    with transaction.atomic():
        return mine.update(read_at=timezone.now())

