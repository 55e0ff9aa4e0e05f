"""The service desk in the staff console: the queue (overdue first, filters by kind, status and
assignee), a request's page with its notes, history and attachments, and the actions that move it on,
all through the services (a request's status is never edited as a field); the complaints register as
CSV for compliance."""

import csv

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from unfold.admin import ModelAdmin
from unfold.decorators import action, display
from unfold.enums import ActionVariant
from unfold.forms import BaseDialogForm
from unfold.widgets import UnfoldAdminSelectWidget, UnfoldAdminTextareaWidget, UnfoldBooleanSwitchWidget

from apps.core.admin_mixins import action_done, error_messages
from apps.core.money import money_cell

from . import services
from .models import CLOSED, ServiceLevel, ServiceRequest, Status

SERVICE_ERRORS = (ValidationError, PermissionDenied, services.ServiceDeskRefused, Http404)
STATUS_COLOURS = {"Open": "info", "In progress": "primary", "Waiting for the member": "warning",
                  "Resolved": "success", "Rejected": "danger"}


def open_badge(request) -> str:
    """The sidebar's badge: overdue requests, else open ones."""
    overdue = services.overdue_count()
    if overdue:
        return f"{overdue} late"
    count = services.open_count()
    return str(count) if count else ""


class TransitionDialogForm(BaseDialogForm):
    status = forms.ChoiceField(label="Move to", widget=UnfoldAdminSelectWidget,
                               choices=[(s.value, s.label) for s in Status if s != Status.OPEN])
    note = forms.CharField(label="Note for the member", required=False, max_length=4000,
                           widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}),
                           help_text="Required unless you are only taking it up.")
    outcome = forms.CharField(label="Complaint outcome", required=False, max_length=255,
                              widget=UnfoldAdminTextareaWidget(attrs={"rows": 2}),
                              help_text="A complaint: the outcome the regulator sees (the note if left empty).")


class AssignDialogForm(BaseDialogForm):
    assignee = forms.ModelChoiceField(label="Give it to", queryset=get_user_model().objects.none(),
                                      widget=UnfoldAdminSelectWidget)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = get_user_model().objects.filter(
            is_active=True, role__in=services.DESK_ROLES).order_by("first_name", "last_name", "email")


class NoteDialogForm(BaseDialogForm):
    text = forms.CharField(label="Note", max_length=4000, widget=UnfoldAdminTextareaWidget(attrs={"rows": 4}))
    internal = forms.BooleanField(label="Internal (staff only)", required=False, initial=True,
                                  widget=UnfoldBooleanSwitchWidget)


class ConfirmDialogForm(BaseDialogForm):
    """Nothing to fill in: the decision is the POST."""


class ReasonDialogForm(BaseDialogForm):
    reason = forms.CharField(label="Reason", max_length=4000, widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}))


class OverdueFilter(admin.SimpleListFilter):
    title = "due"
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return (("overdue", "Overdue"), ("open", "Open (not closed)"))

    def queryset(self, request, queryset):
        if self.value() == "overdue":
            return queryset.exclude(status__in=CLOSED).filter(due_by__lt=timezone.now())
        if self.value() == "open":
            return queryset.exclude(status__in=CLOSED)
        return queryset


@admin.register(ServiceRequest)
class ServiceRequestAdmin(ModelAdmin):
    list_display = ("reference", "due_display", "kind", "subject", "member_name", "status_badge", "assignee",
                    "created_at")
    list_display_links = ("reference", "subject")
    list_filter = (OverdueFilter, "kind", "status", ("assigned_to", admin.RelatedOnlyFieldListFilter), "channel")
    search_fields = ("reference", "subject", "member__member_number", "member__last_name", "member__first_name")
    search_help_text = "Reference, subject, member number or name."
    list_select_related = ("member", "assigned_to")
    fieldsets = (
        ("Request", {"fields": ("reference", "kind", "status_badge", "member_name", "subject", "body_text",
                                "account", "amount_display", "changes_display", "channel", "created_at", "due_by",
                                "assignee", "resolved_at")}),
        ("Refund", {"fields": ("refund_state", "refund_requested_by", "refund_approved_by", "refund_transaction")}),
        ("Complaint (regulator's fields)", {"fields": ("complaint_category", "date_received", "date_resolved",
                                                       "outcome")}),
        ("Notes, attachments and history", {"fields": ("notes_display", "attachments_display", "history_display")}),
    )
    readonly_fields = ("reference", "kind", "status_badge", "member_name", "subject", "body_text", "account",
                       "amount_display", "changes_display", "channel", "created_at", "due_by", "assignee",
                       "resolved_at", "refund_state", "refund_requested_by", "refund_approved_by",
                       "refund_transaction", "complaint_category", "date_received", "date_resolved", "outcome",
                       "notes_display", "attachments_display", "history_display")
    actions_detail = ["transition", "assign", "add_note", "approve_refund", "refuse_refund"]
    actions_list = ["complaints_csv"]

    def get_urls(self):
        download = self.admin_site.admin_view(self.attachment_download)
        return [path("<int:request_id>/attachments/<int:attachment_id>/", download,
                     name="servicedesk_attachment_download"), *super().get_urls()]

    def attachment_download(self, request, request_id, attachment_id):
        """The permission-checked download: staff of the service desk only (others: 404)."""
        if not services.is_desk(request.user):
            raise Http404("No such attachment.")
        attachment = services.attachment_for(request.user, request_id, attachment_id)
        response = FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.name,
                                content_type=attachment.content_type)
        response["X-Content-Type-Options"] = "nosniff"
        return response

    def get_queryset(self, request):
        return services.requests_visible_to(request.user)

    def get_ordering(self, request):
        return ("-is_overdue", "is_closed", "due_by", "-pk")

    def has_module_permission(self, request):
        return services.is_desk(request.user)

    def has_view_permission(self, request, obj=None):
        return services.is_desk(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    # --- permissions of the actions ---

    def _open(self, request, object_id) -> bool:
        if not services.is_desk(request.user):
            return False
        if object_id is None:
            return True
        return ServiceRequest.objects.filter(pk=object_id).exclude(status__in=CLOSED).exists()

    def has_transition_permission(self, request, object_id=None):
        return self._open(request, object_id)

    def has_assign_permission(self, request, object_id=None):
        return self._open(request, object_id)

    def has_add_note_permission(self, request, object_id=None):
        return self._open(request, object_id)

    def _refund_waiting(self, request, object_id) -> bool:
        if not request.user.has_perm("servicedesk.approve_refund"):
            return False
        if object_id is None:
            return True
        return ServiceRequest.objects.filter(pk=object_id, refund_state=ServiceRequest.RefundState.WAITING).exclude(
            refund_requested_by=request.user).exists()

    def has_approve_refund_permission(self, request, object_id=None):
        return self._refund_waiting(request, object_id)

    def has_refuse_refund_permission(self, request, object_id=None):
        return self._refund_waiting(request, object_id)

    def has_complaints_csv_permission(self, request):
        return services.is_desk(request.user)

    # --- actions ---

    def _run(self, request, object_id, func, success, **kwargs):
        url = reverse("admin:servicedesk_servicerequest_change", args=[object_id])
        try:
            req = services.request_for(request.user, object_id)
            func(actor=request.user, request=req, **kwargs)
        except SERVICE_ERRORS as exc:
            for message in error_messages(exc):
                messages.error(request, message)
        else:
            messages.success(request, success)
        return action_done(request, url)

    @action(description="Change status", icon="swap_horiz", permissions=["transition"],
            dialog={"title": "Move the request on", "description": "The member is told, with your note.",
                    "form_class": TransitionDialogForm, "form_submit_text": "Save"})
    def transition(self, request, form, object_id):
        data = form.cleaned_data
        label = Status(data["status"]).label.lower()
        return self._run(request, object_id, services.request_transition, f"Request moved to {label}.",
                         status=data["status"], note=data["note"], outcome=data["outcome"])

    @action(description="Assign", icon="person_add", permissions=["assign"],
            dialog={"title": "Assign the request", "description": "They are told it is theirs.",
                    "form_class": AssignDialogForm, "form_submit_text": "Assign"})
    def assign(self, request, form, object_id):
        assignee = form.cleaned_data["assignee"]
        return self._run(request, object_id, services.request_assign,
                         f"Assigned to {assignee.get_full_name() or assignee.email}.", assignee=assignee)

    @action(description="Add a note", icon="note_add", permissions=["add_note"],
            dialog={"title": "Add a note", "description": "An internal note is for staff only; any other note "
                                                          "is shown to the member.",
                    "form_class": NoteDialogForm, "form_submit_text": "Add"})
    def add_note(self, request, form, object_id):
        return self._run(request, object_id, services.note_add, "Note added.", text=form.cleaned_data["text"],
                         internal=form.cleaned_data["internal"])

    @action(description="Approve refund", icon="check", permissions=["approve_refund"],
            variant=ActionVariant.SUCCESS,
            dialog={"title": "Approve the refund", "description": "The amount is paid into the member's account "
                                                                 "now, and the request is resolved.",
                    "form_class": ConfirmDialogForm, "form_submit_text": "Approve and pay"})
    def approve_refund(self, request, form, object_id):
        return self._run(request, object_id, services.refund_approve, "Refund approved and paid.")

    @action(description="Refuse refund", icon="close", permissions=["refuse_refund"], variant=ActionVariant.DANGER,
            dialog={"title": "Refuse the refund", "description": "Nothing is paid; the request stays open.",
                    "form_class": ReasonDialogForm, "form_submit_text": "Refuse"})
    def refuse_refund(self, request, form, object_id):
        return self._run(request, object_id, services.refund_reject, "Refund refused.",
                         reason=form.cleaned_data["reason"])

    @action(description="Complaints register (CSV)", icon="download", url_path="complaints-csv",
            permissions=["complaints_csv"])
    def complaints_csv(self, request):
        rows = services.complaints_export(actor=request.user, request=request)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="complaints-{timezone.localdate():%Y-%m-%d}.csv"'
        response["Cache-Control"] = "no-store"
        csv.writer(response).writerows(rows)
        return response

    # --- columns ---

    @display(description="Due by", ordering="due_by")
    def due_display(self, obj):
        due = timezone.localtime(obj.due_by).strftime("%d %b %Y %H:%M")
        if getattr(obj, "is_overdue", obj.overdue):
            return format_html('<span class="font-semibold text-red-600">{} (late)</span>', due)
        return due

    @display(description="Status", label=STATUS_COLOURS, ordering="status")
    def status_badge(self, obj):
        return obj.get_status_display()

    @display(description="Member", ordering="member__last_name")
    def member_name(self, obj):
        return f"{obj.member.full_name} ({obj.member.member_number})"

    @display(description="Assigned to")
    def assignee(self, obj):
        user = obj.assigned_to
        return (user.get_full_name() or user.email) if user else "—"

    @display(description="Details")
    def body_text(self, obj):
        return format_html('<div class="whitespace-pre-line">{}</div>', obj.body)

    @display(description="Amount")
    def amount_display(self, obj):
        return money_cell(obj.amount) if obj.amount is not None else "—"

    @display(description="Changes asked for")
    def changes_display(self, obj):
        if not obj.changes:
            return "—"
        return format_html_join("", "<div>{}: {}</div>",
                                ((services.CHANGE_FIELDS.get(k, (k,))[0], v) for k, v in obj.changes.items()))

    @display(description="Notes")
    def notes_display(self, obj):
        notes = obj.notes.select_related("author")
        if not notes:
            return "No notes yet."
        return format_html_join("", '<div class="mb-2"><strong>{}</strong> · {} · {}<div class="whitespace-pre-line">'
                                    '{}</div></div>',
                                ((n.author.get_full_name() or n.author.email,
                                  timezone.localtime(n.created_at).strftime("%d %b %Y %H:%M"),
                                  "internal" if n.internal else "shown to the member", n.text) for n in notes))

    @display(description="Attachments")
    def attachments_display(self, obj):
        files = list(obj.attachments.all())
        if not files:
            return "None."
        return format_html_join("", '<div><a class="underline" href="{}">{}</a> ({} KB)</div>',
                                ((reverse("admin:servicedesk_attachment_download", args=[obj.pk, a.pk]), a.name,
                                  max(1, a.size // 1024)) for a in files))

    @display(description="History")
    def history_display(self, obj):
        return format_html_join("", "<div>{} · {} · {} → {}{}</div>",
                                ((timezone.localtime(h.created_at).strftime("%d %b %Y %H:%M"),
                                  h.actor.get_full_name() or h.actor.email,
                                  Status(h.from_status).label if h.from_status else "new",
                                  Status(h.to_status).label, f": {h.note}" if h.note else "")
                                 for h in obj.history.select_related("actor")))


@admin.register(ServiceLevel)
class ServiceLevelAdmin(ModelAdmin):
    list_display = ("kind", "days", "working_days")
