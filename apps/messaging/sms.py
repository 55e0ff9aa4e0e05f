"""Text messages (SMS) for notifications, through a backend chosen by `settings.SMS_BACKEND`.

`settings.SMS_BACKEND` is the dotted path of a `SmsBackend` subclass. The default,
`apps.messaging.sms.LoggingSmsBackend`, sends nothing: it writes one log line per message (the number
and the first characters of the text): the default for development, trial runs and the tests.

A real gateway plugs in as a subclass that implements `send_messages`:

    class HubtelSmsBackend(SmsBackend):
        def send_messages(self, messages):
            sent = 0
            for message in messages:
                response = requests.post(GATEWAY_URL, timeout=10, auth=(settings.SMS_USER, settings.SMS_KEY),
                                         json={"to": message.to, "content": message.text})
                sent += response.ok
            return sent

then `SMS_BACKEND = "myproject.sms.HubtelSmsBackend"` in the settings (read from the environment in
production). A backend may raise: `send_sms` logs the failure and reports 0 sent, so a gateway that is
down never stops the action that raised the notification.
"""

import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)

DEFAULT_BACKEND = "apps.messaging.sms.LoggingSmsBackend"
MAX_SMS_CHARS = 459  # three concatenated 153-character parts


@dataclass(frozen=True)
class SmsMessage:
    to: str  # the number as the person gave it, e.g. "024 412 3456" or "+233 24 412 3456"
    text: str


class SmsBackend(ABC):
    """The interface every SMS backend implements."""

    @abstractmethod
    def send_messages(self, messages: list[SmsMessage]) -> int:
        """Send each message; return how many were accepted by the gateway."""


class LoggingSmsBackend(SmsBackend):
    """Sends nothing: logs where each message would go and how it starts."""

    def send_messages(self, messages: list[SmsMessage]) -> int:
        for message in messages:
            log.info("SMS to %s: %s", message.to, message.text[:40])
        return len(messages)


def get_backend() -> SmsBackend:
    return import_string(getattr(settings, "SMS_BACKEND", DEFAULT_BACKEND))()


def send_sms(to: str, text: str) -> int:
    """Send one text message; 1 when the backend took it, 0 when there is no number or sending failed
    (logged, never raised)."""
    to = (to or "").strip()
    if not to:
        return 0
    text = " ".join((text or "").split())
    if len(text) > MAX_SMS_CHARS:
        text = text[:MAX_SMS_CHARS - 1] + "…"
    try:
        return get_backend().send_messages([SmsMessage(to=to, text=text)])
    except Exception:  # a gateway that is down loses the text message only: the notification is saved
        log.exception("Could not send an SMS to %s", to)
        return 0
