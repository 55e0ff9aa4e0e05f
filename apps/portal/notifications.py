"""The member's notifications in the portal: the bell in the header (unread count, live on the websocket's
`live:notification.new` DOM event with a poll as the fallback), the list page, marking read.

Notifications are the messaging app's (`Notification` rows made by `services.notify`); marking read goes
through `services.notifications_mark_read`, which touches only the member's own rows.
"""

import re

from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from apps.core.roles import Role
from apps.messaging import services
from apps.messaging.models import Notification

from .banking import member_required

PER_PAGE = 25
# A notification about a thread names the thread's API address; in the portal it opens the thread's page.
API_THREAD = re.compile(r"^/api/threads/(\d+)(?:/messages)?/?$")
# Addresses a member cannot open from the portal: the staff console, the CMS, the JSON API.
STAFF_ONLY = ("/admin/", "/cms/", "/api/")


def unread_notifications(user) -> int:
    if not user.is_authenticated or user.role != Role.CUSTOMER:
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def portal_link(link: str) -> str:
    """Where a notification takes a member in the portal, or "" when it names no page they can open
    (another site, a console page, an address that is not a path)."""
    link = (link or "").strip()
    thread = API_THREAD.match(link)
    if thread:
        return reverse("portal:thread", args=[int(thread.group(1))])
    if not link.startswith("/") or link.startswith(STAFF_ONLY):
        return ""
    return link if url_has_allowed_host_and_scheme(link, allowed_hosts=None) else ""


@member_required
@require_GET
def notification_list(request):
    rows = Notification.objects.filter(user=request.user).order_by("-pk")
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    for row in page.object_list:
        row.portal_link = portal_link(row.link)
    return render(request, "portal/notifications.html", {
        "page": page, "unread": unread_notifications(request.user)})


@member_required
@require_POST
def notifications_read(request):
    """Mark one notification (`id`) or all of them (`all`) read, then back to the list."""
    if request.POST.get("all"):
        services.notifications_mark_read(actor=request.user, all_=True)
    else:
        ids = [int(i) for i in request.POST.getlist("id") if i.isdigit()]
        services.notifications_mark_read(actor=request.user, ids=ids)
    target = reverse("portal:notifications")
    page = request.POST.get("page", "")
    return redirect(f"{target}?page={page}" if page.isdigit() else target)


@member_required
@require_GET
def notification_bell(request):
    """The bell alone, for htmx to reload when a notification arrives."""
    return render(request, "portal/includes/notification_bell.html",
                  {"notification_count": unread_notifications(request.user)})
