"""The member's service requests in the portal: the list at `/my/requests/`, a new request (a statement, a
cheque book, a card, a change of address, phone or next of kin, a complaint, a refund, anything else),
and a request's page with its status, due-by time, the credit union's public notes, its history and
attachments, where the member adds a note or a file.

Everything goes through `apps.servicedesk.services`, the same services the API and the console use:
`requests_visible_to` / `request_for` decide what a member sees (their own requests only; another
member's answers 404), `request_create` checks every field and the attachment (PDF, JPEG or PNG up to
5 MB) and stores nothing when one is wrong; internal notes never reach these pages."""

from django import forms
from django.contrib import messages as flash
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from apps.ledger.selectors import accounts_visible_to
from apps.servicedesk import services
from apps.servicedesk.models import MAX_BODY_CHARS, MAX_NOTE_CHARS, MAX_SUBJECT_CHARS, Kind

from .banking import member_required

ATTACHMENT_ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"
REQUESTS_PER_PAGE = 20


class RequestForm(forms.Form):
    kind = forms.ChoiceField(label="What do you need?", choices=Kind.choices)
    subject = forms.CharField(label="Subject", required=False, strip=True,
                              widget=forms.TextInput(attrs={"maxlength": MAX_SUBJECT_CHARS}))
    body = forms.CharField(label="Details", required=False, strip=True,
                           widget=forms.Textarea(attrs={"rows": 5, "maxlength": MAX_BODY_CHARS}))
    account = forms.ChoiceField(label="Account (if it is about one)", required=False)
    amount = forms.CharField(label="Refund amount (GH₵)", required=False, strip=True,
                             help_text="Only for a refund: how much should be paid back.")
    category = forms.ChoiceField(label="Complaint about", required=False,
                                 choices=[("", "—"), *services.COMPLAINT_CATEGORIES.items()])
    address = forms.CharField(label="New address", required=False, strip=True,
                              widget=forms.Textarea(attrs={"rows": 2}))
    phone = forms.CharField(label="New phone number", required=False, strip=True)
    next_of_kin_name = forms.CharField(label="Next of kin's name", required=False, strip=True)
    next_of_kin_phone = forms.CharField(label="Next of kin's phone", required=False, strip=True)
    next_of_kin_relationship = forms.CharField(label="Next of kin's relationship", required=False, strip=True)
    file = forms.FileField(label="Attach a file (optional)", required=False,
                           widget=forms.FileInput(attrs={"accept": ATTACHMENT_ACCEPT}),
                           help_text="A PDF, JPEG or PNG file of at most 5 MB.")

    def __init__(self, *args, accounts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = [("", "—"), *((a.pk, f"{a.product.name} {a.account_number}")
                                                         for a in accounts)]

    def add_service_errors(self, exc: ValidationError) -> None:
        names = {"account_id": "account", "amount": "amount", "category": "category", "file": "file",
                 "subject": "subject", "body": "body", "kind": "kind"}
        for field, errors in exc.message_dict.items():
            target = names.get(field) or (field.split(".", 1)[1] if field.startswith("changes.") else None)
            if field == "changes":
                target = "address"
            self.add_error(target if target in self.fields else None, errors)


class NoteForm(forms.Form):
    text = forms.CharField(label="Add a note", required=False, strip=True,
                           widget=forms.Textarea(attrs={"rows": 3, "maxlength": MAX_NOTE_CHARS}))
    file = forms.FileField(label="Attach a file (optional)", required=False,
                           widget=forms.FileInput(attrs={"accept": ATTACHMENT_ACCEPT}),
                           help_text="A PDF, JPEG or PNG file of at most 5 MB.")


def _accounts(user):
    return accounts_visible_to(user).order_by("product__name", "account_number")


@member_required
@require_GET
def request_list(request):
    rows = services.requests_visible_to(request.user).order_by("-created_at", "-pk")
    page = Paginator(rows, REQUESTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "portal/requests/list.html", {"page": page})


@member_required
@require_http_methods(["GET", "POST"])
def request_new(request):
    accounts = _accounts(request.user)
    if request.method == "GET":
        return render(request, "portal/requests/new.html",
                      {"form": RequestForm(accounts=accounts, initial={"kind": request.GET.get("kind", "")})})
    form = RequestForm(request.POST, request.FILES, accounts=accounts)
    if form.is_valid():
        data = form.cleaned_data
        kind = data["kind"]
        changes = {name: data[name] for name in services.CHANGE_FIELDS if data.get(name)}
        try:
            with transaction.atomic():
                req = services.request_create(
                    actor=request.user, kind=kind, subject=data["subject"], body=data["body"],
                    account_id=data["account"] or None, amount=data["amount"] or None, changes=changes or None,
                    category=data["category"], channel="portal", files=[data["file"]] if data["file"] else [])
        except ValidationError as exc:
            form.add_service_errors(exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            flash.success(request, f"Request {req.reference} sent. We aim to deal with it by "
                                   f"{timezone.localtime(req.due_by):%d %b %Y}.")
            return redirect("portal:request", pk=req.pk)
    return render(request, "portal/requests/new.html", {"form": form}, status=422)


def _detail(request, req, form, status=200):
    return render(request, "portal/requests/detail.html", {
        "req": req, "notes": services.public_notes(req), "history": req.history.all(),
        "attachments": req.attachments.all(), "form": form,
        "changes": [(services.CHANGE_FIELDS[k][0], v) for k, v in req.changes.items() if k in services.CHANGE_FIELDS],
    }, status=status)


@member_required
@require_http_methods(["GET", "POST"])
def request_detail(request, pk: int):
    req = services.request_for(request.user, pk)
    if request.method == "GET":
        return _detail(request, req, NoteForm())
    form = NoteForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        if not data["text"] and not data["file"]:
            form.add_error("text", "Write a note or attach a file.")
        else:
            try:
                with transaction.atomic():
                    if data["text"]:
                        services.note_add(actor=request.user, request=req, text=data["text"])
                    if data["file"]:
                        services.attachment_add(actor=request.user, request=req, file=data["file"])
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            except services.ServiceDeskRefused as exc:
                form.add_error(None, exc.message)
            else:
                flash.success(request, "Added to your request.")
                return redirect("portal:request", pk=req.pk)
    return _detail(request, req, form, status=422)


@member_required
@require_GET
def request_status(request, pk: int):
    """The request's status alone, for htmx to redraw when a notification arrives (staff moved it on)."""
    return render(request, "portal/requests/_status.html", {"req": services.request_for(request.user, pk)})


@member_required
@require_GET
def attachment_download(request, pk: int, attachment: int):
    """A file on one of the member's own requests; 404 for anyone else's. Never a public URL."""
    found = services.attachment_for(request.user, pk, attachment)
    response = FileResponse(found.file.open("rb"), as_attachment=True, filename=found.name,
                            content_type=found.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response
