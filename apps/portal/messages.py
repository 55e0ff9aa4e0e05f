"""The member's messages in the portal: their threads with the credit union, a new message to the
service desk, a thread's page with replies and attachments.

Everything goes through `apps.messaging.services`, the same service the API and the console use:
`threads_visible_to` / `thread_for` decide what a member sees (their own threads only; anything else,
another member's or a staff-only thread, answers 404), `thread_create` puts a member's new thread in
the service-desk queue, `message_post` checks the text (plain, at most 4,000 characters) and the
attachment (PDF, JPEG or PNG up to 5 MB), `mark_read` records what the member has read. Message text
is plain and escaped by the templates; line breaks are kept.

Live: the thread's message list and the inbox list are htmx partials that reload on the websocket's
`live:message.new` DOM event (live.js, loaded by the portal's base for signed-in people), with a poll
as the fallback when the socket is down.
"""

from django import forms
from django.contrib import messages as flash
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from apps.core.roles import Role
from apps.messaging import services
from apps.messaging.models import MAX_BODY_CHARS, MAX_SUBJECT_CHARS, Attachment, Message, Participant

from .banking import member_required

THREADS_PER_PAGE = 20
MAX_SEARCH_CHARS = 100
ATTACHMENT_ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"
SENT_NOTE = "Sent. A member of staff will answer here."
#: The DOM event a reloaded message list raises when it marked messages read (the header's count reloads).
READ_EVENT = "messages-read"


class ReplyForm(forms.Form):
    """The text and the optional file of a message. The limits are the service's (it says what is wrong);
    the widget's maxlength only stops a browser typing past them."""

    body = forms.CharField(label="Your message", required=False, strip=True, widget=forms.Textarea(
        attrs={"rows": 5, "maxlength": MAX_BODY_CHARS}))
    file = forms.FileField(label="Attach a file (optional)", required=False, widget=forms.FileInput(
        attrs={"accept": ATTACHMENT_ACCEPT}), help_text="A PDF, JPEG or PNG file of at most 5 MB.")

    def add_service_errors(self, exc: ValidationError) -> None:
        for field, errors in exc.message_dict.items():
            self.add_error(field if field in self.fields else None, errors)


class NewThreadForm(ReplyForm):
    subject = forms.CharField(label="Subject", required=False, strip=True, widget=forms.TextInput(
        attrs={"maxlength": MAX_SUBJECT_CHARS}))
    field_order = ["subject", "body", "file"]


def member_threads(user, search: str = ""):
    """The member's own threads, newest activity first, those whose subject or any message contains
    `search` when one is given."""
    return services.threads_visible_to(user, search=search).order_by("-last_message_at", "-pk")


def unread_messages(user) -> int:
    """Messages from others in the member's threads that the member has not read yet."""
    if not user.is_authenticated or user.role != Role.CUSTOMER:
        return 0
    return services.unread_total(user)


def _search_term(request) -> str:
    return (request.GET.get("q") or "").strip()[:MAX_SEARCH_CHARS]


def _inbox_context(request) -> dict:
    search = _search_term(request)
    page = Paginator(member_threads(request.user, search), THREADS_PER_PAGE).get_page(request.GET.get("page"))
    threads = list(page.object_list)
    last = {m.pk: m for m in Message.objects.filter(pk__in=[t.last_message_id for t in threads if t.last_message_id])
            .select_related("sender").prefetch_related("attachments")}
    for thread in threads:
        thread.last_message = last.get(thread.last_message_id)
    return {"page": page, "threads": threads, "search": search}


@member_required
@require_GET
def inbox(request):
    return render(request, "portal/messages/inbox.html", _inbox_context(request))


@member_required
@require_GET
def inbox_list(request):
    """The inbox's list alone, for htmx to reload when a message arrives."""
    return render(request, "portal/messages/_thread_list.html", _inbox_context(request))


@member_required
@require_http_methods(["GET", "POST"])
def thread_new(request):
    if request.method == "GET":
        return render(request, "portal/messages/new.html", {"form": NewThreadForm()})
    form = NewThreadForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            # One message with the text, then one with the file: both or neither (a refused file leaves
            # no thread behind, and no notification to the service desk).
            with transaction.atomic():
                thread = services.thread_create(actor=request.user, subject=data["subject"], body=data["body"])
                if data["file"] is not None:
                    services.message_post(actor=request.user, thread_id=thread.pk, file=data["file"])
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            flash.success(request, SENT_NOTE)
            return redirect("portal:thread", pk=thread.pk)
    return render(request, "portal/messages/new.html", {"form": form}, status=422)


def _thread_messages(thread) -> list[Message]:
    return list(Message.objects.filter(thread=thread).select_related("sender").prefetch_related("attachments")
                .order_by("pk"))


def _read_to_last(request, thread, rows: list[Message]) -> None:
    """The member has now seen every message shown: mark the thread read up to the last one."""
    if rows and thread.unread:
        services.mark_read(actor=request.user, thread_id=thread.pk, message_id=rows[-1].pk)
        thread.unread = 0


def _list_context(request, thread) -> dict:
    rows = _thread_messages(thread)
    _read_to_last(request, thread, rows)
    return {"thread": thread, "thread_messages": rows}


def _thread_page(request, thread, form, status=200):
    context = _list_context(request, thread)
    others = (Participant.objects.filter(thread=thread).exclude(user=request.user).select_related("user")
              .order_by("pk"))
    staff = [p.user for p in others if p.user.role != Role.CUSTOMER]
    names = {user.pk: user.get_full_name() or "A member of staff" for user in staff}  # for "… is typing"
    context.update({"form": form, "staff": staff, "participant_names": names})
    return render(request, "portal/messages/thread.html", context, status=status)


@member_required
@require_http_methods(["GET", "POST"])
def thread_detail(request, pk: int):
    thread = services.thread_for(request.user, pk)
    if request.method == "GET":
        return _thread_page(request, thread, ReplyForm())
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            message = services.message_post(actor=request.user, thread_id=thread.pk, body=data["body"],
                                             file=data["file"])
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            flash.success(request, "Sent.")
            return redirect(f"{reverse('portal:thread', args=[thread.pk])}#message-{message.pk}")
    return _thread_page(request, thread, form, status=422)


@member_required
@require_GET
def thread_messages(request, pk: int):
    """The thread's message list alone, for htmx to reload when a message arrives."""
    thread = services.thread_for(request.user, pk)
    had_unread = bool(thread.unread)
    response = render(request, "portal/messages/_message_list.html", _list_context(request, thread))
    if had_unread:  # the header's Messages count goes down with it
        response["HX-Trigger"] = READ_EVENT
    return response


@member_required
@require_GET
def attachment_download(request, pk: int, attachment: int):
    """An attachment of one of the member's threads; 404 for anyone else's. Never a public URL."""
    thread = services.thread_for(request.user, pk)
    found = Attachment.objects.filter(pk=attachment, message__thread=thread).first()
    if found is None:
        raise Http404("No such attachment.")
    response = FileResponse(found.file.open("rb"), as_attachment=True, filename=found.name,
                            content_type=found.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@member_required
@require_GET
def messages_nav(request):
    """The header's Messages entry alone (with the unread count), for htmx to reload."""
    return render(request, "portal/includes/messages_nav.html", {"unread_count": unread_messages(request.user)})
