"""The staff console's messaging pages: the inbox, a thread with its composer, a new conversation, the
service-desk queue, the notifications list, the header's bell and the sidebar's live badges.

Every page is mounted by `MessagingConfig.ready` through `register_admin_urls` (see `admin_urls`) and
wrapped in the admin site's `admin_view`: signed-in staff only (a member is sent to the console's sign-in
page, like anyone else without a console session). Reads and writes go through `services`; a thread the
user does not take part in answers 404, as one that does not exist.

Live updates: the pages' htmx elements refresh on the `live:<type>` DOM events of
`static/messaging/live.js` and poll on their own when the socket is down (`<body data-live="down">`);
`static/messaging/console.js` keeps the sidebar's badges current (`sidebar_badges`).
"""

from collections import defaultdict
from urllib.parse import quote as urlquote

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import OuterRef, Subquery
from django.http import FileResponse, Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.core import sidebar
from apps.core.admin_mixins import add_service_error
from apps.core.errors import RuleRefused

from . import services
from .forms import ComposerForm, NewThreadForm
from .models import Attachment, Message, Notification, Participant

MESSAGES_PER_PAGE = 50
THREADS_PER_PAGE = 30
NOTIFICATIONS_PER_PAGE = 50
MAX_SEARCH_CHARS = 100
PREVIEW_CHARS = 140
SERVICE_REFUSALS = (ValidationError, PermissionDenied, RuleRefused)


def admin_urls(site):
    """The console's messaging pages, under /admin/ in the "admin" namespace."""
    view = site.admin_view
    return [
        path("messages/", view(inbox), name="messaging_inbox"),
        path("messages/list/", view(inbox_list), name="messaging_inbox_list"),
        path("messages/new/", view(thread_new), name="messaging_thread_new"),
        path("messages/service-desk/", view(service_desk), name="messaging_service_desk"),
        path("messages/<int:thread_id>/", view(thread_page), name="messaging_thread"),
        path("messages/<int:thread_id>/messages/", view(thread_messages), name="messaging_thread_messages"),
        path("messages/<int:thread_id>/pick-up/", view(thread_pick_up), name="messaging_pick_up"),
        path("messages/<int:thread_id>/mute/", view(thread_mute), name="messaging_mute"),
        path("messages/<int:thread_id>/attachments/<int:attachment_id>/", view(attachment_download),
             name="messaging_attachment"),
        path("notifications/", view(notifications), name="messaging_notifications"),
        path("notifications/bell/", view(notification_bell), name="messaging_bell"),
        path("notifications/<int:notification_id>/open/", view(notification_open), name="messaging_notification_open"),
        path("sidebar/badges/", view(sidebar_badges), name="messaging_sidebar_badges"),
    ]


def person(user) -> str:
    return user.get_full_name() or user.email


def _page(request, rows, per_page: int):
    number = request.GET.get("page", "")
    return Paginator(rows, per_page).get_page(number if number.isdigit() else 1)


def _local(url: str) -> bool:
    return bool(url) and url.startswith("/") and url_has_allowed_host_and_scheme(url, allowed_hosts=None)


# --- the inbox -----------------------------------------------------------------------------------

def _search(request) -> str:
    return request.GET.get("q", "").strip()[:MAX_SEARCH_CHARS]


def _inbox_context(request) -> dict:
    user, search = request.user, _search(request)
    threads = services.threads_visible_to(user, search=search).order_by("-last_message_at", "-pk")
    page = _page(request, threads, THREADS_PER_PAGE)
    rows = list(page.object_list)
    last = {m.pk: m for m in Message.objects.filter(pk__in=[t.last_message_id for t in rows if t.last_message_id])
            .select_related("sender")}
    others = defaultdict(list)
    for participant in (Participant.objects.filter(thread__in=rows).exclude(user=user).select_related("user")
                        .order_by("pk")):
        others[participant.thread_id].append(person(participant.user))
    for thread in rows:
        thread.last_message = last.get(thread.last_message_id)
        thread.others = others[thread.pk]
    query = f"q={urlquote(search)}&" if search else ""
    return {"threads": rows, "page": page, "search": search, "unread_total": services.unread_total(user),
            "query": query, "inbox_url": f"{reverse('admin:messaging_inbox')}?{query}page={page.number}"}


@require_GET
def inbox(request):
    context = {**admin.site.each_context(request), "title": "Messages", **_inbox_context(request),
               "can_work_queue": request.user.role in services.SERVICE_DESK_ROLES}
    return render(request, "messaging/inbox.html", context)


@require_GET
def inbox_list(request):
    """The inbox's list alone, for htmx to refresh it when a message arrives."""
    return render(request, "messaging/_inbox_list.html", _inbox_context(request))


@require_POST
def thread_mute(request, thread_id: int):
    muted = request.POST.get("muted") == "1"
    thread = services.thread_for(request.user, thread_id)
    services.thread_mute(actor=request.user, thread_id=thread.pk, muted=muted)
    messages.success(request, f"“{thread.subject}” is muted: its messages no longer count in your unread total."
                     if muted else f"“{thread.subject}” is no longer muted.")
    target = request.POST.get("next", "")
    return HttpResponseRedirect(target if _local(target) else reverse("admin:messaging_thread", args=[thread.pk]))


# --- a thread ------------------------------------------------------------------------------------

def _thread_messages_context(request, thread) -> dict:
    """The messages of one page, oldest first on the page: page 1 is the newest MESSAGES_PER_PAGE, page 2
    the ones before, and so on. Marked read up to the last one shown, with each other participant's read
    receipt under the last message they read."""
    rows = (Message.objects.filter(thread=thread).select_related("sender").prefetch_related("attachments")
            .order_by("-pk"))
    page = _page(request, rows, MESSAGES_PER_PAGE)
    shown = list(reversed(page.object_list))
    mine = Participant.objects.get(thread=thread, user=request.user)
    if shown and (mine.last_read_id is None or mine.last_read_id < shown[-1].pk):
        services.mark_read(actor=request.user, thread_id=thread.pk, message_id=shown[-1].pk)
    by_id = {m.pk: m for m in shown}
    receipts = defaultdict(list)
    participants = list(Participant.objects.filter(thread=thread).select_related("user").order_by("pk"))
    for participant in participants:
        message = by_id.get(participant.last_read_id)
        if participant.user_id == request.user.pk or message is None or message.sender_id == participant.user_id:
            continue
        receipts[message.pk].append(person(participant.user))
    for message in shown:
        message.read_by = receipts.get(message.pk, [])
        message.mine = message.sender_id == request.user.pk
    return {"thread": thread, "thread_messages": shown, "page": page, "participants": participants,
            "live": page.number == 1}


def _thread_page(request, thread, form, *, status=200):
    context = _thread_messages_context(request, thread)  # marks read first: the sidebar then counts it
    context.update(admin.site.each_context(request))
    others = [f"{person(p.user)} ({p.user.get_role_display()})" for p in context["participants"]
              if p.user_id != request.user.pk]
    names = {p.user_id: person(p.user) for p in context["participants"]}  # for "… is typing"
    context.update({"title": thread.subject, "thread": thread, "form": form, "others": others,
                    "participant_names": names})
    return render(request, "messaging/thread.html", context, status=status)


@require_http_methods(["GET", "POST"])
def thread_page(request, thread_id: int):
    thread = services.thread_for(request.user, thread_id)
    if request.method == "GET":
        return _thread_page(request, thread, ComposerForm())
    form = ComposerForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            message = services.message_post(actor=request.user, thread_id=thread.pk,
                                            body=form.cleaned_data["body"] or "", file=form.cleaned_data["file"])
        except SERVICE_REFUSALS as exc:
            add_service_error(form, exc)
        else:
            return HttpResponseRedirect(f"{reverse('admin:messaging_thread', args=[thread.pk])}#message-{message.pk}")
    return _thread_page(request, thread, form, status=422)


@require_GET
def thread_messages(request, thread_id: int):
    """The thread's message list alone, for htmx to refresh it on a new message or a read receipt."""
    thread = services.thread_for(request.user, thread_id)
    return render(request, "messaging/_thread_messages.html", _thread_messages_context(request, thread))


@require_GET
def attachment_download(request, thread_id: int, attachment_id: int):
    """An attachment, to the thread's participants only (404 otherwise): attachments live in private
    storage with no public URL."""
    thread = services.thread_for(request.user, thread_id)
    attachment = Attachment.objects.filter(pk=attachment_id, message__thread=thread).first()
    if attachment is None:
        raise Http404("No such attachment.")
    response = FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.name,
                            content_type=attachment.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_http_methods(["GET", "POST"])
def thread_new(request):
    form = NewThreadForm(request.POST or None, user=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                thread = services.thread_create(actor=request.user, subject=data["subject"], body=data["body"],
                                                participant_ids=[u.pk for u in data["participants"]])
            except SERVICE_REFUSALS as exc:
                add_service_error(form, exc, {"participant_ids": "participants"})
            else:
                return HttpResponseRedirect(reverse("admin:messaging_thread", args=[thread.pk]))
        status = 422
    context = {**admin.site.each_context(request), "title": "New message", "form": form}
    return render(request, "messaging/thread_new.html", context, status=status)


# --- the service desk ----------------------------------------------------------------------------

@require_GET
def service_desk(request):
    """Members' threads nobody has picked up, oldest first (cashiers, managers, operations managers)."""
    earliest = Message.objects.filter(thread=OuterRef("pk")).order_by("pk").values("pk")[:1]
    queue = (services.service_desk_queue(request.user).select_related("created_by")
             .annotate(first_message_id=Subquery(earliest)).order_by("created_at", "pk"))
    page = _page(request, queue, THREADS_PER_PAGE)
    rows = list(page.object_list)
    first = Message.objects.in_bulk([thread.first_message_id for thread in rows if thread.first_message_id])
    for thread in rows:
        thread.first_message = first.get(thread.first_message_id)
    context = {**admin.site.each_context(request), "title": "Service desk", "threads": rows, "page": page}
    return render(request, "messaging/service_desk.html", context)


@require_POST
def thread_pick_up(request, thread_id: int):
    try:
        services.thread_pick_up(actor=request.user, thread_id=thread_id)
    except services.MessagingRefused as exc:
        messages.error(request, exc.message)
        return HttpResponseRedirect(reverse("admin:messaging_service_desk"))
    messages.success(request, "You have picked up this conversation: the member is told you are answering.")
    return HttpResponseRedirect(reverse("admin:messaging_thread", args=[thread_id]))


# --- notifications -------------------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
def notifications(request):
    if request.method == "POST":
        if request.POST.get("all") == "1":
            marked = services.notifications_mark_read(actor=request.user, all_=True)
            messages.success(request, f"Marked {marked} notification{'' if marked == 1 else 's'} read.")
        else:
            ids = [int(value) for value in request.POST.getlist("id") if value.isdigit() and len(value) < 10]
            if not ids:
                messages.error(request, "Choose a notification to mark read.")
            else:
                services.notifications_mark_read(actor=request.user, ids=ids)
        page = request.POST.get("page", "")
        suffix = f"?page={page}" if page.isdigit() else ""
        return HttpResponseRedirect(reverse("admin:messaging_notifications") + suffix)
    rows = Notification.objects.filter(user=request.user).order_by("-pk")
    page = _page(request, rows, NOTIFICATIONS_PER_PAGE)
    context = {**admin.site.each_context(request), "title": "Notifications", "notifications": page.object_list,
               "page": page, "unread": services.notifications_unread(request.user)}
    return render(request, "messaging/notifications.html", context)


@require_GET
def notification_open(request, notification_id: int):
    """Follow a notification's link, marking it read on the way (the link is always a page of this site)."""
    notification = Notification.objects.filter(pk=notification_id, user=request.user).first()
    if notification is None:
        raise Http404("No such notification.")
    services.notifications_mark_read(actor=request.user, ids=[notification.pk])
    link = notification.link if _local(notification.link) else reverse("admin:messaging_notifications")
    return HttpResponseRedirect(link)


@require_GET
def notification_bell(request):
    """The header's bell alone, for htmx to refresh its count."""
    return render(request, "messaging/_bell.html", {"count": services.notifications_unread(request.user)})


# --- the sidebar's badges ------------------------------------------------------------------------

def inbox_badge(request) -> int | None:
    """Unread messages in the user's un-muted threads (the Inbox item's badge)."""
    return services.unread_total(request.user) or None


def service_desk_badge(request) -> int | None:
    """Members' threads waiting for someone to pick them up (the Service desk item's badge)."""
    if request.user.role not in services.SERVICE_DESK_ROLES:
        return None
    return services.service_desk_queue(request.user).count() or None


@require_GET
def sidebar_badges(request):
    """The current badge of every sidebar item that has one and that this user may see (the approvals
    queue, KYC, the service desk, the inbox, ...), for `console.js` to redraw them in place:
    `{"items": [{"title", "link", "badge", "variant"}]}`; `badge` is null when there is nothing to count.
    Items the user may not see are left out, so their counts never reach the page."""
    items = []
    for item in sidebar.ITEMS:
        if item.badge is None or (item.permission is not None and not item.permission(request)):
            continue
        link = sidebar.link_of(item)
        if link is None:
            continue
        value = sidebar.badge_of(item, request)
        items.append({"title": str(item.title), "link": link, "badge": str(value) if value else None,
                      "variant": item.badge_variant or "danger"})
    return JsonResponse({"items": items})

