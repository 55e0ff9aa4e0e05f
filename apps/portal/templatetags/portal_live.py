"""The portal header's live pieces for a signed-in member: the notification bell and the Messages entry,
each with its unread count (rendered with the page, then reloaded by htmx on live events)."""

from django import template

from ..messages import unread_messages
from ..notifications import unread_notifications

register = template.Library()


@register.inclusion_tag("portal/includes/notification_bell.html", takes_context=True)
def notification_bell(context):
    return {"notification_count": unread_notifications(context["request"].user)}


@register.inclusion_tag("portal/includes/messages_nav.html", takes_context=True)
def messages_nav(context):
    return {"unread_count": unread_messages(context["request"].user)}


@register.inclusion_tag("portal/includes/notices_banner.html", takes_context=True)
def notices_banner(context):
    """The live, current notices for the viewer's audience (apps/portal/notices.py)."""
    from ..notices import current_notices

    request = context.get("request")
    return {"notices": list(current_notices(getattr(request, "user", None))[:3])}
