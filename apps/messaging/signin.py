"""A sign-in from a device the person has not used before: tell them (kind `users.new_device`).

Connected to Django's `user_logged_in` in MessagingConfig.ready (users must not import messaging), after
users' own receiver has recorded the sign-in as a `UserActivity` row with its address and user agent.
A device is the browser, system and device family of the user agent (versions left out, so an updated
browser is the same device) seen from the same network (the /24 of an IPv4 address, the /48 of an
IPv6 one). The first sign-in of an account has nothing to compare with and tells nobody.
"""

import ipaddress
import logging

from django.urls import reverse

from apps.core.roles import Role
from apps.users.models import UserActivity
from apps.users.request_info import client_ip, user_agent

log = logging.getLogger(__name__)

RECENT_SIGN_INS = 200  # how far back a device is remembered (sign-ins)


def network(ip: str | None) -> str:
    if not ip:
        return ""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ""
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def device_family(agent: str) -> str:
    """"Chrome / Linux / Other" for any Chrome on Linux; the user agent without its numbers otherwise."""
    agent = (agent or "").strip()
    if not agent:
        return ""
    try:
        from ua_parser import parse  # django-qsessions' user-agent parser (its session list uses it)

        parsed = parse(agent)
    except Exception:  # an agent the parser chokes on is compared as text
        parsed = None
    parts = [getattr(getattr(parsed, name, None), "family", "") for name in ("user_agent", "os", "device")]
    if any(parts):
        return " / ".join(part or "Other" for part in parts)
    return "".join("#" if ch.isdigit() else ch for ch in agent)[:200]


def device_of(ip: str | None, agent: str) -> tuple[str, str]:
    return device_family(agent), network(ip)


def is_new_device(user, ip: str | None, agent: str) -> bool:
    """Whether no earlier sign-in of `user` (the latest one is this one) came from this device."""
    earlier = list(UserActivity.objects.filter(user=user, event=UserActivity.Event.LOGIN)
                   .order_by("-created_at", "-pk").values_list("ip_address", "user_agent")[1:RECENT_SIGN_INS + 1])
    if not earlier:
        return False
    this = device_of(ip, agent)
    return all(device_of(seen_ip, seen_agent) != this for seen_ip, seen_agent in earlier)


def on_sign_in(sender, request, user, **kwargs):
    """user_logged_in: notify the person when the device is new to them. Never stops the sign-in."""
    from .services import notify

    try:
        ip, agent = client_ip(request), user_agent(request)
        if not is_new_device(user, ip, agent):
            return
        family = device_family(agent) or "an unknown device"
        link = reverse("portal:sessions") if user.role == Role.CUSTOMER else reverse("admin:my_sessions")
        notify(user, "users.new_device", "Signed in from a new device",
               f"Someone signed in to your account from {family} at {ip or 'an unknown address'}. If this was "
               f"not you, sign that session out and change your password now.", link=link)
    except Exception:
        log.exception("Could not check the sign-in of user %s for a new device", getattr(user, "pk", None))
