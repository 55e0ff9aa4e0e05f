"""Custom pages of the staff console: teller screens (deposit, withdrawal, transfer, payment, fee),
receipts, the account look-up, and the managers' approvals queue. Mounted by TransactionAdmin.get_urls().

The pages are thin: they validate input, show what will happen, and call `services`; whatever a
service refuses is shown on the form and nothing is posted.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView
from unfold.views import UnfoldModelAdminViewMixin

from apps.core.admin_mixins import add_service_error, error_messages
from apps.core.money import format_money
from apps.core.roles import Role

from . import services
from .errors import LedgerError
from .forms import (
    FeeForm,
    PaymentForm,
    SharesExitForm,
    TellerForm,
    TransferForm,
    exit_destinations,
    new_idempotency_key,
)
from .models import ZERO, LedgerPolicy, Product, Transaction
from .selectors import pending_approvals, transactions_visible_to
from .teller import account_lookup, balance_after

SERVICE_ERRORS = (ValidationError, PermissionDenied, LedgerError)
T = Transaction.Type


class StaffPage(UnfoldModelAdminViewMixin):
    """An admin page that decides access itself (roles the services accept)."""

    roles: tuple[str, ...] = ()
    permission_required = ()

    def has_permission(self):
        user = self.request.user
        return user.is_staff and (not self.roles or getattr(user, "role", None) in self.roles) and super(
        ).has_permission()


# --- teller screens ------------------------------------------------------------------------------

class TellerView(StaffPage, TemplateView):
    """Three steps on one URL: the entry form (GET, or POST step=edit), the confirmation page
    (POST step=review) and posting (POST step=confirm), which redirects to the receipt."""

    kind = T.DEPOSIT
    service = "deposit_create"  # the function in `services` that posts it
    money_out = False  # the account pays (and so may fall short)
    form_class = TellerForm
    roles = (Role.CASHIER,)
    permission_required = ("ledger.add_transaction",)
    title = "Deposit"
    action_label = "Post deposit"
    template_name = "ledger/admin/teller_form.html"
    confirm_template_name = "ledger/admin/teller_confirm.html"
    service_field_map = {"account_id": "account", "amount": "amount", "description": "description"}

    def get_title(self):
        return self.title

    def get_context_data(self, **kwargs):
        self.title = self.get_title()
        context = super().get_context_data(**kwargs)
        context.update({"kind": self.kind, "action_label": self.action_label,
                        "lookup_url": reverse("admin:ledger_teller_lookup"),
                        "tabs": teller_tabs(self.request)})
        return context

    def new_form(self, data=None, initial=None):
        return self.form_class(self.request.user, data=data, initial=initial)

    def get(self, request, *args, **kwargs):
        initial = {"idempotency_key": new_idempotency_key(), "account": request.GET.get("account", "").strip()}
        query = request.GET.get("q", "").strip()
        results = list(account_lookup(request.user, query)) if query else None
        return self.render_to_response(self.get_context_data(form=self.new_form(initial=initial), query=query,
                                                             results=results))

    def post(self, request, *args, **kwargs):
        form = self.new_form(data=request.POST)
        step = request.POST.get("step", "review")
        if step == "edit" or not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        if step == "confirm":
            return self.confirm(form)
        return self.review(form)

    # step 2: what will happen. The service runs every check posting runs (review=True posts
    # nothing), so a refusal shows here, with its own reason, and never after "Post".
    def preview(self, form, check: services.MovementCheck) -> dict:
        data = form.cleaned_data
        account, amount = data["account"], data["amount"]
        threshold = check.approval_threshold
        return {
            "account": account, "member": account.member, "to_account": data.get("to_account"),
            "amount": amount, "fee": check.fee, "balance_after": check.balance_after(account),
            "needs_approval": check.needs_approval,
            "approval_note": f"This is above the approval threshold of {format_money(threshold)}: it will wait for a "
                             "manager's approval before any money moves.",
        }

    def review(self, form):
        try:
            check = self.call_service(form, review=True)
        except SERVICE_ERRORS as exc:
            add_service_error(form, exc, self.service_field_map)
            return self.render_to_response(self.get_context_data(form=form, refused=True))
        context = self.get_context_data(form=form, preview=self.preview(form, check),
                                        confirm_title=f"Confirm {self.get_title().lower()}")
        return self.render_to_response(context, template_name=self.confirm_template_name)

    def render_to_response(self, context, template_name=None, **response_kwargs):
        if template_name:
            return self.response_class(request=self.request, template=[template_name], context=context,
                                       using=self.template_engine, **response_kwargs)
        return super().render_to_response(context, **response_kwargs)

    # step 3: post it
    def call_service(self, form, *, review: bool = False):
        data = form.cleaned_data
        return getattr(services, self.service)(
            actor=self.request.user, account=data["account"], amount=data["amount"],
            description=data["description"], channel="admin", idempotency_key=data["idempotency_key"],
            review=review)

    def confirm(self, form):
        try:
            txn = self.call_service(form)
        except SERVICE_ERRORS as exc:
            if getattr(exc, "code", None) == "idempotency_conflict":
                # This form already posted something else: give it a fresh key so it can post again.
                data = form.data.copy()
                data[form.add_prefix("idempotency_key")] = new_idempotency_key()
                form = self.new_form(data=data)
                form.is_valid()
                form.add_error(None, "This form had already posted a different transaction, and nothing new "
                                     "was posted. Check the details and post again.")
            else:
                add_service_error(form, exc, self.service_field_map)
            return self.render_to_response(self.get_context_data(form=form))
        return HttpResponseRedirect(reverse("admin:ledger_teller_receipt", args=[txn.pk]))


class DepositView(TellerView):
    kind = T.DEPOSIT
    roles = (Role.CASHIER, Role.MOBILE_BANKER)
    title = "Deposit"
    action_label = "Post deposit"

    def get_title(self):
        return "Field deposit" if self.request.user.role == Role.MOBILE_BANKER else "Deposit"


class WithdrawalView(TellerView):
    kind = T.WITHDRAWAL
    service = "withdrawal_create"
    money_out = True
    roles = (Role.CASHIER,)
    title = "Withdrawal"
    action_label = "Pay out withdrawal"


class TransferView(TellerView):
    kind = T.TRANSFER
    money_out = True
    form_class = TransferForm
    roles = (Role.CASHIER, Role.MANAGER)
    title = "Transfer"
    action_label = "Post transfer"
    service_field_map = {"from_account_id": "account", "to_account_number": "to_account", "amount": "amount",
                         "description": "description"}

    def call_service(self, form, *, review: bool = False):
        data = form.cleaned_data
        return services.transfer_create(actor=self.request.user, from_account=data["account"],
                                        to_account_number=data["to_account"].account_number, amount=data["amount"],
                                        description=data["description"], channel="admin",
                                        idempotency_key=data["idempotency_key"], review=review)


class PaymentView(TellerView):
    """Money paid from a member's account to an outside payee (through payments clearing)."""

    kind = T.PAYMENT
    service = "payment_create"
    money_out = True
    form_class = PaymentForm
    roles = services.PAYMENT_ROLES
    title = "Payment"
    action_label = "Post payment"


class FeeView(TellerView):
    """A one-off service charge taken from a member's account into fee income."""

    kind = T.FEE
    service = "fee_charge"
    money_out = True
    form_class = FeeForm
    roles = services.FEE_ROLES
    # Operations managers charge fees but post no other movement (no ledger.add_transaction): the
    # service's roles decide.
    permission_required = ("ledger.view_account",)
    title = "Fee"
    action_label = "Charge fee"


class SharesExitView(TellerView):
    """A member's exit: the whole of their shares paid into another account of theirs. It is only
    submitted here; a manager approves it (four eyes) before any money moves."""

    kind = "shares_exit"  # not a transaction type: it submits a transfer with the member-exit purpose
    form_class = SharesExitForm
    roles = services.SHARES_REDEEM_ROLES
    # Operations managers post no other movement (no ledger.add_transaction): the service's roles decide.
    permission_required = ("ledger.view_account",)
    title = "Shares pay-out (member exit)"
    action_label = "Submit for approval"
    template_name = "ledger/admin/shares_exit_form.html"
    confirm_template_name = "ledger/admin/shares_exit_confirm.html"
    service_field_map = {"account_id": "account", "to_account_number": "to_account", "reason": "reason"}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context.get("form")
        number = ""
        if form is not None:
            number = form.raw("account") if form.is_bound else form.initial.get("account", "")
        context["shares_account"], context["destinations"] = exit_destinations(self.request.user, number)
        context["lookup_url"] = reverse("admin:ledger_teller_lookup") + "?kind=shares"
        return context

    def get(self, request, *args, **kwargs):
        initial = {"idempotency_key": new_idempotency_key(), "account": request.GET.get("account", "").strip()}
        query = request.GET.get("q", "").strip()
        results = list(account_lookup(request.user, query, kind=Product.Kind.SHARES)) if query else None
        return self.render_to_response(self.get_context_data(form=self.new_form(initial=initial), query=query,
                                                             results=results))

    def call_service(self, form, *, review: bool = False):
        data = form.cleaned_data
        return services.shares_redeem(actor=self.request.user, shares_account=data["account"],
                                      to_account_number=data["to_account"], reason=data["reason"],
                                      request=self.request, idempotency_key=data["idempotency_key"], review=review)

    def preview(self, form, check: services.MovementCheck) -> dict:
        account, target = check.txn.from_account, check.txn.to_account
        return {"account": account, "member": account.member, "to_account": target, "amount": check.txn.amount,
                "fee": check.fee, "to_balance_after": check.balance_after(target),
                "reason": form.cleaned_data["reason"]}


# Each teller screen by the transaction type it posts (URL name: admin:ledger_teller_<type>); the
# shares pay-out by its own kind (it submits a transfer).
TELLER_VIEWS = {view.kind: view for view in (DepositView, WithdrawalView, TransferView, PaymentView, FeeView,
                                             SharesExitView)}


def teller_tabs(request) -> list[dict]:
    """The teller screens this person may use, for the tab strip above the form."""
    role = getattr(request.user, "role", None)
    tabs = []
    for kind, view in TELLER_VIEWS.items():
        if role in view.roles:
            url = reverse(f"admin:ledger_teller_{kind}")
            title = "Field deposit" if kind == T.DEPOSIT and role == Role.MOBILE_BANKER else view.title
            tabs.append({"title": title, "link": url, "active": request.path == url, "has_permission": True})
    return tabs


class AccountLookupView(StaffPage, View):
    """JSON for the teller screens' look-up box: accounts by number, member number or name."""

    roles = (Role.CASHIER, Role.MOBILE_BANKER, Role.MANAGER, Role.OPERATIONS_MANAGER)
    permission_required = ("ledger.view_account",)

    def get(self, request, *args, **kwargs):
        kind = request.GET.get("kind", "").strip() or None  # the shares pay-out looks up Shares accounts only
        results = [{
            "account_number": account.account_number,
            "member_name": account.member.full_name,
            "member_number": account.member.member_number,
            "product": account.product.name,
            "status": account.get_status_display(),
        } for account in account_lookup(request.user, request.GET.get("q", ""), kind=kind)]
        return JsonResponse({"results": results})


class ReceiptView(StaffPage, TemplateView):
    """A printable receipt for a completed movement; 'waiting for approval' while it is pending."""

    roles = (Role.CASHIER, Role.MOBILE_BANKER, Role.MANAGER, Role.OPERATIONS_MANAGER, Role.ADMIN)
    permission_required = ("ledger.view_transaction",)
    title = "Receipt"
    template_name = "ledger/admin/teller_receipt.html"

    def get_context_data(self, **kwargs):
        txn = get_object_or_404(transactions_visible_to(self.request.user).select_related(
            "from_account__member", "from_account__product__control_account", "to_account__member",
            "to_account__product__control_account", "initiated_by", "approved_by"), pk=self.kwargs["pk"])
        if txn.status == Transaction.Status.PENDING:
            self.title = "Waiting for approval"
        account = txn.from_account or txn.to_account
        entry = getattr(txn, "entry", None) if txn.status == Transaction.Status.COMPLETED else None
        new_balance = balance_after(account, entry) if entry is not None and account is not None else None
        context = super().get_context_data(**kwargs)
        context.update({"txn": txn, "account": account, "member": account.member if account else None,
                        "new_balance": new_balance, "entry": entry,
                        "total": txn.amount + (txn.fee or ZERO),
                        "again_url": _again_url(self.request, txn)})
        return context


def _again_url(request, txn) -> str | None:
    view = TELLER_VIEWS.get("shares_exit" if txn.purpose == services.MEMBER_EXIT else txn.transaction_type)
    if view is not None and getattr(request.user, "role", None) in view.roles:
        return reverse(f"admin:ledger_teller_{view.kind}")
    return None


# --- approvals -------------------------------------------------------------------------------------

class ApprovalsView(StaffPage, TemplateView):
    """Transactions waiting for a second person. Managers approve or reject; never their own."""

    permission_required = ("ledger.approve_transaction",)
    title = "Approvals"
    template_name = "ledger/admin/approvals.html"

    def get_context_data(self, **kwargs):
        now = timezone.now()
        rows = []
        for txn in pending_approvals():
            rows.append({"txn": txn, "own": txn.initiated_by_id == self.request.user.pk, "reason": txn.reason,
                         "age": now - txn.created_at})
        context = super().get_context_data(**kwargs)
        context.update({"rows": rows, "threshold": LedgerPolicy.current().approval_threshold,
                        "own_attrs": {"disabled": True, "type": "button",
                                      "title": "A second person must decide: you started this transaction."}})
        return context


class ApprovalDecisionView(StaffPage, View):
    permission_required = ("ledger.approve_transaction",)
    http_method_names = ["post"]

    def post(self, request, pk, decision, *args, **kwargs):
        txn = get_object_or_404(Transaction, pk=pk)
        try:
            if decision == "approve":
                services.transaction_approve(actor=request.user, txn=txn, request=request)
                messages.success(request, f"{txn.reference} approved and posted.")
            elif decision == "reject":
                services.transaction_reject(actor=request.user, txn=txn, reason=request.POST.get("reason", ""),
                                            request=request)
                messages.success(request, f"{txn.reference} rejected; nothing was posted.")
            else:
                raise Http404
        except SERVICE_ERRORS as exc:
            for message in error_messages(exc):
                messages.error(request, f"{txn.reference}: {message}")
        return HttpResponseRedirect(reverse("admin:ledger_approvals"))


def pending_approvals_badge(request) -> int | None:
    if not request.user.has_perm("ledger.approve_transaction"):
        return None
    return pending_approvals().count() or None
