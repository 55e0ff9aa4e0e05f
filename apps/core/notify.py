"""The kinds of notification the apps raise: a registry, filled from each app's AppConfig.ready().

Core only keeps the list (core imports no app); telling people is `apps.messaging.services.notify`,
which makes the bell row, sends the live event and, per each person's preferences, the e-mail and the
SMS. An app registers each kind it raises:

    register_notification_kind("eod.step_failed", "End of day stopped",
                               roles=(Role.OPERATIONS_MANAGER, Role.ADMIN), email_default=True,
                               description="An end-of-day step failed; ...")

- `roles`: who receives the kind: `notify(kind.roles, kind.code, ...)` reaches them all, and only a
  person holding one of these roles may choose how they hear about it (the notification settings
  pages list a person the kinds of their role). A kind for members names `Role.CUSTOMER`.
- `email_default` / `sms_default`: whether the kind also goes by e-mail / SMS for someone who has not
  chosen (no `NotificationPreference` row). Urgent kinds (a stopped end of day, a sign-in from a new
  device) e-mail by default; the bell row is always made.
"""

from dataclasses import dataclass

from .roles import Role


@dataclass(frozen=True)
class NotificationKind:
    code: str
    label: str
    roles: tuple[str, ...]  # who receives it, and who may choose how
    description: str = ""
    email_default: bool = False
    sms_default: bool = False

    @property
    def for_members(self) -> bool:
        return Role.CUSTOMER in self.roles


NOTIFICATION_KINDS: dict[str, NotificationKind] = {}


def register_notification_kind(code: str, label: str, *, roles=(), description: str = "",
                               email_default: bool = False, sms_default: bool = False) -> NotificationKind:
    unknown = [role for role in roles if role not in Role.values]
    if unknown:
        raise ValueError(f"Notification kind {code!r} names unknown roles: {', '.join(map(str, unknown))}.")
    kind = NotificationKind(code=code, label=label, roles=tuple(roles), description=description,
                            email_default=email_default, sms_default=sms_default)
    NOTIFICATION_KINDS[code] = kind
    return kind


def kinds_for_role(role: str) -> list[NotificationKind]:
    """The kinds a person holding `role` can receive (and choose how), by label."""
    return sorted((kind for kind in NOTIFICATION_KINDS.values() if role in kind.roles), key=lambda k: k.label)
