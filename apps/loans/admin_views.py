"""The console's schedule preview: staff pick a product, an amount, a term and a date and see the
schedule a loan would have. Nothing is saved. LoansConfig.ready registers it as
"admin:loans_schedule_preview" (/admin/loans/schedule-preview/)."""

import secrets

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods
from django.views.generic import TemplateView
from unfold.views import UnfoldModelAdminViewMixin

from apps.core.admin_mixins import add_service_error
from apps.core.business_day import reporting_date
from apps.core.roles import Role
from apps.ledger.errors import LedgerError

from . import applications, services, servicing
from .forms import (
    BackdatedRepaymentForm,
    DisburseForm,
    LoanDocumentForm,
    LoanRequestForm,
    RepayForm,
    SchedulePreviewForm,
)
from .models import Loan, LoanDocument, LoanRequest, LoanTransaction

FIELD_MAP = {"product_id": "product"}


@require_http_methods(["GET", "POST"])
def schedule_preview_view(request):
    if not request.user.has_perm("loans.view_loanproduct"):
        raise PermissionDenied
    schedule = fees = None
    status = 200
    if request.method == "POST":
        form = SchedulePreviewForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                schedule = services.schedule_preview(
                    product=data["product"], principal=data["principal"], term=data["term"],
                    disbursement_date=data["disbursement_date"],
                    first_repayment_date=data["first_repayment_date"])
                fees = services.fee_amounts(data["product"], data["principal"])
            except ValidationError as exc:
                add_service_error(form, exc, FIELD_MAP)
        if schedule is None:
            status = 422
    else:
        initial = SchedulePreviewForm.initial_values()
        if request.GET.get("product", "").isdigit():
            initial["product"] = int(request.GET["product"])
        form = SchedulePreviewForm(initial=initial)
    context = {
        **admin.site.each_context(request),
        "title": "Loan schedule preview",
        "form": form,
        "schedule": schedule,
        "fees": fees,
        "product": form.cleaned_data.get("product") if schedule is not None else None,
    }
    return render(request, "loans/schedule_preview.html", context, status=status)


@require_http_methods(["GET"])
def document_download(request, pk: int):
    """A loan document, to staff who may see the loan (apps.loans.applications.loans_visible_to); 404
    otherwise. Documents are stored outside MEDIA_ROOT, so this is the only way to read one."""
    document = LoanDocument.objects.filter(
        pk=pk, loan__in=applications.loans_visible_to(request.user)).first()
    if document is None or not request.user.has_perm("loans.view_loandocument"):
        raise Http404
    return FileResponse(document.file.open("rb"), as_attachment=True,
                        filename=document.file.name.rsplit("/", 1)[-1])


def applications_badge(request) -> int | None:
    """Applications waiting for a manager's decision (the Loan applications item's badge)."""
    if not applications.can_decide(request.user):
        return None
    return Loan.objects.filter(status=Loan.Status.SUBMITTED).count() or None


# --- the loan page and its actions -----------------------------------------------------------------
# Each action (disburse, take a repayment, request a write-off / reversal / backdated repayment) is an
# unfold detail action on LoanAdmin whose page is a LoanActionView: the form (GET, or POST step=edit),
# the confirmation page (POST step=review: what will happen, checked as far as can be without posting)
# and posting (POST step=confirm). The one-time key made with the form travels through the
# confirmation page, so a double click or a resent page posts nothing twice.


SERVICE_ERRORS = (ValidationError, PermissionDenied, LedgerError)
SERVICED = (Loan.Status.ACTIVE, Loan.Status.CLOSED, Loan.Status.WRITTEN_OFF)
# instalment status -> (words, colour) on the loan page
INSTALMENT_STATUS = {"paid": ("Paid", "success"), "partly_paid": ("Partly paid", "warning"),
                     "pending": ("Due", "info"), "overdue": ("Overdue", "danger")}
BUCKET_LABELS = {"current": "Current", "1-30": "1–30 days", "31-60": "31–60 days", "61-90": "61–90 days",
                 "91-180": "91–180 days", "180+": "Over 180 days"}

# Who may start each action (the services check again; a refused action is a 403 before any form).
DISBURSE_ROLES = (Role.MANAGER, Role.CASHIER)
REPAY_ROLES = (Role.MANAGER, Role.CASHIER)
WRITE_OFF_ROLES = (Role.MANAGER,)
REVERSAL_ROLES = (Role.MANAGER, Role.CASHIER)
BACKDATED_ROLES = (Role.MANAGER, Role.CASHIER)
REQUEST_VIEW_ROLES = (Role.MANAGER, Role.CASHIER)


def new_idempotency_key() -> str:
    return f"loan-{secrets.token_urlsafe(18)}"


def loan_page_context(loan: Loan, on) -> dict:
    """What the loan page shows below the application: the summary, the schedule with each
    instalment's status on `on`, the loan's transactions and its pending requests."""
    if loan.status not in SERVICED:
        return {}
    instalments = servicing.instalments_of(loan)
    schedule = servicing.loan_schedule(loan, on=on)
    for row in schedule["instalments"]:
        words, colour = INSTALMENT_STATUS[row["status"]]
        if row["status"] == "pending" and row["due_date"] == on:
            words = "Due today"
        elif row["status"] == "pending" and row["due_date"] > on:
            words = "Not yet due"
        row["status_label"], row["status_colour"] = words, colour
    payoff = None
    if loan.status in (Loan.Status.ACTIVE, Loan.Status.WRITTEN_OFF):
        payoff = servicing.payoff_quote(loan, on)
    transactions = list(LoanTransaction.objects.filter(loan=loan).select_related(
        "transaction", "journal_entry", "created_by", "approved_by").order_by("value_date", "pk"))
    return {
        "business_date": on,
        "outstanding": servicing.loan_outstanding(loan, instalments),
        "next_due": servicing.next_due(loan, instalments),
        "payoff": payoff,
        "bucket": BUCKET_LABELS.get(loan.delinquency_bucket, loan.delinquency_bucket),
        "schedule": schedule,
        "loan_transactions": transactions,
        "loan_requests": list(LoanRequest.objects.filter(loan=loan).select_related("requested_by", "decided_by")),
    }


class LoanActionView(UnfoldModelAdminViewMixin, TemplateView):
    """One action on one loan: edit → review → confirm. Subclasses give `preview(form) -> dict` (what
    would happen, nothing written) and `confirm(form) -> response` (do it)."""

    permission_required = ("loans.view_loan",)
    template_name = "loans/loan_action.html"
    form_class = None
    title = ""
    action_label = ""
    intro = ""
    field_map: dict[str, str] = {}

    def dispatch(self, request, *args, object_id=None, **kwargs):
        self.loan = get_object_or_404(applications.loans_visible_to(request.user).select_related(
            "member", "product", "account"), pk=object_id)
        self.business_date = reporting_date()
        return super().dispatch(request, *args, **kwargs)

    def loan_url(self) -> str:
        return reverse("admin:loans_loan_change", args=[self.loan.pk])

    def form_kwargs(self) -> dict:
        return {"user": self.request.user, "loan": self.loan}

    def new_form(self, data=None, initial=None):
        return self.form_class(data=data, initial=initial, **self.form_kwargs())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update({"loan": self.loan, "action_label": self.action_label, "intro": self.intro,
                        "loan_url": self.loan_url(), "business_date": self.business_date})
        return context

    def get(self, request, *args, **kwargs):
        form = self.new_form(initial={"idempotency_key": new_idempotency_key(), **self.initial()})
        return self.render_to_response(self.get_context_data(form=form))

    def initial(self) -> dict:
        return {}

    def post(self, request, *args, **kwargs):
        form = self.new_form(data=request.POST)
        step = request.POST.get("step", "review")
        if step == "edit" or not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=200 if step == "edit" else 422)
        try:
            if step == "confirm":
                return self.confirm(form)
            preview = self.preview(form)
        except SERVICE_ERRORS as exc:
            self.refuse(form, exc)
            return self.render_to_response(self.get_context_data(form=form, refused=True), status=409)
        return self.render_to_response(self.get_context_data(form=form, preview=preview, confirming=True))

    def refuse(self, form, exc) -> None:
        if getattr(exc, "code", None) == "idempotency_conflict":
            data = form.data.copy()
            data["idempotency_key"] = new_idempotency_key()
            form.data = data
            form.add_error(None, "This form had already posted something different, and nothing new was posted. "
                                 "Check the details and confirm again.")
            return
        add_service_error(form, exc, self.field_map)


class DisburseView(LoanActionView):
    form_class = DisburseForm
    title = "Disburse the loan"
    action_label = "Disburse"
    intro = "Check what is paid out and the schedule that will be fixed, then confirm. Nothing is paid until you do."

    def preview(self, form) -> dict:
        """What `loan_disburse` would post (its review mode: the same checks, nothing written)."""
        data = form.cleaned_data
        result = servicing.loan_disburse(actor=self.request.user, loan=self.loan, review=True,
                                         disbursement_date=data["disbursement_date"], channel=data["channel"])
        return {"kind": "disburse", "figures": servicing.disbursal_figures(self.loan), "day": result.value_date,
                "channel": data["channel"], "channel_label": LoanTransaction.Channel(data["channel"]).label,
                "schedule": servicing.disbursal_schedule(self.loan, result.value_date)}

    def confirm(self, form):
        data = form.cleaned_data
        servicing.loan_disburse(actor=self.request.user, loan=self.loan, disbursement_date=data["disbursement_date"],
                                channel=data["channel"], idempotency_key=data["idempotency_key"],
                                request=self.request)
        messages.success(self.request, f"Loan {self.loan.number} disbursed.")
        return HttpResponseRedirect(self.loan_url())


class RepayView(LoanActionView):
    form_class = RepayForm
    title = "Take a repayment"
    action_label = "Take repayment"
    intro = "The payment settles penalties, fees, interest and principal, oldest instalment first."
    field_map = {"from_account_id": "from_account"}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.loan.status in (Loan.Status.ACTIVE, Loan.Status.WRITTEN_OFF):
            context["payoff"] = servicing.payoff_quote(self.loan, self.business_date)
        return context

    def preview(self, form) -> dict:
        """What `loan_repay` would post, its split included (its review mode: the same checks — payoff,
        funds, limits, the cashier's drawer — and nothing written)."""
        data = form.cleaned_data
        payoff = servicing.payoff_quote(self.loan, self.business_date)
        amount, channel = data["amount"], data["channel"]
        result = servicing.loan_repay(actor=self.request.user, loan=self.loan, amount=amount, channel=channel,
                                      from_account=data["from_account"], review=True)
        account = None if channel == LoanTransaction.Channel.CASH else (data["from_account"] or self.loan.account)
        return {"kind": "repay", "amount": amount, "allocation": result, "payoff": payoff,
                "channel_label": LoanTransaction.Channel(channel).label, "account": account,
                "left_after": payoff["total"] - amount}

    def confirm(self, form):
        data = form.cleaned_data
        result = servicing.loan_repay(actor=self.request.user, loan=self.loan, amount=data["amount"],
                                      channel=data["channel"], from_account=data["from_account"],
                                      idempotency_key=data["idempotency_key"], request=self.request)
        return HttpResponseRedirect(reverse("admin:loans_repayment_receipt", args=[result.pk]))


class LoanRequestView(LoanActionView):
    """A request a second manager approves in Loan approvals: nothing moves now."""

    form_class = LoanRequestForm
    kind = ""
    action_label = "Send for approval"
    field_map = {"value_date": "value_date"}

    def preview(self, form) -> dict:
        data = form.cleaned_data
        return {"kind": "request", "request_kind": LoanRequest.Kind(self.kind).label, "reason": data["reason"],
                "amount": data.get("amount"), "value_date": data.get("value_date"),
                "channel_label": LoanTransaction.Channel(data["channel"]).label if data.get("channel") else ""}

    def confirm(self, form):
        data = form.cleaned_data
        if LoanRequest.objects.filter(loan=self.loan, kind=self.kind, status=LoanRequest.Status.PENDING).exists():
            # the key: this form (or another person's) already sent it
            messages.info(self.request, f"A {LoanRequest.Kind(self.kind).label.lower()} of loan {self.loan.number} is "
                                        "already waiting for approval.")
            return HttpResponseRedirect(self.loan_url())
        servicing.loan_request_create(actor=self.request.user, loan=self.loan, kind=self.kind,
                                      reason=data["reason"], amount=data.get("amount"),
                                      value_date=data.get("value_date"), channel=data.get("channel"),
                                      request=self.request)
        messages.success(self.request, f"{LoanRequest.Kind(self.kind).label} of loan {self.loan.number} sent for "
                                       "a second manager's approval.")
        return HttpResponseRedirect(self.loan_url())


class DocumentUploadView(LoanActionView):
    """Add a paper to an application waiting for a decision: one step (nothing moves)."""

    form_class = LoanDocumentForm
    title = "Add a document"
    action_label = "Add the document"
    intro = "A payslip, bank statement, business record or collateral paper for the manager who decides."

    def new_form(self, data=None, initial=None):
        files = self.request.FILES if data is not None else None
        return self.form_class(data=data, files=files, initial=initial, **self.form_kwargs())

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "single_step": True}

    def post(self, request, *args, **kwargs):
        """No review step: the form posts straight to the upload."""
        form = self.new_form(data=request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=422)
        try:
            return self.add(form)
        except SERVICE_ERRORS as exc:
            self.refuse(form, exc)
            return self.render_to_response(self.get_context_data(form=form, refused=True), status=409)

    def add(self, form):
        data = form.cleaned_data
        applications.loan_document_add(actor=self.request.user, loan=self.loan, kind=data["kind"], file=data["file"],
                                       request=self.request)
        messages.success(self.request, f"Document added to loan {self.loan.number}.")
        return HttpResponseRedirect(self.loan_url())


class WriteOffRequestView(LoanRequestView):
    kind = LoanRequest.Kind.WRITE_OFF
    title = "Request a write-off"
    intro = "A second manager approves the write-off before it is posted. What is paid afterwards is a recovery."


class ReversalRequestView(LoanRequestView):
    kind = LoanRequest.Kind.DISBURSAL_REVERSAL
    title = "Request the reversal of the disbursal"
    intro = "Only before any repayment. A manager other than you approves it before anything is undone."


class BackdatedRepaymentView(LoanRequestView):
    form_class = BackdatedRepaymentForm
    kind = LoanRequest.Kind.BACKDATED_REPAYMENT
    title = "Request a backdated repayment"
    intro = ("For money the member paid on an earlier day that was not keyed. A second manager approves it; "
             "the loan's payments are then allocated again from that date.")

    def form_kwargs(self) -> dict:
        return {**super().form_kwargs(), "business_date": self.business_date}


def repayment_receipt_view(request, pk: int):
    """The receipt after a repayment: how it was allocated and what is still owed."""
    if not request.user.has_perm("loans.view_loan"):
        raise PermissionDenied
    result = get_object_or_404(LoanTransaction.objects.select_related("loan__member", "transaction", "created_by"),
                               pk=pk, loan__in=applications.loans_visible_to(request.user))
    loan = result.loan
    left = servicing.loan_outstanding(loan)
    context = {**admin.site.each_context(request), "title": "Repayment receipt", "result": result, "loan": loan,
               "left": left, "loan_url": reverse("admin:loans_loan_change", args=[loan.pk]),
               "closed": loan.status == Loan.Status.CLOSED}
    return render(request, "loans/repayment_receipt.html", context)


def loan_requests_badge(request) -> int | None:
    """Loan requests waiting for a second manager (the Loan approvals item's badge)."""
    if getattr(request.user, "role", None) != Role.MANAGER:
        return None
    return LoanRequest.objects.filter(status=LoanRequest.Status.PENDING).count() or None
