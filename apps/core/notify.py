"""Telling staff about something that needs them now (a failed end of day, ...).

A notification is an e-mail to every active user holding one of the given roles; the console shows
the same state on its own pages (badges), so a lost e-mail loses no information. Sending never
raises: the failure it reports matters more than the e-mail.

Each kind of notification is registered by the app that sends it, from its AppConfig.ready():

    register_notification_kind("eod.step_failed", "End of day stopped",
                               roles=(Role.OPERATIONS_MANAGER, Role.ADMIN))

and sent with `notify("eod.step_failed", subject=..., body=...)`, which reaches the kind's roles.
The registry says what can be sent to whom (for a list of kinds people may choose from later); it
knows no app.
"""

import logging
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.mail import send_mail

from .institution import institution

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NotificationKind:
    code: str
    label: str
    roles: tuple[str, ...]  # who receives it
    description: str = ""


NOTIFICATION_KINDS: dict[str, NotificationKind] = {}


def register_notification_kind(code: str, label: str, *, roles=(), description: str = "") -> NotificationKind:
    kind = NotificationKind(code=code, label=label, roles=tuple(roles), description=description)
    NOTIFICATION_KINDS[code] = kind
    return kind


def notify(code: str, *, subject: str, body: str) -> int:
    """Send a registered kind of notification to its roles (KeyError for a kind nobody registered)."""
    return notify_roles(NOTIFICATION_KINDS[code].roles, subject=subject, body=body)


def staff_with_roles(roles) -> list[str]:
    return list(get_user_model().objects.filter(role__in=roles, is_active=True).exclude(email="")
                .order_by("email").values_list("email", flat=True))


def notify_roles(roles, *, subject: str, body: str) -> int:
    """E-mail everyone active in `roles`; returns how many were sent (0 when sending failed)."""
    recipients = staff_with_roles(roles)
    if not recipients:
        log.warning("No one to notify (%s): %s", ", ".join(roles), subject)
        return 0
    try:
        return send_mail(f"[{institution().short_name}] {subject}", body, None, recipients)
    except Exception:  # an unreachable mail server must not hide the failure being reported
        log.exception("Could not send the notification %r to %s", subject, recipients)
        return 0
