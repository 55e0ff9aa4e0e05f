"""Custom pages of the staff console for cash: the cashier's drawer, managers' sign-offs and the
branch cash position, and the mobile banker's field pages (collection sheet, receipt, remittance,
onboarding). Mounted by CashDrawerAdmin.get_urls() and CollectionRunAdmin.get_urls().

Each page decides who may use it by role (403 for anyone else) and is wrapped in
admin_site.admin_view, so the console's sign-in and second-factor rules apply first. The pages
are thin: they check what was typed and call `services`; a refusal is shown and nothing is posted.
"""

from decimal import Decimal
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Sum
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView
from unfold.views import UnfoldModelAdminViewMixin

from apps.core.admin_mixins import add_service_error, error_messages
from apps.core.business_day import BusinessDayClosed, current_business_date
from apps.core.money import format_money
from apps.core.roles import Role
from apps.ledger import chart
from apps.ledger.errors import LedgerError
from apps.ledger.models import ZERO, Posting, Transaction
from apps.ledger.selectors import accounts_visible_to
from apps.members.selectors import members_visible_to

from . import services
from .forms import (
    CollectForm,
    CountForm,
    DrawerCloseForm,
    FieldMemberForm,
    FloatIssueForm,
    MovementRequestForm,
    ReasonForm,
    RemitForm,
    VaultReceiveForm,
    denomination_label,
    new_key,
)
from .models import (
    CashDrawer,
    CashMovement,
    CashPolicy,
    ChequeDeposit,
    CollectionRun,
    Denomination,
    DrawerCount,
    FloatIssue,
)

SERVICE_ERRORS = (ValidationError, PermissionDenied, LedgerError)


class CashPage(UnfoldModelAdminViewMixin):
    """An admin page for the listed roles only; anyone else signed in gets 403."""

    roles: tuple[str, ...] = ()
    permission_required = ()

    def has_permission(self):
        user = self.request.user
        return (user.is_active and user.is_staff and getattr(user, "role", None) in self.roles
                and super().has_permission())


def business_date_or_none():
    try:
        return current_business_date()
    except BusinessDayClosed:
        return None


def count_rows(count: DrawerCount | None) -> list[dict]:
    """A stored count as table rows (largest denomination first), leaving out what was not there."""
    if count is None:
        return []
    kinds = {f"{d.value:.2f}": d for d in Denomination.objects.all()}
    rows = []
    for key, number in sorted(count.counts.items(), key=lambda item: Decimal(item[0]), reverse=True):
        if not number:
            continue
        denomination = kinds.get(key)
        rows.append({"label": denomination_label(denomination) if denomination else format_money(key),
                     "kind": denomination.get_kind_display() if denomination else "",
                     "count": number, "subtotal": Decimal(key) * number})
    return rows


def count_inputs(form: CountForm) -> list[dict]:
    return [{"denomination": d, "label": denomination_label(d), "field": field} for d, field in form.rows()]


# --- cashier: my drawer -------------------------------------------------------------------------

class MyDrawerView(CashPage, TemplateView):
    """Open the drawer by counting the float; while open, the live expected balance, what went through
    it, requests to the vault, and the closing count."""

    roles = (Role.CASHIER,)
    title = "My drawer"
    template_name = "cash/my_drawer.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        drawer = services.current_drawer(user)
        business_date = business_date_or_none()
        context.update({"drawer": drawer, "business_date": business_date,
                        "tolerance": CashPolicy.current().variance_tolerance})
        if drawer is None:
            issue = (FloatIssue.objects.filter(cashier=user, business_date=business_date, drawer__isnull=True)
                     .select_related("issued_by").first() if business_date else None)
            form = kwargs.get("open_form") or CountForm(prefix="open")
            context.update({"float_issue": issue, "open_form": form, "open_rows": count_inputs(form)})
        elif drawer.status == CashDrawer.Status.OPEN:
            close_form = kwargs.get("close_form") or DrawerCloseForm(prefix="close")
            context.update({
                "expected": services.drawer_expected(drawer),
                "opening_rows": count_rows(drawer.counts.filter(purpose=DrawerCount.Purpose.OPEN).first()),
                "activity": drawer_activity(drawer),
                "pending_withdrawals": Transaction.objects.filter(
                    counterparty_gl=drawer.gl_account, status=Transaction.Status.PENDING,
                    created_at__gte=drawer.opened_at).select_related("from_account__member"),
                "movements": drawer.movements.select_related("decided_by").order_by("-created_at"),
                "pending_movements": drawer.movements.filter(status=CashMovement.Status.PENDING).count(),
                "advance_form": kwargs.get("advance_form") or MovementRequestForm(prefix="advance"),
                "return_form": kwargs.get("return_form") or MovementRequestForm(prefix="return"),
                "open_panel": kwargs.get("open_panel", ""),
                "close_form": close_form, "close_rows": count_inputs(close_form),
                "expected_url": reverse("admin:cash_my_drawer_expected"),
            })
        else:
            context["result_url"] = reverse("admin:cash_drawer_result", args=[drawer.pk])
        return context

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action")
        if action == "open":
            return self.open_drawer()
        if action == "close":
            return self.close_drawer()
        if action in (CashMovement.Kind.ADVANCE, CashMovement.Kind.RETURN):
            return self.request_movement(action)
        messages.error(request, "Choose what to do with the drawer.")
        return HttpResponseRedirect(reverse("admin:cash_my_drawer"))

    def _page(self, **forms):
        return self.render_to_response(self.get_context_data(**forms))

    def open_drawer(self):
        form = CountForm(self.request.POST, prefix="open")
        if form.is_valid():
            try:
                drawer = services.drawer_open(actor=self.request.user, denominations=form.counts(),
                                              request=self.request)
            except SERVICE_ERRORS as exc:
                add_service_error(form, exc)
            else:
                messages.success(self.request, f"Drawer open with {format_money(drawer.opening_balance)}.")
                return HttpResponseRedirect(reverse("admin:cash_my_drawer"))
        return self._page(open_form=form)

    def close_drawer(self):
        form = DrawerCloseForm(self.request.POST, prefix="close")
        drawer = services.current_drawer(self.request.user)
        if drawer is None or drawer.status != CashDrawer.Status.OPEN:
            messages.error(self.request, "You have no open drawer to close.")
            return HttpResponseRedirect(reverse("admin:cash_my_drawer"))
        if form.is_valid():
            try:
                drawer = services.drawer_close(actor=self.request.user, drawer=drawer, denominations=form.counts(),
                                               total=form.cleaned_data["total"], request=self.request)
            except SERVICE_ERRORS as exc:
                add_service_error(form, exc)
            else:
                return HttpResponseRedirect(reverse("admin:cash_drawer_result", args=[drawer.pk]))
        return self._page(close_form=form, open_panel="close")

    def request_movement(self, kind):
        form = MovementRequestForm(self.request.POST, prefix=kind)
        if form.is_valid():
            try:
                movement = services.cash_movement_request(actor=self.request.user, kind=kind,
                                                          amount=form.cleaned_data["amount"],
                                                          reason=form.cleaned_data["reason"], request=self.request)
            except SERVICE_ERRORS as exc:
                add_service_error(form, exc)
            else:
                what = "cash advance" if kind == CashMovement.Kind.ADVANCE else "return to the vault"
                messages.success(self.request, f"Your {what} of {format_money(movement.amount)} is waiting for a "
                                               "manager's approval.")
                return HttpResponseRedirect(reverse("admin:cash_my_drawer"))
        return self._page(**{f"{kind}_form": form, "open_panel": kind})


def drawer_activity(drawer: CashDrawer) -> list[dict]:
    """Every posting on the drawer's cash account since it opened, oldest first, with the running
    balance: the float, each deposit and withdrawal, advances, returns and remittances received."""
    postings = (Posting.objects.filter(gl_account=drawer.gl_account, entry__created_at__gte=drawer.opened_at)
                .select_related("entry__transaction__to_account__member",
                                "entry__transaction__from_account__member")
                .order_by("entry__created_at", "entry_id", "id"))
    running, rows = ZERO, []
    for posting in postings:
        running += posting.debit - posting.credit
        txn = posting.entry.transaction
        account = (txn.to_account or txn.from_account) if txn else None
        rows.append({"posting": posting, "entry": posting.entry, "txn": txn, "account": account,
                     "cash_in": posting.debit, "cash_out": posting.credit, "balance": running})
    return rows


class MyDrawerExpectedView(CashPage, View):
    """The live expected balance of the cashier's open drawer (polled by the drawer page)."""

    roles = (Role.CASHIER,)

    def get(self, request, *args, **kwargs):
        drawer = services.current_drawer(request.user)
        if drawer is None or drawer.status != CashDrawer.Status.OPEN:
            return JsonResponse({"open": False})
        expected = services.drawer_expected(drawer)
        return JsonResponse({"open": True, "expected": f"{expected:.2f}", "expected_display": f"{expected:,.2f}"})


class DrawerResultView(CashPage, TemplateView):
    """After a close: expected, counted, variance and whether a manager must still sign it off."""

    roles = (Role.CASHIER, Role.MANAGER)
    title = "Drawer closed"
    template_name = "cash/drawer_result.html"

    def get_context_data(self, **kwargs):
        drawers = CashDrawer.objects.select_related("cashier", "approved_by")
        if self.request.user.role == Role.CASHIER:
            drawers = drawers.filter(cashier=self.request.user)
        drawer = get_object_or_404(drawers, pk=self.kwargs["pk"])
        if drawer.status == CashDrawer.Status.PENDING_APPROVAL:
            self.title = "Drawer waiting for sign-off"
        elif drawer.status == CashDrawer.Status.OPEN:
            self.title = "Drawer still open"
        context = super().get_context_data(**kwargs)
        context.update({"drawer": drawer, "tolerance": CashPolicy.current().variance_tolerance,
                        "closing_rows": count_rows(drawer.counts.filter(purpose=DrawerCount.Purpose.CLOSE).first())})
        return context


# --- managers: sign-offs and the branch cash position ----------------------------------------------

class DrawerSignOffsView(CashPage, TemplateView):
    """Drawers closed and field remittances counted with a variance above tolerance, and cash
    advances and returns, waiting for a manager. A manager never decides their own request."""

    roles = (Role.MANAGER,)
    title = "Drawer sign-offs"
    template_name = "cash/signoffs.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        drawers = (CashDrawer.objects.filter(status=CashDrawer.Status.PENDING_APPROVAL)
                   .select_related("cashier").order_by("closed_at"))
        context.update({
            "drawers": [{"drawer": drawer,
                         "closing_rows": count_rows(drawer.counts.filter(purpose=DrawerCount.Purpose.CLOSE).first())}
                        for drawer in drawers],
            "remittances": [{"run": run, "own": self.request.user.pk in (run.banker_id, run.remitted_to_id),
                             "rows": count_rows(run.counts.filter(purpose=DrawerCount.Purpose.REMITTANCE).first())}
                            for run in CollectionRun.objects.filter(status=CollectionRun.Status.PENDING_APPROVAL)
                            .select_related("banker", "remitted_to").order_by("remitted_at")],
            "movements": [{"movement": movement, "own": movement.requested_by_id == self.request.user.pk}
                          for movement in CashMovement.objects.filter(status=CashMovement.Status.PENDING)
                          .select_related("drawer__cashier", "requested_by").order_by("created_at")],
            "tolerance": CashPolicy.current().variance_tolerance,
        })
        return context

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action")
        try:
            if action == "signoff":
                drawer = get_object_or_404(CashDrawer, pk=request.POST.get("drawer"))
                form = ReasonForm(request.POST)
                if not form.is_valid():
                    raise ValidationError("Say why the variance is accepted.")
                services.drawer_approve_close(actor=request.user, drawer=drawer, note=form.cleaned_data["reason"],
                                              request=request)
                messages.success(request, f"Drawer of {name(drawer.cashier)} signed off; the cash is back in the "
                                          "vault.")
            elif action in ("remit_signoff", "remit_reject"):
                run = get_object_or_404(CollectionRun, pk=request.POST.get("run"))
                reason = request.POST.get("reason", "")
                if action == "remit_signoff":
                    services.field_remit_approve(actor=request.user, run=run, note=reason, request=request)
                    messages.success(request, f"Remittance of {name(run.banker)} signed off; the variance is posted "
                                              "to cash over and short.")
                else:
                    services.field_remit_reject(actor=request.user, run=run, reason=reason, request=request)
                    messages.success(request, f"Remittance variance of {name(run.banker)} rejected; it stays on "
                                              "their field cash.")
            elif action in ("approve", "reject"):
                movement = get_object_or_404(CashMovement, pk=request.POST.get("movement"))
                if action == "approve":
                    services.cash_movement_approve(actor=request.user, movement=movement, request=request)
                    messages.success(request, f"{movement.get_kind_display()} of {format_money(movement.amount)} "
                                              "approved and posted.")
                else:
                    services.cash_movement_reject(actor=request.user, movement=movement,
                                                  reason=request.POST.get("reason", ""), request=request)
                    messages.success(request, f"{movement.get_kind_display()} of {format_money(movement.amount)} "
                                              "rejected; nothing was posted.")
            else:
                messages.error(request, "Choose a decision.")
        except SERVICE_ERRORS as exc:
            for message in error_messages(exc):
                messages.error(request, message)
        return HttpResponseRedirect(reverse("admin:cash_drawer_signoffs"))


def name(user) -> str:
    return user.get_full_name() or user.email


def field_positions(business_date) -> list[dict]:
    """One row per field banker with cash on their books: the balance of their field cash account
    (one account per banker, whatever the day), their oldest run still collecting, and remittances
    whose variance waits for a manager (that difference is still on the account)."""
    unsettled = (CollectionRun.objects.filter(status__in=[CollectionRun.Status.OPEN,
                                                          CollectionRun.Status.PENDING_APPROVAL])
                 .select_related("banker", "gl_account").order_by("business_date", "banker__first_name"))
    rows: dict[int, dict] = {}
    for run in unsettled:
        row = rows.setdefault(run.gl_account_id, {"run": run, "banker": run.banker, "collecting": None,
                                                  "waiting": [], "late": False,
                                                  "uncollected": services.gl_balance(run.gl_account)})
        if run.status == CollectionRun.Status.OPEN:
            row["collecting"] = row["collecting"] or run
            row["late"] = row["late"] or (business_date is not None and run.business_date < business_date)
        else:
            row["waiting"].append(run)
        row["run"] = row["collecting"] or row["run"]
    # A banker with nothing in progress may still carry a difference a manager refused to write off.
    carried = (Posting.objects.filter(gl_account__code__startswith=f"{chart.CASH_FIELD}-")
               .exclude(gl_account_id__in=list(rows)).values("gl_account")
               .annotate(d=Sum("debit"), c=Sum("credit")))
    for total in carried:
        balance = (total["d"] or ZERO) - (total["c"] or ZERO)
        run = (CollectionRun.objects.filter(gl_account_id=total["gl_account"]).select_related("banker")
               .order_by("-business_date").first())
        if balance and run is not None:
            rows[total["gl_account"]] = {"run": run, "banker": run.banker, "collecting": None, "waiting": [],
                                         "late": False, "uncollected": balance}
    return list(rows.values())


class CashPositionView(CashPage, TemplateView):
    """Where the branch's cash is now: the vault, every drawer, every field banker; and what is
    waiting (advances, returns, cheques held). Managers bring cash into the vault and issue floats."""

    roles = (Role.MANAGER,)
    title = "Branch cash position"
    template_name = "cash/position.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        business_date = business_date_or_none()
        vault = services.vault_balance()
        drawers = [{"drawer": drawer, "expected": services.gl_balance(drawer.gl_account)}
                   for drawer in CashDrawer.objects.exclude(status=CashDrawer.Status.CLOSED)
                   .select_related("cashier", "gl_account").order_by("cashier__first_name", "cashier__email")]
        runs = field_positions(business_date)
        movements = {row["kind"]: row for row in CashMovement.objects.filter(status=CashMovement.Status.PENDING)
                     .values("kind").annotate(total=Sum("amount"), count=Count("id"))}
        cheques = ChequeDeposit.objects.filter(status=ChequeDeposit.Status.HELD).aggregate(total=Sum("amount"),
                                                                                          count=Count("id"))
        in_drawers = sum((row["expected"] for row in drawers), ZERO)
        in_field = sum((row["uncollected"] for row in runs), ZERO)
        context.update({
            "business_date": business_date, "vault": vault, "drawers": drawers, "runs": runs,
            "in_drawers": in_drawers, "in_field": in_field, "total_cash": vault + in_drawers + in_field,
            "advances": movements.get(CashMovement.Kind.ADVANCE, {"total": ZERO, "count": 0}),
            "returns": movements.get(CashMovement.Kind.RETURN, {"total": ZERO, "count": 0}),
            "cheques": {"total": cheques["total"] or ZERO, "count": cheques["count"]},
            "floats": (FloatIssue.objects.filter(business_date=business_date).select_related("cashier", "issued_by")
                       if business_date else FloatIssue.objects.none()),
            "vault_form": kwargs.get("vault_form") or VaultReceiveForm(prefix="vault"),
            "float_form": kwargs.get("float_form") or FloatIssueForm(prefix="float", business_date=business_date),
            "signoffs_url": reverse("admin:cash_drawer_signoffs"),
            "pending_signoffs": sum(1 for row in drawers
                                    if row["drawer"].status == CashDrawer.Status.PENDING_APPROVAL)
            + sum(len(row["waiting"]) for row in runs),
        })
        return context

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action")
        if action == "vault":
            form = VaultReceiveForm(request.POST, prefix="vault")
            if form.is_valid():
                try:
                    services.vault_receive(actor=request.user, amount=form.cleaned_data["amount"],
                                           note=form.cleaned_data["note"], request=request)
                except SERVICE_ERRORS as exc:
                    add_service_error(form, exc)
                else:
                    messages.success(request, f"{format_money(form.cleaned_data['amount'])} received into the vault.")
                    return HttpResponseRedirect(reverse("admin:cash_position"))
            return self.render_to_response(self.get_context_data(vault_form=form))
        if action == "float":
            form = FloatIssueForm(request.POST, prefix="float", business_date=business_date_or_none())
            if form.is_valid():
                try:
                    issue = services.float_issue(actor=request.user, cashier=form.cleaned_data["cashier"],
                                                 amount=form.cleaned_data["amount"], request=request)
                except SERVICE_ERRORS as exc:
                    add_service_error(form, exc, {"cashier_id": "cashier"})
                else:
                    messages.success(request, f"Float of {format_money(issue.amount)} issued to {name(issue.cashier)}; "
                                              "it leaves the vault when they count it into their drawer.")
                    return HttpResponseRedirect(reverse("admin:cash_position"))
            return self.render_to_response(self.get_context_data(float_form=form))
        messages.error(request, "Choose what to do.")
        return HttpResponseRedirect(reverse("admin:cash_position"))


# --- mobile bankers: the field pages ------------------------------------------------------------------

def field_tabs(request) -> list[dict]:
    tabs = []
    for title, url_name in (("Collection sheet", "admin:cash_field_sheet"), ("Remit", "admin:cash_field_remit"),
                            ("Register member", "admin:cash_field_register")):
        url = reverse(url_name)
        tabs.append({"title": title, "link": url, "active": request.path == url, "has_permission": True})
    return tabs


class FieldPage(CashPage, TemplateView):
    roles = (Role.MOBILE_BANKER,)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["tabs"] = field_tabs(self.request)
        return context


def todays_run(banker, business_date) -> CollectionRun | None:
    if business_date is None:
        return None
    return CollectionRun.objects.filter(banker=banker, business_date=business_date).first()


class CollectionSheetView(FieldPage):
    """The banker's members with their daily amount and what they paid. Collecting takes the amount
    typed (never a pre-filled one: one tap posts nothing), and a member already paid today shows as
    paid, with "Collect again" leading to a confirmation."""

    title = "Collection sheet"
    template_name = "cash/field_sheet.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        business_date = business_date_or_none()
        try:
            sheet = services.collection_sheet(user)
        except LedgerError as exc:
            context.update({"closed_message": exc.message, "rows": [], "business_date": None})
            return context
        run = todays_run(user, business_date)
        rows = []
        for row in sheet:
            daily = row["daily_amount"]
            initial = {"account_id": row["account_id"], "idempotency_key": new_key("field")}
            form = CollectForm(initial=initial, auto_id=f"id_%s_{row['account_id']}")
            rows.append({**row, "form": form, "paid_today": row["last_collection_at"] is not None,
                         "daily_fill": f"{daily:.2f}" if daily else ""})
        context.update({
            "rows": rows, "business_date": business_date, "run": run,
            "remitted": run is not None and run.status != CollectionRun.Status.OPEN,
            "today_total": sum((row["collected_today"] for row in sheet), ZERO),
            "field_cash": services.field_cash_expected(run.gl_account) if run else ZERO,
            "collected_count": sum(1 for row in sheet if row["collected_today"] > 0),
            "collect_url": reverse("admin:cash_field_collect"),
        })
        return context


class FieldCollectView(FieldPage):
    """POST one collection. The form's idempotency key makes a double tap post once. A collection
    that needs the banker's confirmation (a second one today, or above the configured multiple of the
    daily amount) shows a confirmation page first: the same form, with confirm and, when needed, a note."""

    title = "Confirm collection"
    template_name = "cash/field_confirm.html"
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        form = CollectForm(request.POST)
        sheet_url = reverse("admin:cash_field_sheet")
        if not form.is_valid():
            for errors in form.errors.values():
                for message in errors:
                    messages.error(request, message)
            return HttpResponseRedirect(sheet_url)
        account = accounts_visible_to(request.user).filter(pk=form.cleaned_data["account_id"]).first()
        if account is None:
            messages.error(request, "This member is not assigned to you.")
            return HttpResponseRedirect(sheet_url)
        data = form.cleaned_data
        try:
            txn = services.field_collect(actor=request.user, account=account, amount=data["amount"],
                                         confirm=data["confirm"], note=data["note"],
                                         idempotency_key=data["idempotency_key"])
        except services.ConfirmationRequired as exc:
            if data["confirm"] and exc.note_required and not data["note"]:
                form.add_error("note", "Say why this collection is above the usual amount.")
            return self.render_to_response(self.get_context_data(
                form=form, account=account, member=account.member, amount=data["amount"], reasons=exc.reasons,
                note_required=exc.note_required, sheet_url=f"{sheet_url}#account-{account.pk}"))
        except SERVICE_ERRORS as exc:
            for message in error_messages(exc):
                messages.error(request, f"{account.member.full_name}: {message}")
            return HttpResponseRedirect(f"{sheet_url}#account-{account.pk}")
        return HttpResponseRedirect(reverse("admin:cash_field_receipt", args=[txn.pk]))


class FieldReceiptView(FieldPage):
    """The receipt of one collection: the SMS text (sent from the banker's phone) and a printout."""

    title = "Collection receipt"
    template_name = "cash/field_receipt.html"

    def get_context_data(self, **kwargs):
        txn = get_object_or_404(
            Transaction.objects.select_related("to_account__member", "to_account__product", "initiated_by"),
            pk=self.kwargs["pk"], initiated_by=self.request.user, transaction_type=Transaction.Type.DEPOSIT,
            status=Transaction.Status.COMPLETED,  # a refused collection has no receipt: no money moved
            to_account__in=accounts_visible_to(self.request.user))
        context = super().get_context_data(**kwargs)
        business_date = business_date_or_none()
        run = todays_run(self.request.user, business_date)
        collected = (Transaction.objects.filter(initiated_by=self.request.user, business_date=business_date,
                                                transaction_type=Transaction.Type.DEPOSIT,
                                                status=Transaction.Status.COMPLETED,
                                                counterparty_gl=run.gl_account).aggregate(s=Sum("amount"))["s"]
                     if run else None)
        text = services.receipt_text(txn)
        phone = "".join(ch for ch in txn.to_account.member.phone if ch.isdigit() or ch == "+")
        context.update({"txn": txn, "account": txn.to_account, "member": txn.to_account.member,
                        "receipt_text": text, "sms_url": f"sms:{phone}?body={quote(text)}" if phone else "",
                        "today_total": collected or ZERO, "sheet_url": reverse("admin:cash_field_sheet")})
        return context


class FieldRemitView(FieldPage):
    """Hand the day's field cash to a cashier with an open drawer, counted note by note."""

    title = "Remit to cashier"
    template_name = "cash/field_remit.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        business_date = business_date_or_none()
        run = (services.run_to_remit(self.request.user) if business_date else None) or todays_run(
            self.request.user, business_date)
        form = kwargs.get("form") or RemitForm(prefix="remit")
        context.update({
            "business_date": business_date, "run": run, "form": form, "count_rows": count_inputs(form),
            "expected": services.field_cash_expected(run.gl_account)
            if run and run.status == CollectionRun.Status.OPEN else None,
            "remit_rows": count_rows(run.counts.filter(purpose=DrawerCount.Purpose.REMITTANCE).first()) if run else [],
            "tolerance": CashPolicy.current().variance_tolerance,
        })
        return context

    def post(self, request, *args, **kwargs):
        form = RemitForm(request.POST, prefix="remit")
        if form.is_valid():
            try:
                run = services.field_remit(actor=request.user, cashier=form.cleaned_data["cashier"],
                                           denominations=form.counts(), request=request)
            except SERVICE_ERRORS as exc:
                add_service_error(form, exc, {"cashier_id": "cashier"})
            else:
                if run.status == CollectionRun.Status.PENDING_APPROVAL:
                    counted, difference = format_money(run.counted_amount), format_money(run.variance)
                    messages.warning(request, f"{counted} remitted to {name(run.remitted_to)}. The difference of "
                                              f"{difference} is over the tolerance and waits for a manager's sign-off.")
                else:
                    counted = format_money(run.counted_amount)
                    messages.success(request, f"{counted} remitted to {name(run.remitted_to)}.")
                return HttpResponseRedirect(reverse("admin:cash_field_remit"))
        return self.render_to_response(self.get_context_data(form=form))


class FieldRegisterView(FieldPage):
    """Register a member met in the field (KYC pending, assigned to this banker) and open their
    Daily Susu account with the agreed daily amount, all or nothing (`services.field_member_register`)."""

    title = "Register a member"
    template_name = "cash/field_register.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["form"] = kwargs.get("form") or FieldMemberForm(initial={"idempotency_key": new_key("register")})
        return context

    def post(self, request, *args, **kwargs):
        done = services.field_member_registered(actor=request.user, idempotency_key=request.POST.get("idempotency_key"))
        if done is not None:  # the same form sent twice: show what the first one did
            return HttpResponseRedirect(reverse("admin:cash_field_registered", args=[done.pk]))
        form = FieldMemberForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                member, account = services.field_member_register(
                    actor=request.user, member_fields=form.member_fields(), id_front=data["id_image"],
                    id_back=data.get("id_back_image"), daily_amount=data["daily_amount"],
                    idempotency_key=data["idempotency_key"], request=request)
            except SERVICE_ERRORS as exc:
                add_service_error(form, exc, {"member_id": None, "account_type": None})
            else:
                messages.success(request, f"{member.full_name} is registered as {member.member_number} with Daily "
                                          f"Susu account {account.account_number}.")
                return HttpResponseRedirect(reverse("admin:cash_field_registered", args=[member.pk]))
        return self.render_to_response(self.get_context_data(form=form))


class FieldRegisteredView(FieldPage):
    title = "Member registered"
    template_name = "cash/field_registered.html"

    def get_context_data(self, **kwargs):
        member = get_object_or_404(members_visible_to(self.request.user), pk=self.kwargs["pk"])
        context = super().get_context_data(**kwargs)
        context.update({"member": member,
                        "accounts": member.accounts.select_related("product").order_by("pk"),
                        "documents": member.documents.order_by("pk"),
                        "sheet_url": reverse("admin:cash_field_sheet")})
        return context


# --- sidebar badges (settings.unfold navigation) -------------------------------------------------------

def signoffs_badge(request) -> int | None:
    """Drawers, field remittances and cash requests waiting for a manager."""
    if getattr(request.user, "role", None) != Role.MANAGER:
        return None
    waiting = (CashDrawer.objects.filter(status=CashDrawer.Status.PENDING_APPROVAL).count()
               + CollectionRun.objects.filter(status=CollectionRun.Status.PENDING_APPROVAL).count()
               + CashMovement.objects.filter(status=CashMovement.Status.PENDING).count())
    return waiting or None


def held_cheques_badge(request) -> int | None:
    """Cheques waiting for operations to clear or bounce them."""
    if not request.user.has_perm("cash.clear_cheque"):
        return None
    return ChequeDeposit.objects.filter(status=ChequeDeposit.Status.HELD).count() or None
