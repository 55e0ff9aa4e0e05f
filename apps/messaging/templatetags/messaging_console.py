"""Template helpers of the console's messaging screens.

- `{% notification_bell %}`: the header's bell with the user's unread notification count (drawn by the
  `unfold/helpers/userlinks.html` override in templates/, on every console page).
- `|local_link`: a notification's link when it is a page of this site, else "" (no other scheme or host
  ever becomes a link).
"""

from django import template
from django.utils.http import url_has_allowed_host_and_scheme

from .. import services

register = template.Library()


@register.inclusion_tag("messaging/bell.html", takes_context=True)
def notification_bell(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    return {"count": services.notifications_unread(user) if user is not None else 0}


@register.filter
def local_link(value: str) -> str:
    value = value or ""
    if value.startswith("/") and url_has_allowed_host_and_scheme(value, allowed_hosts=None):
        return value
    return ""
