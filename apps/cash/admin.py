"""The staff console's cash screens: drawers, cash advances and returns, cheques, floats, field
collection runs, denominations and the cash policy, plus the custom cash pages (admin_views).

Nothing here moves cash itself: saves and detail actions call `apps.cash.services`; the ledger
decides balances, so drawers and runs are read-only records.
"""


from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import OuterRef, Subquery, Sum
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from import_export.admin import ExportMixin
from import_export.formats.base_formats import CSV
from simple_history.admin import SimpleHistoryAdmin
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import RangeDateFilter
from unfold.contrib.import_export.forms import ExportForm
from unfold.decorators import action, display
from unfold.enums import ActionVariant

from apps.audit.exports import AuditedExportMixin
from apps.audit.services import record
from apps.core.admin_mixins import (
    ReadOnlyAdminMixin,
    ReadOnlyHistoryMixin,
    ServiceFormMixin,
    ServiceRefused,
    action_done,
    copy_saved,
    error_messages,
)
from apps.core.money import format_money, in_currency, money_cell
from apps.core.roles import Role
from apps.ledger.errors import LedgerError
from apps.ledger.models import ZERO, Transaction
from apps.ledger.selectors import accounts_visible_to

from . import admin_views, services
from .forms import BounceDialogForm, ChequeDepositAddForm, ConfirmDialogForm, ReasonDialogForm, new_key
from .models import (
    CashDrawer,
    CashMovement,
    CashPolicy,
    ChequeDeposit,
    CollectionRun,
    Denomination,
    FloatIssue,
    LargeCashTransaction,
)
from .resources import LargeCashExportResource
from .selectors import large_cash_transactions

SERVICE_ERRORS = (ValidationError, PermissionDenied, LedgerError)
DRAWER_COLOURS = {"Open": "info", "Closed": "success", "Closed, variance awaiting sign-off": "warning"}
MOVEMENT_COLOURS = {"Pending": "warning", "Approved": "success", "Rejected": "danger"}
CHEQUE_COLOURS = {"Held until cleared": "warning", "Cleared": "success", "Bounced": "danger"}
RUN_COLOURS = {"Collecting": "info", "Remitted": "success", "Remitted, variance awaiting sign-off": "warning"}


def person(user) -> str:
    return "—" if user is None else (user.get_full_name() or user.email)


def variance_html(value):
    if value is None:
        return "—"
    if value == 0:
        return format_money(value, symbol=False)
    colour = "text-red-600 dark:text-red-500" if value < 0 else "text-green-700 dark:text-green-400"
    return format_html('<span class="font-semibold {}">{}</span>', colour,
                       format_money(value, symbol=False, signed=True))


def counts_table(counts) -> str:
    """Stored counts (opening, closing, remittance) as small tables, one per count."""
    blocks = []
    for count in counts:
        rows = admin_views.count_rows(count)
        body = format_html_join(
            "", '<tr class="border-b border-base-200 dark:border-base-800"><td class="py-1 pr-4">{}</td>'
                '<td class="py-1 pr-4 text-right">{}</td><td class="py-1 text-right">{}</td></tr>',
            ((row["label"], row["count"], money_cell(row["subtotal"])) for row in rows))
        blocks.append(format_html(
            '<div class="mb-4"><div class="font-semibold mb-1 text-important">{} · {} · {} by {}</div>'
            '<table class="text-sm"><thead><tr class="text-base-500"><th class="font-normal pr-4 text-left">'
            'Denomination</th><th class="font-normal pr-4 text-right">Count</th><th class="font-normal text-right">'
            'Amount</th></tr></thead><tbody>{}</tbody></table></div>',
            count.get_purpose_display(), format_money(count.total), count.counted_at.strftime("%d %b %Y %H:%M"),
            person(count.counted_by), body or format_html('<tr><td colspan="3" class="py-1">No cash.</td></tr>')))
    return format_html_join("", "{}", ((block,) for block in blocks)) if blocks else "—"


class CashAdmin(ReadOnlyHistoryMixin, ServiceFormMixin, SimpleHistoryAdmin, ModelAdmin):
    service_errors = SERVICE_ERRORS

    def has_delete_permission(self, request, obj=None):
        return False  # cash records are evidence: never deleted


class ReadOnlyCashAdmin(CashAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class OwnRecordsMixin:
    """The pattern the cash record admins share: one role sees only its own rows (`own_role`,
    `own_field`), a row that is missing or not theirs is a 404 with `missing_message`, and the
    admin mounts its custom pages (`pages`: route, view class, URL name) under admin_view."""

    own_role = ""
    own_field = ""
    missing_message = "No such record, or not one you may see."
    pages: tuple = ()

    def get_queryset(self, request):
        rows = super().get_queryset(request)
        if self.own_role and getattr(request.user, "role", None) == self.own_role:
            rows = rows.filter(**{self.own_field: request.user})
        return rows

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(self.missing_message)
        return obj

    def get_urls(self):
        custom = [path(route, self.admin_site.admin_view(view.as_view(model_admin=self)), name=name)
                  for route, view, name in self.pages]
        return custom + super().get_urls()


def may_decide(request, object_id, perm: str, waiting, *, not_by: tuple[str, ...] = ()) -> bool:
    """Whether a decision action (sign off, approve, reject, clear, bounce) is offered: the user holds
    `perm` and, on a row, it is still among `waiting` and none of the `not_by` fields names them
    (nobody decides their own request). The service checks all of it again when the action runs."""
    if not request.user.has_perm(perm):
        return False
    if object_id is None:
        return True
    rows = waiting.filter(pk=object_id)
    for field in not_by:
        rows = rows.exclude(**{field: request.user})
    return rows.exists()


def _run_action(request, url, func, success, **kwargs):
    try:
        func(actor=request.user, request=request, **kwargs)
    except SERVICE_ERRORS as exc:
        for message in error_messages(exc):
            messages.error(request, message)
    else:
        messages.success(request, success)
    return action_done(request, url)


# --- drawers ---------------------------------------------------------------------------------------

@admin.register(CashDrawer)
class CashDrawerAdmin(OwnRecordsMixin, ReadOnlyCashAdmin):
    """Drawers are opened and closed by the cashier on the My drawer page; here they are records."""

    list_display = ("business_date", "cashier_name", "status_badge", "opening_display", "expected_display",
                    "counted_display", "variance_display", "closed_at")
    list_filter = ("status", ("business_date", RangeDateFilter), ("cashier", admin.RelatedOnlyFieldListFilter))
    list_filter_submit = True
    search_fields = ("cashier__email", "cashier__first_name", "cashier__last_name")
    list_select_related = ("cashier", "gl_account")
    date_hierarchy = "business_date"
    fieldsets = (
        ("Drawer", {"fields": ("cashier_name", "business_date", "status_badge", "gl_code", "opened_at",
                               "closed_at")}),
        ("Reconciliation", {"fields": ("opening_display", "expected_display", "counted_display", "variance_display",
                                       "approved_by", "approval_note")}),
        ("Counts by denomination", {"fields": ("counts_display",)}),
    )
    readonly_fields = ("cashier_name", "business_date", "status_badge", "gl_code", "opened_at", "closed_at",
                       "opening_display", "expected_display", "counted_display", "variance_display", "approved_by",
                       "approval_note", "counts_display")
    actions_detail = ["sign_off"]
    own_role, own_field = Role.CASHIER, "cashier"  # a cashier sees only their own drawers
    missing_message = "No such drawer, or not one you may see."
    pages = (
        ("my-drawer/", admin_views.MyDrawerView, "cash_my_drawer"),
        ("my-drawer/expected/", admin_views.MyDrawerExpectedView, "cash_my_drawer_expected"),
        ("my-drawer/result/<int:pk>/", admin_views.DrawerResultView, "cash_drawer_result"),
        ("sign-offs/", admin_views.DrawerSignOffsView, "cash_drawer_signoffs"),
        ("position/", admin_views.CashPositionView, "cash_position"),
    )

    @display(description="Cashier", ordering="cashier__first_name")
    def cashier_name(self, obj):
        return person(obj.cashier)

    @display(description="Status", label=DRAWER_COLOURS, ordering="status")
    def status_badge(self, obj):
        return obj.get_status_display()

    @display(description="GL account")
    def gl_code(self, obj):
        return str(obj.gl_account)

    @display(description="Opening float")
    def opening_display(self, obj):
        return money_cell(obj.opening_balance)

    @display(description="Expected")
    def expected_display(self, obj):
        if obj.status == CashDrawer.Status.OPEN:
            return format_html("{} <span class=\"text-base-500 text-xs\">(live)</span>",
                               money_cell(services.drawer_expected(obj)))
        return money_cell(obj.expected_balance)

    @display(description="Counted")
    def counted_display(self, obj):
        return money_cell(obj.counted_balance)

    @display(description="Variance")
    def variance_display(self, obj):
        return variance_html(obj.variance)

    @display(description="Counts")
    def counts_display(self, obj):
        return counts_table(obj.counts.select_related("counted_by").order_by("counted_at", "pk"))

    def has_sign_off_permission(self, request, object_id=None):
        return may_decide(request, object_id, "cash.approve_drawer",
                          CashDrawer.objects.filter(status=CashDrawer.Status.PENDING_APPROVAL), not_by=("cashier",))

    @action(description="Sign off variance", icon="approval", permissions=["sign_off"], variant=ActionVariant.SUCCESS,
            dialog={"title": "Sign off the drawer variance",
                    "description": "The variance is posted to cash over and short and the counted cash goes back "
                                   "to the vault. Say why the variance is accepted.",
                    "form_class": ReasonDialogForm, "form_submit_text": "Sign off"})
    def sign_off(self, request, form, object_id):
        drawer = self.get_object(request, object_id)
        return _run_action(request, reverse("admin:cash_cashdrawer_change", args=[drawer.pk]),
                           services.drawer_approve_close, "Drawer signed off and settled.", drawer=drawer,
                           note=form.cleaned_data["reason"])


# --- cash advances and returns --------------------------------------------------------------------

@admin.register(CashMovement)
class CashMovementAdmin(OwnRecordsMixin, CashAdmin):
    """The cash-advance queue. Cashiers ask (here or on My drawer); a different manager decides."""

    list_display = ("created_at", "kind", "cashier_name", "amount_display", "reason", "status_badge",
                    "decided_by_name", "decided_at")
    list_filter = ("status", "kind", ("created_at", RangeDateFilter))
    list_filter_submit = True
    search_fields = ("reason", "drawer__cashier__email", "drawer__cashier__first_name", "drawer__cashier__last_name")
    list_select_related = ("drawer__cashier", "decided_by", "requested_by")
    add_fieldsets = ((None, {"fields": ("kind", "amount", "reason")}),)
    fieldsets = (
        (None, {"fields": ("kind", "cashier_name", "amount_display", "reason", "status_badge", "requested_by",
                           "created_at")}),
        ("Decision", {"fields": ("decided_by_name", "decided_at", "decision_note", "entry")}),
    )
    readonly_fields = ("cashier_name", "amount_display", "status_badge", "requested_by", "created_at",
                       "decided_by_name", "decided_at", "decision_note", "entry")
    actions_detail = ["approve", "reject"]
    service_field_map = {"amount": "amount", "reason": "reason"}
    own_role, own_field = Role.CASHIER, "drawer__cashier"
    missing_message = "No such request, or not one you may see."

    def get_fieldsets(self, request, obj=None):
        return self.add_fieldsets if obj is None else self.fieldsets

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def has_add_permission(self, request):
        return getattr(request.user, "role", None) == Role.CASHIER and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            raise PermissionDenied
        movement = self.call_service(services.cash_movement_request, actor=request.user,
                                     kind=form.cleaned_data["kind"], amount=form.cleaned_data["amount"],
                                     reason=form.cleaned_data["reason"], request=request)
        copy_saved(obj, movement)

    def _decidable(self, request, object_id):
        return may_decide(request, object_id, "cash.approve_drawer",
                          CashMovement.objects.filter(status=CashMovement.Status.PENDING), not_by=("requested_by",))

    def has_approve_permission(self, request, object_id=None):
        return self._decidable(request, object_id)

    def has_reject_permission(self, request, object_id=None):
        return self._decidable(request, object_id)

    @action(description="Approve", icon="check", permissions=["approve"], variant=ActionVariant.SUCCESS,
            dialog={"title": "Approve", "description": "The cash moves between the vault and the drawer now.",
                    "form_class": ConfirmDialogForm, "form_submit_text": "Approve and post"})
    def approve(self, request, form, object_id):
        movement = self.get_object(request, object_id)
        return _run_action(request, reverse("admin:cash_cashmovement_change", args=[movement.pk]),
                           services.cash_movement_approve, f"{movement.get_kind_display()} approved and posted.",
                           movement=movement)

    @action(description="Reject", icon="close", permissions=["reject"], variant=ActionVariant.DANGER,
            dialog={"title": "Reject", "description": "Nothing is posted; the cashier sees the reason.",
                    "form_class": ReasonDialogForm, "form_submit_text": "Reject"})
    def reject(self, request, form, object_id):
        movement = self.get_object(request, object_id)
        return _run_action(request, reverse("admin:cash_cashmovement_change", args=[movement.pk]),
                           services.cash_movement_reject, f"{movement.get_kind_display()} rejected.",
                           movement=movement, reason=form.cleaned_data["reason"])

    @display(description="Cashier", ordering="drawer__cashier__first_name")
    def cashier_name(self, obj):
        return person(obj.drawer.cashier)

    @display(description="Amount", ordering="amount")
    def amount_display(self, obj):
        return money_cell(obj.amount)

    @display(description="Status", label=MOVEMENT_COLOURS, ordering="status")
    def status_badge(self, obj):
        return obj.get_status_display()

    @display(description="Decided by")
    def decided_by_name(self, obj):
        return person(obj.decided_by)


# --- cheques ----------------------------------------------------------------------------------------

@admin.register(ChequeDeposit)
class ChequeDepositAdmin(OwnRecordsMixin, CashAdmin):
    """Cheques held until an operations manager clears or bounces them."""

    list_display = ("created_at", "cheque_number", "drawer_bank", "account_link", "member_name", "amount_display",
                    "status_badge", "deposited_by_name", "decided_at")
    list_filter = ("status", ("created_at", RangeDateFilter), "drawer_bank")
    list_filter_submit = True
    search_fields = ("cheque_number", "drawer_bank", "account__account_number", "account__member__last_name",
                     "account__member__member_number")
    search_help_text = "Cheque number, bank, account number, member surname or number."
    list_select_related = ("account__member", "deposited_by", "decided_by")
    add_form = ChequeDepositAddForm
    add_fieldsets = ((None, {"fields": ("account_number", "amount", "drawer_bank", "cheque_number", "image",
                                        "idempotency_key")}),)
    fieldsets = (
        ("Cheque", {"fields": ("cheque_number", "drawer_bank", "amount_display", "account_link", "member_name",
                               "image_preview")}),
        ("Status", {"fields": ("status_badge", "transaction_link", "deposited_by_name", "created_at",
                               "decided_by_name", "decided_at", "bounce_reason", "bounce_fee")}),
    )
    readonly_fields = ("cheque_number", "drawer_bank", "amount_display", "account_link", "member_name",
                       "image_preview", "status_badge", "transaction_link", "deposited_by_name", "created_at",
                       "decided_by_name", "decided_at", "bounce_reason", "bounce_fee")
    actions_detail = ["clear", "bounce"]
    service_field_map = {"account_id": "account_number", "amount": "amount", "drawer_bank": "drawer_bank",
                         "cheque_number": "cheque_number"}
    missing_message = "No such cheque."

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        return self.add_fieldsets if obj is None else self.fieldsets

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def get_changeform_initial_data(self, request):
        return {"idempotency_key": new_key("cheque")}

    def has_add_permission(self, request):
        return getattr(request.user, "role", None) == Role.CASHIER and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            raise PermissionDenied
        data = form.cleaned_data
        number = (data["account_number"] or "").replace(" ", "").strip()
        account = accounts_visible_to(request.user).filter(account_number=number).first()
        if account is None:
            raise ServiceRefused(ValidationError({"account_id": "No account you may use has that number."}))
        cheque = self.call_service(services.cheque_deposit, actor=request.user, account=account, amount=data["amount"],
                                   drawer_bank=data["drawer_bank"], cheque_number=data["cheque_number"],
                                   image=data.get("image") or None, idempotency_key=data["idempotency_key"],
                                   request=request)
        copy_saved(obj, cheque)

    def _held(self, request, object_id):
        return may_decide(request, object_id, "cash.clear_cheque",
                          ChequeDeposit.objects.filter(status=ChequeDeposit.Status.HELD))

    def has_clear_permission(self, request, object_id=None):
        return self._held(request, object_id)

    def has_bounce_permission(self, request, object_id=None):
        return self._held(request, object_id)

    @action(description="Clear", icon="task_alt", permissions=["clear"], variant=ActionVariant.SUCCESS,
            dialog={"title": "Clear the cheque", "description": "The bank has paid it: the hold is released and "
                                                                 "the member can use the money.",
                    "form_class": ConfirmDialogForm, "form_submit_text": "Clear"})
    def clear(self, request, form, object_id):
        cheque = self.get_object(request, object_id)
        return _run_action(request, reverse("admin:cash_chequedeposit_change", args=[cheque.pk]),
                           services.cheque_clear, f"Cheque {cheque.cheque_number} cleared; the funds are available.",
                           cheque=cheque)

    @action(description="Bounce", icon="block", permissions=["bounce"], variant=ActionVariant.DANGER,
            dialog={"title": "Mark the cheque bounced", "description": "The credit and the hold are removed. A fee "
                                                                        "is charged only if the balance covers it.",
                    "form_class": BounceDialogForm, "form_submit_text": "Bounce"})
    def bounce(self, request, form, object_id):
        cheque = self.get_object(request, object_id)
        return _run_action(request, reverse("admin:cash_chequedeposit_change", args=[cheque.pk]),
                           services.cheque_bounce, f"Cheque {cheque.cheque_number} marked bounced.", cheque=cheque,
                           reason=form.cleaned_data["reason"], fee=form.cleaned_data.get("fee"))

    @display(description="Account", ordering="account__account_number")
    def account_link(self, obj):
        url = reverse("admin:ledger_account_change", args=[obj.account_id])
        return format_html('<a href="{}" class="text-primary-600 dark:text-primary-500">{}</a>', url,
                           obj.account.account_number)

    @display(description="Member")
    def member_name(self, obj):
        return obj.account.member.full_name

    @display(description="Amount", ordering="amount")
    def amount_display(self, obj):
        return money_cell(obj.amount)

    @display(description="Status", label=CHEQUE_COLOURS, ordering="status")
    def status_badge(self, obj):
        return obj.get_status_display()

    @display(description="Deposited by")
    def deposited_by_name(self, obj):
        return person(obj.deposited_by)

    @display(description="Decided by")
    def decided_by_name(self, obj):
        return person(obj.decided_by)

    @display(description="Transaction")
    def transaction_link(self, obj):
        url = reverse("admin:ledger_transaction_change", args=[obj.transaction_id])
        return format_html('<a href="{}" class="text-primary-600 dark:text-primary-500">{}</a>', url,
                           obj.transaction.reference)

    @display(description="Cheque image")
    def image_preview(self, obj):
        if not obj.image:
            return "—"
        return format_html('<a href="{0}" target="_blank"><img src="{0}" alt="Cheque {1}" class="border '
                           'border-base-200 max-w-full rounded-default" style="max-height: 16rem"></a>',
                           obj.image.url, obj.cheque_number)


# --- floats -----------------------------------------------------------------------------------------

@admin.register(FloatIssue)
class FloatIssueAdmin(ServiceFormMixin, ModelAdmin):
    """A manager issues the day's float; the cashier's opening count takes it out of the vault."""

    service_errors = SERVICE_ERRORS
    list_display = ("business_date", "cashier_name", "amount_display", "issued_by_name", "taken")
    list_filter = (("business_date", RangeDateFilter),)
    list_filter_submit = True
    list_select_related = ("cashier", "issued_by", "drawer")
    fields = ("cashier", "amount")
    service_field_map = {"cashier_id": "cashier", "amount": "amount"}

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("cashier", "amount")
        return ("cashier_name", "business_date", "amount_display", "issued_by_name", "taken", "created_at")

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.get_fields(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "cashier":
            kwargs["queryset"] = get_user_model().objects.filter(role=Role.CASHIER, is_active=True).order_by(
                "first_name", "last_name", "email")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_add_permission(self, request):
        return request.user.has_perm("cash.approve_drawer") and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            raise PermissionDenied
        issue = self.call_service(services.float_issue, actor=request.user, cashier=form.cleaned_data["cashier"],
                                  amount=form.cleaned_data["amount"], request=request)
        copy_saved(obj, issue)

    @display(description="Cashier", ordering="cashier__first_name")
    def cashier_name(self, obj):
        return person(obj.cashier)

    @display(description="Amount", ordering="amount")
    def amount_display(self, obj):
        return money_cell(obj.amount)

    @display(description="Issued by")
    def issued_by_name(self, obj):
        return person(obj.issued_by)

    @display(description="Counted into a drawer", boolean=True)
    def taken(self, obj):
        return obj.drawer_id is not None


# --- field collection runs --------------------------------------------------------------------------

@admin.register(CollectionRun)
class CollectionRunAdmin(OwnRecordsMixin, ReadOnlyCashAdmin):
    """Field runs are records; a remittance whose variance is above tolerance waits here (and on the
    sign-offs page) for a manager who neither remitted nor received the cash."""

    list_display = ("business_date", "banker_name", "status_badge", "collected_display", "expected_display",
                    "counted_display", "variance_display", "remitted_to_name", "remitted_at")
    list_filter = ("status", ("business_date", RangeDateFilter), ("banker", admin.RelatedOnlyFieldListFilter))
    list_filter_submit = True
    list_select_related = ("banker", "remitted_to", "gl_account")
    date_hierarchy = "business_date"
    fields = ("banker_name", "business_date", "status_badge", "gl_code", "collected_display", "field_cash",
              "remitted_to_name", "remitted_at", "expected_display", "counted_display", "variance_display",
              "variance_decision",
              "decided_by_name", "decided_at", "decision_note", "counts_display")
    readonly_fields = fields
    actions_detail = ["sign_off", "reject_variance"]
    own_role, own_field = Role.MOBILE_BANKER, "banker"
    missing_message = "No such collection run, or not one you may see."
    pages = (
        ("field/", admin_views.CollectionSheetView, "cash_field_sheet"),
        ("field/collect/", admin_views.FieldCollectView, "cash_field_collect"),
        ("field/receipt/<int:pk>/", admin_views.FieldReceiptView, "cash_field_receipt"),
        ("field/remit/", admin_views.FieldRemitView, "cash_field_remit"),
        ("field/register/", admin_views.FieldRegisterView, "cash_field_register"),
        ("field/register/<int:pk>/", admin_views.FieldRegisteredView, "cash_field_registered"),
    )

    def _decidable(self, request, object_id):
        return may_decide(request, object_id, "cash.approve_drawer",
                          CollectionRun.objects.filter(status=CollectionRun.Status.PENDING_APPROVAL),
                          not_by=("banker", "remitted_to"))

    def get_queryset(self, request):
        """Each run with what was collected on it: the completed field deposits of its day on the banker's
        field cash account (one subquery, not a query a row)."""
        collected = (Transaction.objects.filter(counterparty_gl=OuterRef("gl_account"),
                                                business_date=OuterRef("business_date"),
                                                transaction_type=Transaction.Type.DEPOSIT,
                                                status=Transaction.Status.COMPLETED)
                     .order_by().values("counterparty_gl").annotate(total=Sum("amount")).values("total"))
        return super().get_queryset(request).annotate(collected=Subquery(collected))

    def has_sign_off_permission(self, request, object_id=None):
        return self._decidable(request, object_id)

    def has_reject_variance_permission(self, request, object_id=None):
        return self._decidable(request, object_id)

    @action(description="Sign off variance", icon="approval", permissions=["sign_off"], variant=ActionVariant.SUCCESS,
            dialog={"title": "Sign off the remittance variance",
                    "description": "The difference between what the banker collected and what the cashier counted "
                                   "is posted to cash over and short. Say why it is accepted.",
                    "form_class": ReasonDialogForm, "form_submit_text": "Sign off"})
    def sign_off(self, request, form, object_id):
        run = self.get_object(request, object_id)
        return _run_action(request, reverse("admin:cash_collectionrun_change", args=[run.pk]),
                           services.field_remit_approve, "Remittance variance signed off and posted.", run=run,
                           note=form.cleaned_data["reason"])

    @action(description="Reject variance", icon="block", permissions=["reject_variance"],
            variant=ActionVariant.DANGER,
            dialog={"title": "Reject the remittance variance",
                    "description": "Nothing is posted: the difference stays on the banker's field cash. A shortage "
                                   "is expected with their next remittance; an overage is cleared by recording the "
                                   "collection it belongs to.",
                    "form_class": ReasonDialogForm, "form_submit_text": "Reject"})
    def reject_variance(self, request, form, object_id):
        run = self.get_object(request, object_id)
        return _run_action(request, reverse("admin:cash_collectionrun_change", args=[run.pk]),
                           services.field_remit_reject, "Remittance variance rejected; it stays with the banker.",
                           run=run, reason=form.cleaned_data["reason"])

    @display(description="Banker", ordering="banker__first_name")
    def banker_name(self, obj):
        return person(obj.banker)

    @display(description="Status", label=RUN_COLOURS, ordering="status")
    def status_badge(self, obj):
        return obj.get_status_display()

    @display(description="GL account")
    def gl_code(self, obj):
        return str(obj.gl_account)

    @display(description="Collected on the run")
    def collected_display(self, obj):
        collected = getattr(obj, "collected", None)
        return money_cell(collected if collected is not None else ZERO)

    @display(description="Cash with the banker now")
    def field_cash(self, obj):
        """Only a run still collecting (or waiting for a decision) speaks for the banker's cash today;
        a settled run's figure is its own collected and counted amounts."""
        if obj.status == CollectionRun.Status.REMITTED:
            return "Nothing: remitted"
        return money_cell(services.field_cash_expected(obj.gl_account))

    @display(description="Expected at remittance")
    def expected_display(self, obj):
        return money_cell(obj.expected_amount)

    @display(description="Counted")
    def counted_display(self, obj):
        return money_cell(obj.counted_amount)

    @display(description="Variance")
    def variance_display(self, obj):
        return variance_html(obj.variance)

    @display(description="Remitted to")
    def remitted_to_name(self, obj):
        return person(obj.remitted_to)

    @display(description="Decided by")
    def decided_by_name(self, obj):
        return person(obj.decided_by)

    @display(description="Remittance count")
    def counts_display(self, obj):
        return counts_table(obj.counts.select_related("counted_by").order_by("counted_at", "pk"))


# --- configuration (operations managers) -------------------------------------------------------------

@admin.register(Denomination)
class DenominationAdmin(ModelAdmin):
    """The notes and coins a count offers. Retire one with is_active; its value never changes."""

    list_display = ("__str__", "value", "kind", "is_active")
    list_filter = ("kind", "is_active")
    fields = ("value", "kind", "is_active")

    def get_readonly_fields(self, request, obj=None):
        return ("value",) if obj is not None else ()

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        record(request.user, f"denomination.{'change' if change else 'add'}", obj, request=request,
               fields=sorted(form.changed_data))


class CashPolicyForm(forms.ModelForm):
    """The cash policy's figures, typed through the one amount parser (StrictMoneyFieldsMixin). A
    figure left out of the form (one sent before the field existed) keeps its current value."""

    OPTIONAL = ("cash_report_threshold", "field_collection_multiple")

    class Meta:
        model = CashPolicy
        fields = ("variance_tolerance", "cash_report_threshold", "field_collection_multiple")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.OPTIONAL:
            if name in self.fields:
                self.fields[name].required = False

    def clean(self):
        cleaned = super().clean()
        for name in self.OPTIONAL:
            if name in cleaned and cleaned[name] is None:
                cleaned[name] = getattr(self.instance, name)
        return cleaned


@admin.register(CashPolicy)
class CashPolicyAdmin(CashAdmin):
    """One row: the changelist opens it."""

    form = CashPolicyForm
    fields = ("variance_tolerance", "cash_report_threshold", "field_collection_multiple")

    def has_add_permission(self, request):
        return False

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        return HttpResponseRedirect(reverse("admin:cash_cashpolicy_change", args=[CashPolicy.current().pk]))

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        record(request.user, "cashpolicy.change", obj, request=request, fields=sorted(form.changed_data),
               variance_tolerance=str(obj.variance_tolerance), cash_report_threshold=str(obj.cash_report_threshold),
               field_collection_multiple=str(obj.field_collection_multiple))


@admin.register(LargeCashTransaction)
class LargeCashTransactionAdmin(ReadOnlyAdminMixin, AuditedExportMixin, ExportMixin, ModelAdmin):
    """Cash deposits and withdrawals at or above the cash transaction report threshold (set in the
    cash policy by operations), for managers and the compliance export. Read-only."""

    list_display = ("business_date", "reference_link", "kind", "amount_display", "account_display", "member_display",
                    "handled_by")
    list_filter = ("transaction_type", ("business_date", RangeDateFilter))
    list_filter_submit = True
    search_fields = ("reference", "to_account__account_number", "from_account__account_number")
    search_help_text = "Reference or account number."
    date_hierarchy = "business_date"
    formats = [CSV]
    export_form_class = ExportForm
    list_before_template = "cash/large_cash_intro.html"

    def get_queryset(self, request):
        return large_cash_transactions()

    def get_export_resource_classes(self, request):
        return [LargeCashExportResource]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "threshold": CashPolicy.current().cash_report_threshold,
                         "can_change_policy": request.user.has_perm("cash.change_cashpolicy")}
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return HttpResponseRedirect(reverse("admin:ledger_transaction_change", args=[object_id]))

    def _account(self, obj):
        return obj.to_account if obj.transaction_type == "deposit" else obj.from_account

    @display(description="Reference", ordering="reference")
    def reference_link(self, obj):
        return format_html('<a class="text-primary-600 dark:text-primary-500" href="{}">{}</a>',
                           reverse("admin:ledger_transaction_change", args=[obj.pk]), obj.reference)

    @display(description="Kind", label={"Cash deposit": "info", "Cash withdrawal": "warning"})
    def kind(self, obj):
        return "Cash deposit" if obj.transaction_type == "deposit" else "Cash withdrawal"

    @display(description=in_currency("Amount"), ordering="amount")
    def amount_display(self, obj):
        return money_cell(obj.amount)

    @display(description="Account")
    def account_display(self, obj):
        account = self._account(obj)
        return account.account_number if account else "—"

    @display(description="Member")
    def member_display(self, obj):
        account = self._account(obj)
        return account.member.full_name if account else "—"

    @display(description="Handled by")
    def handled_by(self, obj):
        return person(obj.initiated_by)

