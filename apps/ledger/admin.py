"""The staff console's banking screens: chart of accounts, products, service charges, ledger policy,
accounts, transactions and journal entries, plus the teller pages and approvals queue.

Nothing here moves money or changes an account itself: admin saves, actions and pages call
`apps.ledger.services` and show what a service refuses.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html
from import_export.admin import ExportMixin
from import_export.formats.base_formats import CSV
from simple_history.admin import SimpleHistoryAdmin
from unfold.admin import ModelAdmin, TabularInline
from unfold.contrib.filters.admin import RangeDateFilter
from unfold.contrib.import_export.forms import ExportForm
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
from apps.core.business_day import reporting_date
from apps.core.money import money_cell
from apps.core.roles import Role
from apps.members.admin import MemberAdmin
from apps.members.selectors import members_visible_to

from . import admin_views, contributions, services
from .errors import LedgerError
from .forms import ContributionDialogForm, ReasonDialogForm
from .models import Account, GLAccount, JournalEntry, LedgerPolicy, Posting, Product, ServiceCharge, Transaction
from .resources import AccountExportResource, TransactionExportResource
from .selectors import accounts_visible_to, transactions_visible_to
from .teller import recent_movements

ACCOUNT_STATUS_COLOURS = {"Active": "success", "Frozen": "info", "Dormant": "warning", "Closed": "danger"}
TXN_STATUS_COLOURS = {"Pending approval": "warning", "Completed": "success", "Failed": "danger",
                      "Cancelled": "danger"}
SERVICE_ERRORS = (ValidationError, PermissionDenied, LedgerError)


def admin_link(obj, text=None) -> str:
    if obj is None:
        return "—"
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}" class="text-primary-600 dark:text-primary-500">{}</a>', url, text or str(obj))


class LedgerAdmin(ReadOnlyHistoryMixin, ServiceFormMixin, SimpleHistoryAdmin, ModelAdmin):
    service_errors = SERVICE_ERRORS

    def has_delete_permission(self, request, obj=None):
        return False  # ledger rows are retired (is_active, status), never deleted


class AuditedConfigAdmin(LedgerAdmin):
    """Bank-wide settings: a change is a privileged action, so it is audited as well as historied."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        record(request.user, f"{obj._meta.model_name}.{'change' if change else 'add'}", obj, request=request,
               fields=sorted(form.changed_data))


# --- configuration (operations managers) -------------------------------------------------------------

@admin.register(GLAccount)
class GLAccountAdmin(AuditedConfigAdmin):
    list_display = ("code", "name", "type", "is_active")
    list_filter = ("type", "is_active")
    search_fields = ("code", "name")
    ordering = ("code",)

    def get_readonly_fields(self, request, obj=None):
        # A posted-to account keeps its code and type: the trial balance and every product depend on them.
        return ("code", "type") if obj is not None else ()


@admin.register(Product)
class ProductAdmin(AuditedConfigAdmin):
    list_display = ("name", "code", "kind", "control_account", "minimum_balance", "allows_withdrawal",
                    "daily_withdrawal_limit", "is_active")
    list_filter = ("kind", "is_active", "allows_withdrawal")
    search_fields = ("name", "code")
    fieldsets = (
        (None, {"fields": ("name", "code", "kind", "control_account", "is_active")}),
        ("Rules", {"fields": ("minimum_balance", "allows_withdrawal", "daily_withdrawal_limit")}),
        ("Life cycle", {
            "fields": ("cycle_days", "commission_mode", "commission_rate", "early_withdrawal", "interest_rate",
                       "dormancy_days", "share_price", "dividend_destination"),
            "description": "How accounts of this product live from day to day: Susu cycles and commission, "
                           "interest, dormancy, share price and dividends. Each field says which kind of "
                           "product it is for.",
        }),
    )

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        # Balances of existing accounts sit in the control account: moving them is a journal job, not an edit.
        fixed = ("code", "kind", "control_account")
        # Susu cycles are counted from each account's opening in steps of cycle_days, and shares are held
        # as balance / share_price: changing either under open accounts would move past cycles (and
        # charge their commission again) or change how many shares members hold.
        if obj.accounts.exists():
            fixed += ("cycle_days", "share_price")
        return fixed


@admin.register(ServiceCharge)
class ServiceChargeAdmin(AuditedConfigAdmin):
    list_display = ("name", "transaction_type", "product", "kind", "amount", "rate", "minimum", "maximum",
                    "is_active")
    list_filter = ("transaction_type", "kind", "is_active", "product")
    search_fields = ("name",)
    fieldsets = (
        (None, {"fields": ("name", "transaction_type", "product", "is_active")}),
        ("Charge", {"fields": ("kind", "amount", "rate", "minimum", "maximum")}),
    )


@admin.register(LedgerPolicy)
class LedgerPolicyAdmin(AuditedConfigAdmin):
    """One row: the changelist opens it."""

    fields = ("approval_threshold", "updated_at")
    readonly_fields = ("updated_at",)

    def has_add_permission(self, request):
        return False

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        return HttpResponseRedirect(reverse("admin:ledger_ledgerpolicy_change", args=[LedgerPolicy.current().pk]))


# --- accounts --------------------------------------------------------------------------------------------

class AccountStatusMixin:
    """Freeze / unfreeze / reactivate / close, each with a reason, through account_set_status."""

    def _status_of(self, object_id):
        return Account.objects.filter(pk=object_id).values_list("status", flat=True).first()

    def _may_set_status(self, request, object_id, allowed_from):
        if not request.user.has_perm("ledger.freeze_account"):
            return False
        return object_id is None or self._status_of(object_id) in allowed_from

    def has_freeze_permission(self, request, object_id=None):
        return self._may_set_status(request, object_id, (Account.Status.ACTIVE, Account.Status.DORMANT))

    def has_unfreeze_permission(self, request, object_id=None):
        return self._may_set_status(request, object_id, (Account.Status.FROZEN,))

    def has_reactivate_permission(self, request, object_id=None):
        return self._may_set_status(request, object_id, (Account.Status.DORMANT,))

    def has_close_permission(self, request, object_id=None):
        return self._may_set_status(request, object_id,
                                    (Account.Status.ACTIVE, Account.Status.FROZEN, Account.Status.DORMANT))

    def _set_status(self, request, object_id, form, status, done):
        account = self.get_object(request, object_id)
        try:
            services.account_set_status(actor=request.user, account=account, status=status,
                                        reason=form.cleaned_data["reason"], request=request)
        except SERVICE_ERRORS as exc:
            for message in error_messages(exc):
                messages.error(request, message)
        else:
            messages.success(request, f"Account {account.account_number} {done}.")
        return action_done(request, reverse("admin:ledger_account_change", args=[account.pk]))

    @action(description="Freeze", icon="ac_unit", permissions=["freeze"], variant=ActionVariant.DANGER,
            dialog={"title": "Freeze account", "description": "No money moves in or out until it is unfrozen.",
                    "form_class": ReasonDialogForm, "form_submit_text": "Freeze"})
    def freeze(self, request, form, object_id):
        return self._set_status(request, object_id, form, Account.Status.FROZEN, "is frozen")

    @action(description="Unfreeze", icon="lock_open", permissions=["unfreeze"], variant=ActionVariant.SUCCESS,
            dialog={"title": "Unfreeze account", "description": "The account takes movements again.",
                    "form_class": ReasonDialogForm, "form_submit_text": "Unfreeze"})
    def unfreeze(self, request, form, object_id):
        return self._set_status(request, object_id, form, Account.Status.ACTIVE, "is active again")

    @action(description="Reactivate", icon="restart_alt", permissions=["reactivate"],
            variant=ActionVariant.SUCCESS,
            dialog={"title": "Reactivate dormant account", "description": "Confirm you have seen the member.",
                    "form_class": ReasonDialogForm, "form_submit_text": "Reactivate"})
    def reactivate(self, request, form, object_id):
        return self._set_status(request, object_id, form, Account.Status.ACTIVE, "is active again")

    @action(description="Close", icon="block", permissions=["close"], variant=ActionVariant.DANGER,
            dialog={"title": "Close account", "description": "Only an account with a zero balance and nothing on "
                                                             "hold can be closed. This cannot be undone.",
                    "form_class": ReasonDialogForm, "form_submit_text": "Close account"})
    def close(self, request, form, object_id):
        return self._set_status(request, object_id, form, Account.Status.CLOSED, "is closed")

    def has_set_contribution_permission(self, request, object_id=None):
        if request.user.role not in contributions.SETTERS:
            return False
        return object_id is None or Account.objects.filter(
            pk=object_id, product__kind__in=contributions.CONTRIBUTION_KINDS).exclude(
            status=Account.Status.CLOSED).exists()

    @action(description="Set contribution", icon="savings", permissions=["set_contribution"],
            dialog={"title": "Set the contribution",
                    "description": "The fixed amount the member promises to pay: each day for Daily Susu, each "
                                   "month for Monthly Contribution. Missed days and months are counted against it.",
                    "form_class": ContributionDialogForm, "form_submit_text": "Save"})
    def set_contribution(self, request, form, object_id):
        account = self.get_object(request, object_id)
        try:
            contributions.contribution_set(actor=request.user, account=account,
                                           amount=form.cleaned_data["contribution_amount"], request=request)
        except SERVICE_ERRORS as exc:
            for message in error_messages(exc):
                messages.error(request, message)
        else:
            messages.success(request, f"Contribution for {account.account_number} saved.")
        return action_done(request, reverse("admin:ledger_account_change", args=[account.pk]))


@admin.register(Account)
class AccountAdmin(AccountStatusMixin, AuditedExportMixin, ExportMixin, LedgerAdmin):
    list_display = ("account_number", "member_link", "product", "balance_display", "available_display",
                    "status_badge")
    list_display_links = ("account_number",)
    list_filter = ("status", "product", ("opened_on", RangeDateFilter))
    list_filter_submit = True
    search_fields = ("account_number", "member__member_number", "member__first_name", "member__last_name")
    search_help_text = "Account number, member number or member name."
    list_select_related = ("member", "product")
    ordering = ("account_number",)
    autocomplete_fields = ("member",)
    add_fieldsets = ((None, {"fields": ("member", "product")}),)
    fieldsets = (
        ("Account", {"fields": ("account_number", "member_link", "product", "status_badge", "status_reason",
                                "opened_on", "opened_by", "closed_at")}),
        ("Balances", {"fields": ("balance_display", "held_display", "available_display")}),
    )
    readonly_fields = ("account_number", "member_link", "status_badge", "status_reason", "opened_on", "opened_by",
                       "closed_at", "balance_display", "held_display", "available_display")
    actions_detail = ["set_contribution", "freeze", "unfreeze", "reactivate", "close"]
    change_form_after_template = "ledger/admin/account_movements.html"
    formats = [CSV]
    export_form_class = ExportForm
    service_field_map = {"member_id": "member", "account_type": "product"}

    def get_queryset(self, request):
        return accounts_visible_to(request.user).select_related("product__control_account", "opened_by")

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("No such account, or not one you may see.")
        return obj

    def get_export_resource_classes(self, request):
        return [AccountExportResource]

    def has_change_permission(self, request, obj=None):
        return False  # balances move only through postings; status only through the actions

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "member":
            kwargs["queryset"] = members_visible_to(request.user)
        if db_field.name == "product":
            kwargs["queryset"] = Product.objects.filter(is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            raise PermissionDenied
        account = self.call_service(services.account_open, actor=request.user, member=form.cleaned_data["member"],
                                    product=form.cleaned_data["product"], request=request)
        copy_saved(obj, account)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        account = self.get_object(request, object_id)
        try:
            statement_url = reverse("admin:account_statement", args=[account.pk])  # the reports app's page
        except NoReverseMatch:
            statement_url = None
        extra_context = {**(extra_context or {}), "movements": recent_movements(account, limit=20),
                         "standing": contributions.account_standing(account, reporting_date()),
                         "transactions_url": reverse("admin:ledger_transaction_changelist")
                         + f"?q={account.account_number}", "statement_url": statement_url}
        return super().change_view(request, object_id, form_url, extra_context)

    @display(description="Member", ordering="member__last_name")
    def member_link(self, obj):
        return admin_link(obj.member, f"{obj.member.full_name} ({obj.member.member_number})")

    @display(description="Balance", ordering="balance")
    def balance_display(self, obj):
        return money_cell(obj.balance)

    @display(description="On hold")
    def held_display(self, obj):
        return money_cell(obj.held_balance)

    @display(description="Available")
    def available_display(self, obj):
        return money_cell(obj.available_balance)

    @display(description="Status", label=ACCOUNT_STATUS_COLOURS, ordering="status")
    def status_badge(self, obj):
        return obj.get_status_display()


class MemberAccountInline(TabularInline):
    """On a member's page: their accounts, read-only, each linking to the account."""

    model = Account
    extra = 0
    max_num = 0
    tab = True
    can_delete = False
    show_change_link = True
    verbose_name_plural = "Accounts"
    fields = ("account_number", "product", "balance_display", "available_display", "status_badge")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("product")

    @display(description="Balance")
    def balance_display(self, obj):
        return money_cell(obj.balance)

    @display(description="Available")
    def available_display(self, obj):
        return money_cell(obj.available_balance)

    @display(description="Status", label=ACCOUNT_STATUS_COLOURS)
    def status_badge(self, obj):
        return obj.get_status_display()


# The members app sits below the ledger and never imports it: the ledger adds its inline there.
MemberAdmin.inlines = [*MemberAdmin.inlines, MemberAccountInline]


# --- transactions and the journal ------------------------------------------------------------------

class ReversalActionMixin:
    """"Request reversal" on a completed transaction (or its journal entry): waits for approval."""

    reversal_roles = (Role.CASHIER, Role.MANAGER, Role.OPERATIONS_MANAGER, Role.ADMIN)
    # The lookup from the admin's object to its transaction: "pk" (a transaction) or "entry__pk" (an entry).
    transaction_lookup = "pk"

    def _transaction_for(self, object_id) -> Transaction | None:
        return Transaction.objects.filter(**{self.transaction_lookup: object_id}).first()

    def has_reverse_permission(self, request, object_id=None):
        if getattr(request.user, "role", None) not in self.reversal_roles:
            return False
        if object_id is None:
            return True
        txn = self._transaction_for(object_id)
        return (txn is not None and txn.status == Transaction.Status.COMPLETED
                and txn.transaction_type != Transaction.Type.REVERSAL
                and not Transaction.objects.filter(reverses=txn).exists())

    @action(description="Request reversal", icon="undo", permissions=["reverse"], variant=ActionVariant.DANGER,
            dialog={"title": "Request a reversal",
                    "description": "A reversal posts the opposite entry once a different manager approves it.",
                    "form_class": ReasonDialogForm, "form_submit_text": "Request reversal"})
    def request_reversal(self, request, form, object_id):
        self.get_object(request, object_id)  # 404 unless visible
        txn = self._transaction_for(object_id)
        try:
            reversal = services.reversal_request(actor=request.user, original=txn,
                                                 reason=form.cleaned_data["reason"], request=request)
        except SERVICE_ERRORS as exc:
            for message in error_messages(exc):
                messages.error(request, message)
        else:
            messages.success(request, f"Reversal {reversal.reference} requested; it waits for a manager's approval.")
        opts = self.model._meta
        return action_done(request, reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[object_id]))


@admin.register(Transaction)
class TransactionAdmin(ReversalActionMixin, AuditedExportMixin, ExportMixin, LedgerAdmin):
    list_display = ("reference", "transaction_type", "status_badge", "amount_display", "fee_display",
                    "from_link", "to_link", "business_date", "initiated_by", "created_at")
    list_filter = ("transaction_type", "status", ("business_date", RangeDateFilter), "channel")
    list_filter_submit = True
    search_fields = ("reference", "from_account__account_number", "to_account__account_number")
    search_help_text = "Reference or account number."
    list_select_related = ("from_account", "to_account", "initiated_by")
    fieldsets = (
        (None, {"fields": ("reference", "transaction_type", "status_badge", "amount_display", "fee_display",
                           "description", "channel")}),
        ("Accounts", {"fields": ("from_link", "to_link", "counterparty")}),
        ("Who and when", {"fields": ("business_date", "initiated_by", "created_at", "approved_by", "decided_at",
                                     "decision_note", "completed_at")}),
        ("Reversal", {"fields": ("reverses_link", "reversed_by_link")}),
    )
    readonly_fields = ("reference", "transaction_type", "status_badge", "amount_display", "fee_display",
                       "description", "channel", "from_link", "to_link", "counterparty", "business_date",
                       "initiated_by", "created_at", "approved_by", "decided_at", "decision_note", "completed_at",
                       "reverses_link", "reversed_by_link")
    actions_detail = ["request_reversal"]
    change_form_after_template = "ledger/admin/transaction_entry.html"
    formats = [CSV]
    export_form_class = ExportForm

    def get_queryset(self, request):
        return transactions_visible_to(request.user).select_related("approved_by", "counterparty_gl", "reverses")

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("No such transaction, or not one you may see.")
        return obj

    def get_export_resource_classes(self, request):
        return [TransactionExportResource]

    def has_add_permission(self, request):
        return False  # money moves through the teller screens and the API

    def has_change_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        txn = self.get_object(request, object_id)
        entry = JournalEntry.objects.filter(transaction=txn).first()
        postings = list(entry.postings.select_related("gl_account", "account")) if entry else []
        extra_context = {**(extra_context or {}), "entry": entry, "postings": postings,
                         "can_see_journal": request.user.has_perm("ledger.view_journalentry"),
                         "receipt_url": reverse("admin:ledger_teller_receipt", args=[txn.pk])}
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        def page(view_class):
            return self.admin_site.admin_view(view_class.as_view(model_admin=self))

        custom = [
            path("teller/deposit/", page(admin_views.DepositView), name="ledger_teller_deposit"),
            path("teller/withdrawal/", page(admin_views.WithdrawalView), name="ledger_teller_withdrawal"),
            path("teller/transfer/", page(admin_views.TransferView), name="ledger_teller_transfer"),
            path("teller/payment/", page(admin_views.PaymentView), name="ledger_teller_payment"),
            path("teller/fee/", page(admin_views.FeeView), name="ledger_teller_fee"),
            path("teller/shares-exit/", page(admin_views.SharesExitView), name="ledger_teller_shares_exit"),
            path("teller/lookup/", page(admin_views.AccountLookupView), name="ledger_teller_lookup"),
            path("teller/receipt/<int:pk>/", page(admin_views.ReceiptView), name="ledger_teller_receipt"),
            path("approvals/", page(admin_views.ApprovalsView), name="ledger_approvals"),
            path("approvals/<int:pk>/<str:decision>/", page(admin_views.ApprovalDecisionView),
                 name="ledger_approval_decide"),
        ]
        return custom + super().get_urls()

    @display(description="Status", label=TXN_STATUS_COLOURS, ordering="status")
    def status_badge(self, obj):
        return obj.get_status_display()

    @display(description="Amount", ordering="amount")
    def amount_display(self, obj):
        return money_cell(obj.amount)

    @display(description="Fee")
    def fee_display(self, obj):
        return money_cell(obj.fee)

    @display(description="From")
    def from_link(self, obj):
        return admin_link(obj.from_account, obj.from_account.account_number) if obj.from_account else "—"

    @display(description="To")
    def to_link(self, obj):
        return admin_link(obj.to_account, obj.to_account.account_number) if obj.to_account else "—"

    @display(description="Reverses")
    def reverses_link(self, obj):
        return admin_link(obj.reverses, obj.reverses.reference) if obj.reverses_id else "—"

    @display(description="Other side (GL)")
    def counterparty(self, obj):
        return str(obj.counterparty_gl) if obj.counterparty_gl_id else "—"

    @display(description="Reversed by")
    def reversed_by_link(self, obj):
        reversal = Transaction.objects.filter(reverses=obj).first()
        if reversal is None:
            return "—"
        return format_html("{} ({})", admin_link(reversal, reversal.reference), reversal.get_status_display())


class PostingInline(TabularInline):
    model = Posting
    extra = 0
    max_num = 0
    can_delete = False
    fields = ("gl_account", "account", "debit", "credit")
    readonly_fields = fields
    verbose_name_plural = "Postings"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(JournalEntry)
class JournalEntryAdmin(ReversalActionMixin, ModelAdmin):
    """Append-only: entries are read, never added, edited or deleted here. (Entries and postings have
    no simple-history table: they never change, so they are their own history.)"""

    list_display = ("reference", "business_date", "description", "transaction_link", "created_by", "created_at",
                    "reverses_link")
    list_filter = (("business_date", RangeDateFilter),)
    list_filter_submit = True
    search_fields = ("reference", "transaction__reference", "description")
    list_select_related = ("transaction", "created_by", "reverses")
    fields = ("reference", "business_date", "description", "transaction_link", "created_by", "created_at",
              "reverses_link")
    readonly_fields = fields
    inlines = [PostingInline]
    actions_detail = ["request_reversal"]

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("No such journal entry.")
        return obj

    transaction_lookup = "entry__pk"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @display(description="Transaction")
    def transaction_link(self, obj):
        return admin_link(obj.transaction, obj.transaction.reference) if obj.transaction_id else "—"

    @display(description="Reverses")
    def reverses_link(self, obj):
        return admin_link(obj.reverses, obj.reverses.reference) if obj.reverses_id else "—"
