"""The staff console's member screens: list, profile tabs, KYC review, documents, assignment.

Every write goes through `apps.members.services`; a mobile banker sees and opens only the members
assigned to them (guardian object permissions, through `members_visible_to`).
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV
from simple_history.admin import SimpleHistoryAdmin
from unfold.admin import ModelAdmin, TabularInline
from unfold.contrib.import_export.forms import ExportForm, ImportForm
from unfold.decorators import action, display
from unfold.enums import ActionVariant

from apps.audit.exports import AuditedExportMixin
from apps.audit.services import record
from apps.core.admin_mixins import (
    ReadOnlyHistoryMixin,
    ServiceFormMixin,
    action_done,
    copy_saved,
    error_messages,
)
from apps.core.crypto import blind_index
from apps.core.roles import Role

from . import services
from .forms import AssignBankerForm, KycRejectForm, KycVerifyForm, MemberAdminForm
from .models import GHANA_CARD, Member, MemberDocument, normalise_ghana_card
from .resources import MemberExportResource, MemberImportResource
from .selectors import members_visible_to

KYC_COLOURS = {"Pending": "warning", "Verified": "success", "Rejected": "danger"}
STATUS_COLOURS = {"Active": "success", "Exited": "info"}



def kyc_waiting_badge(request) -> int:
    """Members whose KYC waits for a verifier (the sidebar's "KYC to verify"), among those the user sees."""
    return members_visible_to(request.user).filter(kyc_status=Member.Kyc.PENDING).count()


# Bulk member import (a CSV of many members at once).
IMPORT_ROLES = (Role.OPERATIONS_MANAGER, Role.ADMIN)


class MemberDocumentInline(TabularInline):
    """KYC documents: upload new ones; an uploaded document is evidence and is not edited or deleted."""

    model = MemberDocument
    extra = 0
    tab = True
    can_delete = False
    fields = ("kind", "file", "uploaded_by", "uploaded_at")
    readonly_fields = ("uploaded_by", "uploaded_at")
    verbose_name_plural = "Documents"
    show_on_add = True

    def has_change_permission(self, request, obj=None):
        return False  # existing rows are read-only; new rows are still accepted


@admin.register(Member)
class MemberAdmin(ReadOnlyHistoryMixin, ServiceFormMixin, SimpleHistoryAdmin, AuditedExportMixin, ImportExportMixin,
                  ModelAdmin):
    form = MemberAdminForm
    service_field_map = {"national_id": "national_id_entry"}
    list_display = ("member_number", "name", "phone", "national_id_display", "kyc_badge", "banker",
                    "accounts_count", "status_badge")
    list_display_links = ("member_number", "name")
    list_filter = ("kyc_status", "status", ("assigned_banker", admin.RelatedOnlyFieldListFilter), "created_at")
    search_fields = ("member_number", "first_name", "last_name", "other_names", "phone")
    search_help_text = "Member number, name, phone, or a full Ghana Card number."
    list_select_related = ("assigned_banker",)
    list_per_page = 50
    ordering = ("last_name", "first_name")
    autocomplete_fields = ("user",)
    # Apps further along the dependency arrows (ledger) append their inlines here; members never imports them.
    inlines = [MemberDocumentInline]
    actions_detail = ["verify_kyc", "reject_kyc", "assign_banker"]
    warn_unsaved_form = True

    # import-export: compliance CSV out (masked IDs, audited), new members in (through member_register)
    formats = [CSV]
    export_form_class = ExportForm
    import_form_class = ImportForm

    # --- who sees what -------------------------------------------------------------------

    def get_queryset(self, request):
        return (members_visible_to(request.user)
                .select_related("assigned_banker", "registered_by", "kyc_reviewed_by", "user")
                .annotate(accounts_total=Count("accounts", distinct=True)))

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("No such member, or not one of yours.")
        return obj

    def _is_banker(self, request) -> bool:
        return getattr(request.user, "role", None) == Role.MOBILE_BANKER

    def has_module_permission(self, request):
        return super().has_module_permission(request) or self._is_banker(request)

    def has_view_permission(self, request, obj=None):
        user = request.user
        if user.has_perm("members.view_member") or user.has_perm("members.change_member"):
            return True
        if self._is_banker(request):
            # The list is filtered to their members; a member page needs the object permission.
            return obj is None or user.has_perm("members.view_member", obj)
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # members exit; they are never deleted

    def has_import_permission(self, request):
        return (getattr(request.user, "role", None) in IMPORT_ROLES and request.user.has_perm("members.add_member")
                and super().has_import_permission(request))

    def get_export_resource_classes(self, request):
        return [MemberExportResource]

    def get_import_resource_classes(self, request):
        return [MemberImportResource]

    def get_search_results(self, request, queryset, search_term):
        term = normalise_ghana_card(search_term)
        if GHANA_CARD.match(term):
            return queryset.filter(national_id_index=blind_index(term)), False
        return super().get_search_results(request, queryset, search_term)

    # --- the form --------------------------------------------------------------------------

    def get_fieldsets(self, request, obj=None):
        can_edit = self.has_change_permission(request, obj) if obj else self.has_add_permission(request)
        personal = ["first_name", "other_names", "last_name", "date_of_birth", "occupation", "photo"]
        kyc = ["national_id_entry"] if can_edit else []
        if obj is not None:
            personal = ["member_number", "status_badge", "photo_preview", *personal]
            kyc = ["national_id_masked", *kyc, "kyc_badge", "kyc_reviewer", "kyc_reviewed", "kyc_remarks",
                   "registered_by", "assigned_banker", "created_at"]
        fieldsets = [
            ("Personal", {"classes": ["tab"], "fields": personal}),
            ("Contact", {"classes": ["tab"], "fields": ["phone", "email", "address"]}),
            ("Next of kin", {"classes": ["tab"],
                             "fields": ["next_of_kin_name", "next_of_kin_phone", "next_of_kin_relationship"]}),
            ("KYC", {"classes": ["tab"], "fields": kyc}),
        ]
        if obj is not None:
            fieldsets.append(("Portal login", {"classes": ["tab"], "fields": ["user"]}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        readonly = ["member_number", "status_badge", "photo_preview", "national_id_masked", "kyc_badge",
                    "kyc_reviewer", "kyc_reviewed", "kyc_remarks", "registered_by", "assigned_banker", "created_at"]
        if obj is None or not request.user.has_perm("users.view_user"):
            readonly.append("user")  # linking a portal login is for staff who can look up users
        return readonly

    def get_inlines(self, request, obj):
        inlines = super().get_inlines(request, obj)
        return inlines if obj is not None else [i for i in inlines if getattr(i, "show_on_add", False)]

    # --- list and read-only displays ------------------------------------------------------------

    @display(description="Name", ordering="last_name")
    def name(self, obj):
        return obj.full_name

    @display(description="Ghana Card")
    def national_id_display(self, obj):
        return format_html('<span class="whitespace-nowrap">{}</span>', obj.national_id_masked)

    @display(description="Mobile banker", ordering="assigned_banker__last_name")
    def banker(self, obj):
        banker = obj.assigned_banker
        return (banker.get_full_name() or banker.email) if banker else "—"

    @display(description="Ghana Card number")
    def national_id_masked(self, obj):
        return obj.national_id_masked

    @display(description="KYC reviewed by")
    def kyc_reviewer(self, obj):
        return str(obj.kyc_reviewed_by) if obj.kyc_reviewed_by_id else "—"

    @display(description="KYC reviewed at")
    def kyc_reviewed(self, obj):
        return date_format(timezone.localtime(obj.kyc_reviewed_at), "DATETIME_FORMAT") if obj.kyc_reviewed_at else "—"

    @display(description="KYC note")
    def kyc_remarks(self, obj):
        return obj.kyc_note or "—"

    @display(description="KYC", label=KYC_COLOURS, ordering="kyc_status")
    def kyc_badge(self, obj):
        return obj.get_kyc_status_display()

    @display(description="Status", label=STATUS_COLOURS, ordering="status")
    def status_badge(self, obj):
        return obj.get_status_display()

    @display(description="Accounts", ordering="accounts_total")
    def accounts_count(self, obj):
        return getattr(obj, "accounts_total", None)

    @display(description="Photo on file")
    def photo_preview(self, obj):
        if obj.photo:
            return format_html('<img src="{}" alt="{}" class="h-24 w-24 object-cover rounded-default border '
                               'border-base-200">', obj.photo.url, obj.full_name)
        return format_html('<span class="bg-primary-100 flex font-semibold h-24 items-center justify-center '
                           'rounded-default text-2xl text-primary-700 w-24">{}</span>', obj.initials)

    # --- saving through the services ------------------------------------------------------------

    def _member_values(self, form, names) -> dict:
        values = {}
        for name in names:
            if name not in services.MEMBER_FIELDS or name not in form.cleaned_data:
                continue
            value = form.cleaned_data[name]
            if name == "photo" and value is False:  # "clear" ticked
                value = ""
            if value is None and name != "date_of_birth":
                value = ""
            values[name] = value
        national_id = form.cleaned_data.get("national_id_entry")
        if national_id:
            values["national_id"] = national_id
        return values

    def save_model(self, request, obj, form, change):
        if not change:
            values = self._member_values(form, form.cleaned_data)
            values = {name: value for name, value in values.items() if value not in ("", None)}
            member = self.call_service(services.member_register, actor=request.user, request=request,
                                       assign_to_self=self._is_banker(request), **values)
            copy_saved(obj, member)
            return
        values = self._member_values(form, form.changed_data)
        if values:
            member = self.call_service(services.member_update, actor=request.user, member=obj, request=request,
                                       **values)
            copy_saved(obj, member)
        if "user" in form.changed_data:
            self.call_service(services.member_link_user, actor=request.user, member=obj,
                              user=form.cleaned_data.get("user"), request=request)

    def save_formset(self, request, form, formset, change):
        if formset.model is not MemberDocument:
            return super().save_formset(request, form, formset, change)
        added = []
        for document_form in formset.forms:
            if document_form.instance.pk is not None or not document_form.has_changed():
                continue
            data = document_form.cleaned_data
            if not data or data.get("DELETE"):
                continue
            added.append(self.call_service(services.member_document_add, actor=request.user, member=form.instance,
                                           kind=data["kind"], file=data["file"], request=request))
        formset.new_objects, formset.changed_objects, formset.deleted_objects = added, [], []

    # --- KYC and assignment (detail actions) ---------------------------------------------------------

    def _member(self, request, object_id) -> Member:
        return self.get_object(request, object_id)

    def _pending(self, object_id) -> bool:
        return Member.objects.filter(pk=object_id, kyc_status=Member.Kyc.PENDING).exists()

    def has_verify_kyc_permission(self, request, object_id=None):
        return request.user.has_perm("members.verify_kyc") and (object_id is None or self._pending(object_id))

    def has_assign_permission(self, request, object_id=None):
        return request.user.has_perm("members.assign_member")

    def _run(self, request, object_id, func, success: str, **kwargs):
        member = self._member(request, object_id)
        try:
            func(actor=request.user, member=member, request=request, **kwargs)
        except (ValidationError, PermissionDenied) as exc:
            for message in error_messages(exc):
                messages.error(request, message)
        else:
            messages.success(request, success.format(member=member))
        return action_done(request, reverse("admin:members_member_change", args=[member.pk]))

    @action(description="Verify KYC", icon="verified_user", permissions=["verify_kyc"], variant=ActionVariant.SUCCESS,
            dialog={"title": "Verify KYC",
                    "description": "Confirm you have checked the member's Ghana Card and documents. Someone other "
                                   "than the person who registered the member must do this.",
                    "form_class": KycVerifyForm, "form_submit_text": "Verify"})
    def verify_kyc(self, request, form, object_id):
        return self._run(request, object_id, services.member_kyc_verify, "KYC verified for {member}.",
                         note=form.cleaned_data.get("note", ""))

    @action(description="Reject KYC", icon="gpp_bad", permissions=["verify_kyc"], variant=ActionVariant.DANGER,
            dialog={"title": "Reject KYC", "description": "The member is told the reason.",
                    "form_class": KycRejectForm, "form_submit_text": "Reject"})
    def reject_kyc(self, request, form, object_id):
        return self._run(request, object_id, services.member_kyc_reject, "KYC rejected for {member}.",
                         reason=form.cleaned_data["reason"])

    @action(description="Assign to mobile banker", icon="person_pin_circle", permissions=["assign"],
            dialog={"title": "Assign to a mobile banker",
                    "description": "The banker will see this member and may collect deposits from them.",
                    "form_class": AssignBankerForm, "form_submit_text": "Assign"})
    def assign_banker(self, request, form, object_id):
        banker = form.cleaned_data.get("banker")
        success = f"{{member}} is now assigned to {banker}." if banker else "{member} is no longer assigned."
        return self._run(request, object_id, services.member_assign, success, banker=banker)

    # --- imports are audited as a whole too -------------------------------------------------------------

    def process_result(self, result, request):
        record(request.user, "import.member", None, request=request, rows=result.totals.get("new", 0))
        return super().process_result(result, request)
