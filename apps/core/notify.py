"""Telling staff about something that needs them now (a failed end of day, ...).

A notification is an e-mail to every active user holding one of the given roles, plus an audit
event; the console shows the same state on its own pages (badges), so a lost e-mail loses no
information. Sending never raises: the failure it reports matters more than the e-mail.
"""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail

log = logging.getLogger(__name__)


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
        return send_mail(settings.EMAIL_SUBJECT_PREFIX + subject, body, None, recipients)
    except Exception:  # an unreachable mail server must not hide the failure being reported
        log.exception("Could not send the notification %r to %s", subject, recipients)
        return 0
