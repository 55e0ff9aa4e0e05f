"""The staff console's loan products (operations managers add and change them, other staff read them), the
loan application queue (managers approve or reject, with the eligibility panel rule by rule), the loan page
(summary, schedule, transactions, guarantors, documents, history) with its servicing actions, and the
Loan approvals queue (a second manager approves a write-off, a reversal or a backdated repayment)."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, IntegerField, Value, When
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from import_export.admin import ExportMixin
from import_export.formats.base_formats import CSV
from simple_history.admin import SimpleHistoryAdmin
from unfold.admin import ModelAdmin, TabularInline
from unfold.contrib.import_export.forms import ExportForm
from unfold.decorators import action, display
from unfold.enums import ActionVariant

from apps.audit.exports import AuditedExportMixin
from apps.audit.services import record
from apps.core.admin_mixins import (
    ReadOnlyHistoryMixin,
    ServiceFormMixin,
    StrictMoneyFieldsMixin,
    action_done,
    copy_saved,
    error_messages,
)
from apps.core.business_day import reporting_date
from apps.core.money import money_cell
from apps.core.roles import Role
from apps.ledger.errors import LedgerError
from apps.ledger.models import GLAccount

from . import admin_views, applications, chart, servicing
from .forms import ApproveDialogForm, ConfirmDialogForm, LoanApplicationForm, RejectDialogForm
from .models import (
    Loan,
    LoanDocument,
    LoanGuarantee,
    LoanProduct,
    LoanProductFee,
    LoanRequest,
    LoansPolicy,
)
from .resources import LoanResource


class LoanProductFeeInline(TabularInline):
    model = LoanProductFee
    fields = ("name", "kind", "amount", "when")
    extra = 0
    tab = False

    def has_delete_permission(self, request, obj=None):
        return request.user.has_perm("loans.delete_loanproductfee")


@admin.register(LoanProduct)
class LoanProductAdmin(ReadOnlyHistoryMixin, StrictMoneyFieldsMixin, SimpleHistoryAdmin, ModelAdmin):
    list_display = ("name", "code", "interest_method", "rate", "repayments", "amounts", "terms", "is_active",
                    "preview_link")
    list_filter = ("is_active", "interest_method", "repayment_frequency")
    search_fields = ("name", "code")
    inlines = [LoanProductFeeInline]
    fieldsets = (
        (None, {"fields": ("name", "code", "description", "is_active")}),
        ("Interest and repayments", {
            "fields": ("interest_method", "amortization", "interest_rate", "interest_rate_period",
                       "interest_calculation", "days_in_year", "repayment_every", "repayment_frequency"),
            "description": "As in Apache Fineract: flat interest is charged on the amount lent for the whole "
                           "term; declining-balance interest on what is still owed each period.",
        }),
        ("Amounts and terms", {"fields": ("min_amount", "max_amount", "min_term", "max_term")}),
        ("Rounding and grace", {
            "fields": ("currency_decimals", "currency_multiple", "instalment_multiple", "grace_on_principal",
                       "grace_on_interest"),
            "description": "Every amount is rounded as set here; the last instalment takes what rounding "
                           "leaves over, so the principal column adds up to the amount lent.",
        }),
        ("Penalties and eligibility", {
            "fields": ("penalty_rate", "penalty_grace_days", "max_savings_multiple", "guarantors_required"),
        }),
        ("Ledger accounts", {"fields": tuple(chart.PRODUCT_DEFAULTS)}),
    )

    @display(description="Rate")
    def rate(self, obj):
        return f"{obj.interest_rate.normalize():f} % {obj.get_interest_rate_period_display().lower()}"

    @display(description="Repayments")
    def repayments(self, obj):
        return f"Every {obj.repayment_every} {obj.get_repayment_frequency_display().lower()}"

    @display(description="Amounts")
    def amounts(self, obj):
        return f"{money_cell(obj.min_amount)} – {money_cell(obj.max_amount)}"

    @display(description="Terms")
    def terms(self, obj):
        return f"{obj.min_term} – {obj.max_term}"

    def has_delete_permission(self, request, obj=None):
        return False  # a product is retired (is_active), never deleted: loans will point at it

    def get_readonly_fields(self, request, obj=None):
        return ("code",) if obj is not None else ()

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        codes = {field: code for field, code in chart.PRODUCT_DEFAULTS.items() if field not in initial}
        accounts = {gl.code: gl.pk for gl in GLAccount.objects.filter(code__in=codes.values())}
        return {**initial, **{field: accounts.get(code) for field, code in codes.items()}}

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        types = LoanProduct.GL_FIELDS.get(db_field.name)
        if types:
            kwargs["queryset"] = GLAccount.objects.filter(type__in=types, is_active=True, parent__isnull=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        changed = sorted(form.changed_data) + sorted(
            f"fees.{name}" for formset in formsets for f in formset.forms for name in f.changed_data)
        record(request.user, f"loanproduct.{'change' if change else 'add'}", form.instance, request=request,
               code=form.instance.code, fields=sorted(set(changed)))

    @display(description="Preview")
    def preview_link(self, obj):
        url = reverse("admin:loans_schedule_preview") + f"?product={obj.pk}"
        return format_html('<a class="text-primary-600" href="{}">Preview a schedule</a>', url)


# --- applications ------------------------------------------------------------------------------

STATUS_COLOURS = {"Submitted": "warning", "Approved": "success", "Rejected": "danger", "Active": "info",
                  "Closed": "info", "Written off": "danger"}
SERVICE_ERRORS = (ValidationError, LedgerError, PermissionDenied)


class ReadOnlyInline(TabularInline):
    extra = 0
    can_delete = False
    tab = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class LoanGuaranteeInline(ReadOnlyInline):
    model = LoanGuarantee
    fields = ("guarantor", "account", "pledged", "status", "decided_at")
    readonly_fields = fields
    verbose_name_plural = "Guarantors"

    @display(description="Pledged")
    def pledged(self, obj):
        return money_cell(obj.amount) if obj.pk is not None else "—"


class LoanDocumentInline(ReadOnlyInline):
    model = LoanDocument
    fields = ("kind", "download", "uploaded_by", "uploaded_at")
    readonly_fields = fields
    verbose_name_plural = "Documents"

    @display(description="File")
    def download(self, obj):
        if obj.pk is None:
            return "—"
        return format_html('<a class="text-primary-600" href="{}">Download</a>',
                           reverse("admin:loans_document_download", args=[obj.pk]))


@admin.register(Loan)
class LoanAdmin(ReadOnlyHistoryMixin, ServiceFormMixin, SimpleHistoryAdmin, AuditedExportMixin, ExportMixin,
                ModelAdmin):
    """The application queue: submitted first, oldest first. A manager who neither keyed nor applied for
    a loan approves (possibly less) or rejects it with a reason; the services check everything again."""

    list_display = ("number", "member", "product", "amount_display", "term", "status_badge", "created_by",
                    "officer", "created_at")
    list_filter = ("status", "product", ("officer", admin.RelatedOnlyFieldListFilter))
    search_fields = ("number", "member__member_number", "member__first_name", "member__last_name")
    search_help_text = "Loan number, member number or name."
    list_select_related = ("member", "product", "created_by", "officer")
    inlines = [LoanGuaranteeInline, LoanDocumentInline]
    formats = [CSV]
    export_form_class = ExportForm

    def get_export_resource_classes(self, request):
        return [LoanResource]
    fieldsets = (
        ("Application", {"fields": ("number", "member", "product", "account", "amount_display", "term", "purpose",
                                    "rate", "status_badge", "created_by", "officer", "created_at")}),
        ("Eligibility", {"fields": ("eligibility_panel",)}),
        ("Decision", {"fields": ("approved_display", "decided_by", "decided_at", "decision_note")}),
    )
    readonly_fields = ("number", "member", "product", "account", "amount_display", "term", "purpose", "rate",
                       "status_badge", "created_by", "officer", "created_at", "eligibility_panel",
                       "approved_display", "decided_by", "decided_at", "decision_note")
    actions_detail = ["approve", "reject", "add_document", "disburse", "repay", "request_backdated",
                      "request_reversal", "request_write_off"]
    change_form_after_template = "loans/loan_page.html"
    add_fieldsets = (
        ("Application", {"fields": ("member", "product", "account", "amount", "term", "purpose")}),
        ("Guarantors", {"fields": ("guarantor_1", "guarantor_1_amount", "guarantor_2", "guarantor_2_amount")}),
    )
    service_field_map = {"member_id": "member", "product_id": "product", "account_id": "account",
                         "guarantors.0.member_id": "guarantor_1", "guarantors.0.amount": "guarantor_1_amount",
                         "guarantors.1.member_id": "guarantor_2", "guarantors.1.amount": "guarantor_2_amount"}

    def get_fieldsets(self, request, obj=None):
        return self.add_fieldsets if obj is None else self.fieldsets

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def change_view(self, request, object_id, form_url="", extra_context=None):
        loan = self.get_object(request, object_id)
        if loan is not None:
            extra_context = {**(extra_context or {}),
                             **admin_views.loan_page_context(loan, reporting_date())}
        return super().change_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = LoanApplicationForm
            kwargs["fields"] = None
        form_class = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None:
            return form_class

        class UserForm(form_class):
            def __init__(self, *args, **kw):
                super().__init__(*args, user=request.user, **kw)

        UserForm.__name__ = form_class.__name__
        return UserForm

    def save_model(self, request, obj, form, change):
        if change:
            raise PermissionDenied
        data = form.cleaned_data
        loan = self.call_service(applications.loan_apply, actor=request.user, member=data["member"],
                                 product=data["product"], amount=data["amount"], term=data["term"],
                                 purpose=data["purpose"], account=data["account"], guarantors=form.guarantors(),
                                 request=request)
        copy_saved(obj, loan)

    def save_related(self, request, form, formsets, change):
        pass  # the service saved the guarantees

    def get_queryset(self, request):
        queue = Case(When(status=Loan.Status.SUBMITTED, then=Value(0)), default=Value(1), output_field=IntegerField())
        visible = applications.loans_visible_to(request.user)
        return visible.annotate(queue=queue).order_by("queue", "created_at", "pk")

    def get_ordering(self, request):
        return ("queue", "created_at", "pk")

    def has_add_permission(self, request):
        return getattr(request.user, "role", None) in (Role.CASHIER, Role.MOBILE_BANKER) and \
            request.user.has_perm("loans.add_loan")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def _decidable(self, request, object_id):
        if not applications.can_decide(request.user):
            return False
        if object_id is None:
            return True
        loan = Loan.objects.filter(pk=object_id, status=Loan.Status.SUBMITTED).select_related("member").first()
        return loan is not None and request.user.pk not in (loan.created_by_id, loan.member.user_id)

    def has_approve_permission(self, request, object_id=None):
        return self._decidable(request, object_id)

    def has_reject_permission(self, request, object_id=None):
        return self._decidable(request, object_id)

    # --- servicing: who sees which button (the pages and the services check again) ---------------

    def _loan_in(self, request, object_id, roles, statuses) -> bool:
        if getattr(request.user, "role", None) not in roles or not request.user.has_perm("loans.view_loan"):
            return False
        if object_id is None:
            return True
        loans = applications.loans_visible_to(request.user).filter(pk=object_id)
        if request.method == "POST" and request.resolver_match and request.resolver_match.url_name.startswith(
                "loans_loan_"):
            # a form already shown: the page and the service refuse a loan no longer in the right state in
            # words, and a resent confirmation with the same key gets its first result back
            return loans.exists()
        return loans.filter(status__in=statuses).exists()

    def has_disburse_permission(self, request, object_id=None):
        return self._loan_in(request, object_id, admin_views.DISBURSE_ROLES, (Loan.Status.APPROVED,))

    def has_repay_permission(self, request, object_id=None):
        return self._loan_in(request, object_id, admin_views.REPAY_ROLES,
                             (Loan.Status.ACTIVE, Loan.Status.WRITTEN_OFF))

    def has_request_backdated_permission(self, request, object_id=None):
        return self._loan_in(request, object_id, admin_views.BACKDATED_ROLES, (Loan.Status.ACTIVE,))

    def has_request_reversal_permission(self, request, object_id=None):
        return self._loan_in(request, object_id, admin_views.REVERSAL_ROLES, (Loan.Status.ACTIVE,))

    def has_request_write_off_permission(self, request, object_id=None):
        return self._loan_in(request, object_id, admin_views.WRITE_OFF_ROLES, (Loan.Status.ACTIVE,))

    def has_add_document_permission(self, request, object_id=None):
        return (request.user.has_perm("loans.add_loandocument")
                and self._loan_in(request, object_id, (Role.CASHIER, Role.MOBILE_BANKER), (Loan.Status.SUBMITTED,)))

    @action(description="Add a document", icon="upload_file", permissions=["add_document"],
            url_path="add-document")
    def add_document(self, request, object_id):
        return self._page(admin_views.DocumentUploadView, request, object_id)

    def _page(self, view_class, request, object_id):
        return view_class.as_view(model_admin=self)(request, object_id=object_id)

    @action(description="Disburse", icon="payments", permissions=["disburse"], variant=ActionVariant.PRIMARY)
    def disburse(self, request, object_id):
        return self._page(admin_views.DisburseView, request, object_id)

    @action(description="Take a repayment", icon="point_of_sale", permissions=["repay"],
            variant=ActionVariant.PRIMARY)
    def repay(self, request, object_id):
        return self._page(admin_views.RepayView, request, object_id)

    @action(description="Backdated repayment", icon="history", permissions=["request_backdated"],
            url_path="request-backdated")
    def request_backdated(self, request, object_id):
        return self._page(admin_views.BackdatedRepaymentView, request, object_id)

    @action(description="Reverse the disbursal", icon="undo", permissions=["request_reversal"],
            url_path="request-reversal", variant=ActionVariant.WARNING)
    def request_reversal(self, request, object_id):
        return self._page(admin_views.ReversalRequestView, request, object_id)

    @action(description="Write off", icon="money_off", permissions=["request_write_off"],
            url_path="request-write-off", variant=ActionVariant.DANGER)
    def request_write_off(self, request, object_id):
        return self._page(admin_views.WriteOffRequestView, request, object_id)

    def get_urls(self):
        receipt = path("repayments/<int:pk>/receipt/", self.admin_site.admin_view(admin_views.repayment_receipt_view),
                       name="loans_repayment_receipt")
        return [receipt, *super().get_urls()]

    def _run(self, request, object_id, func, success, **kwargs):
        loan = self.get_object(request, object_id)
        if loan is None:
            raise PermissionDenied
        try:
            func(actor=request.user, loan=loan, request=request, **kwargs)
        except SERVICE_ERRORS as exc:
            for message in error_messages(exc):
                messages.error(request, message)
        else:
            messages.success(request, success.format(number=loan.number))
        return action_done(request, reverse("admin:loans_loan_change", args=[loan.pk]))

    @action(description="Approve", icon="check", permissions=["approve"], variant=ActionVariant.SUCCESS,
            dialog={"title": "Approve the application",
                    "description": "Eligibility is checked again on the amount approved.",
                    "form_class": ApproveDialogForm, "form_submit_text": "Approve"})
    def approve(self, request, form, object_id):
        return self._run(request, object_id, applications.loan_approve, "Loan {number} approved.",
                         approved_amount=form.cleaned_data.get("approved_amount") or None,
                         note=form.cleaned_data.get("note", ""))

    @action(description="Reject", icon="close", permissions=["reject"], variant=ActionVariant.DANGER,
            dialog={"title": "Reject the application",
                    "description": "The guarantors' pledges are released. The member sees the reason.",
                    "form_class": RejectDialogForm, "form_submit_text": "Reject"})
    def reject(self, request, form, object_id):
        return self._run(request, object_id, applications.loan_reject, "Loan {number} rejected.",
                         reason=form.cleaned_data["reason"])

    @display(description="Amount requested", ordering="amount")
    def amount_display(self, obj):
        return money_cell(obj.amount)

    @display(description="Approved amount")
    def approved_display(self, obj):
        return money_cell(obj.approved_amount) if obj.approved_amount is not None else "—"

    @display(description="Rate")
    def rate(self, obj):
        return f"{obj.interest_rate.normalize():f} % {obj.get_interest_rate_period_display().lower()}"

    @display(description="Status", label=STATUS_COLOURS, ordering="status")
    def status_badge(self, obj):
        return obj.get_status_display()

    @display(description="Rules")
    def eligibility_panel(self, obj):
        if obj.status != Loan.Status.SUBMITTED:
            return "Checked when the application was decided."
        rows = format_html_join("", '<tr><td class="pr-4 py-1">{}</td><td class="pr-4 py-1 font-semibold {}">{}</td>'
                                    '<td class="py-1">{}</td></tr>',
                                ((rule.replace("_", " ").capitalize(), "text-green-700" if passed else "text-red-700",
                                  "Passed" if passed else "Failed", message)
                                 for rule, passed, message in applications.eligibility(obj)))
        return format_html('<table class="eligibility">{}</table>', rows)


# --- loan approvals (four eyes) ----------------------------------------------------------------------

REQUEST_COLOURS = {"Waiting for approval": "warning", "Approved": "success", "Rejected": "danger"}


@admin.register(LoanRequest)
class LoanRequestAdmin(ReadOnlyHistoryMixin, SimpleHistoryAdmin, ModelAdmin):
    """Loan approvals: write-offs, reversals of a disbursal and backdated repayments waiting for a manager
    other than the one who asked. Waiting first, oldest first. Nothing is posted until approved."""

    list_display = ("loan_link", "kind", "amount_display", "value_date", "reason", "requested_by", "created_at",
                    "status_badge", "decided_by")
    list_filter = ("status", "kind")
    search_fields = ("loan__number", "loan__member__member_number", "loan__member__last_name")
    search_help_text = "Loan number, member number or surname."
    list_select_related = ("loan__member", "requested_by", "decided_by")
    fields = ("loan_link", "kind", "amount_display", "value_date", "channel", "reason", "requested_by",
              "created_at", "status_badge", "decided_by", "decided_at", "decision_note")
    readonly_fields = fields
    actions_row = ["approve", "reject"]
    actions_detail = ["approve", "reject"]

    def get_queryset(self, request):
        pending_first = Case(When(status=LoanRequest.Status.PENDING, then=Value(0)), default=Value(1),
                             output_field=IntegerField())
        return (LoanRequest.objects.select_related(*self.list_select_related)
                .filter(loan__in=applications.loans_visible_to(request.user))
                .annotate(queue=pending_first).order_by("queue", "created_at", "pk"))

    def get_ordering(self, request):
        return ("queue", "created_at", "pk")

    def _may_view(self, request) -> bool:
        return getattr(request.user, "role", None) in admin_views.REQUEST_VIEW_ROLES and \
            request.user.has_perm("loans.view_loan")

    def has_module_permission(self, request):
        return self._may_view(request)

    def has_view_permission(self, request, obj=None):
        return self._may_view(request)

    def has_add_permission(self, request):
        return False  # requests start on the loan page

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def _decidable(self, request, object_id):
        if getattr(request.user, "role", None) != Role.MANAGER:
            return False
        return object_id is None or LoanRequest.objects.filter(pk=object_id,
                                                               status=LoanRequest.Status.PENDING).exists()

    def has_approve_permission(self, request, object_id=None):
        return self._decidable(request, object_id)

    def has_reject_permission(self, request, object_id=None):
        return self._decidable(request, object_id)

    def _decide(self, request, object_id, func, success, **kwargs):
        loan_request = self.get_object(request, object_id)
        if loan_request is None:
            raise PermissionDenied
        back = reverse("admin:loans_loanrequest_changelist")
        if loan_request.requested_by_id == request.user.pk:
            messages.error(request, f"{loan_request}: a second manager must decide — you asked for it.")
            return action_done(request, back)
        try:
            func(actor=request.user, loan_request=loan_request, request=request, **kwargs)
        except SERVICE_ERRORS as exc:
            for message in error_messages(exc):
                messages.error(request, f"{loan_request}: {message}")
        else:
            messages.success(request, success.format(request=loan_request))
        return action_done(request, back)

    @action(description="Approve", icon="check", permissions=["approve"], variant=ActionVariant.SUCCESS,
            dialog={"title": "Approve the request",
                    "description": "It is posted now, in your name as the second manager.",
                    "form_class": ConfirmDialogForm, "form_submit_text": "Approve and post"})
    def approve(self, request, form, object_id):
        return self._decide(request, object_id, servicing.loan_request_approve, "{request}: approved and posted.")

    @action(description="Reject", icon="close", permissions=["reject"], variant=ActionVariant.DANGER,
            dialog={"title": "Reject the request", "description": "Nothing is posted. The requester sees the reason.",
                    "form_class": RejectDialogForm, "form_submit_text": "Reject"})
    def reject(self, request, form, object_id):
        return self._decide(request, object_id, servicing.loan_request_reject, "{request}: rejected.",
                            reason=form.cleaned_data["reason"])

    @display(description="Loan", ordering="loan__number")
    def loan_link(self, obj):
        return format_html('<a class="text-primary-600" href="{}">{} · {}</a>',
                           reverse("admin:loans_loan_change", args=[obj.loan_id]), obj.loan.number, obj.loan.member)

    @display(description="Amount", ordering="amount")
    def amount_display(self, obj):
        return money_cell(obj.amount) if obj.amount is not None else "—"

    @display(description="Status", label=REQUEST_COLOURS, ordering="status")
    def status_badge(self, obj):
        return obj.get_status_display()


@admin.register(LoansPolicy)
class LoansPolicyAdmin(ReadOnlyHistoryMixin, SimpleHistoryAdmin, ModelAdmin):
    """The one row of lending settings (operations managers change it)."""

    list_display = ("__str__", "max_active_loans")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        LoansPolicy.current()
        return super().changelist_view(request, extra_context)

    def save_model(self, request, obj, form, change):
        obj._history_user = request.user
        super().save_model(request, obj, form, change)
        record(request.user, "loanspolicy.change", obj, request=request, max_active_loans=obj.max_active_loans)
