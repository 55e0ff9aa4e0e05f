"""The member's loan pages.

- The loan calculator: pick a product, an amount and a number of repayments and see the schedule a
  loan would have before applying. The schedule is the loans app's (`schedule_preview`): the same
  figures the console and the API show. Nothing is saved.
- Guarantee requests: another member asked this member to guarantee their loan; the member accepts
  (the pledge is held on one of their savings accounts, so its available balance falls until the
  loan closes) or declines, after a confirmation. The loans app's services decide and audit.
"""

import uuid

from django import forms
from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.views.decorators.http import require_http_methods

from apps.audit.services import record
from apps.core.business_day import reporting_date
from apps.core.forms import AmountField
from apps.core.money import format_money, in_currency
from apps.ledger.errors import LedgerError
from apps.ledger.models import ZERO, Account
from apps.ledger.selectors import accounts_visible_to
from apps.loans import applications, servicing
from apps.loans.models import Loan, LoanDocument, LoanProduct, LoanTransaction
from apps.loans.services import fee_amounts, schedule_preview
from apps.members.models import Member

from . import loan_documents
from .banking import account_choices, masked_name, member_required


class LoanCalculatorForm(forms.Form):
    product = forms.ModelChoiceField(LoanProduct.objects.filter(is_active=True).order_by("name"),
                                     label="Loan", empty_label="Choose a loan")
    principal = AmountField(label=in_currency("Amount to borrow"),
                            widget=forms.TextInput(attrs={"placeholder": "0.00"}))
    term = forms.IntegerField(label="Number of repayments", min_value=1, max_value=1000,
                              widget=forms.NumberInput(attrs={"inputmode": "numeric"}))


@member_required
@require_http_methods(["GET", "POST"])
def loan_calculator(request):
    products = list(LoanProduct.objects.filter(is_active=True).order_by("name"))
    schedule = fees = product = None
    status = 200
    if request.method == "POST":
        form = LoanCalculatorForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                schedule = schedule_preview(product=data["product"], principal=data["principal"], term=data["term"],
                                            disbursement_date=timezone.localdate())
            except ValidationError as exc:
                for name, errors in exc.message_dict.items():
                    name = {"product_id": "product"}.get(name, name)
                    form.add_error(name if name in form.fields else None, errors)
            else:
                product, fees = data["product"], fee_amounts(data["product"], data["principal"])
        if schedule is None:
            status = 422
    else:
        form = LoanCalculatorForm()
    return render(request, "portal/loans/calculator.html",
                  {"form": form, "products": products, "schedule": schedule, "fees": fees, "product": product},
                  status=status)


@member_required
def guarantee_requests(request):
    requests = list(applications.open_guarantee_requests(request.user))
    return render(request, "portal/loans/guarantees.html", {"requests": requests})


def _pledge_accounts(user):
    return (Account.objects.filter(member__user=user, status=Account.Status.ACTIVE,
                                   product__kind__in=applications.SAVINGS_KINDS)
            .select_related("product").order_by("pk"))


@member_required
@require_http_methods(["GET", "POST"])
def guarantee_answer(request, pk: int):
    guarantee = applications.open_guarantee_requests(request.user).filter(pk=pk).first()
    if guarantee is None:
        raise Http404("No such guarantee request waiting for your answer.")
    accounts = list(_pledge_accounts(request.user))
    context = {"guarantee": guarantee, "accounts": accounts}
    if request.method == "GET":
        return render(request, "portal/loans/guarantee_answer.html", context)
    answer = request.POST.get("answer")
    try:
        if answer == "accept":
            chosen = request.POST.get("account_id", "")
            account = next((a for a in accounts if str(a.pk) == chosen), None)
            if account is None:
                raise ValidationError({"account_id": "Choose the savings account the pledge is held on."})
            applications.guarantee_accept(actor=request.user, guarantee=guarantee, account=account, request=request)
            messages.success(request, f"You guarantee loan {guarantee.loan.number}: {format_money(guarantee.amount)} "
                                      f"is held on account {account.account_number} until the loan is repaid.")
        elif answer == "decline":
            applications.guarantee_decline(actor=request.user, guarantee=guarantee, request=request)
            messages.success(request, f"You declined to guarantee loan {guarantee.loan.number}.")
        else:
            raise ValidationError("Choose to accept or to decline.")
    except (ValidationError, LedgerError, PermissionDenied) as exc:
        context["error"] = exc.message if isinstance(exc, LedgerError) else " ".join(
            getattr(exc, "messages", [str(exc)]))
        return render(request, "portal/loans/guarantee_answer.html", context, status=409 if isinstance(
            exc, LedgerError) else 422)
    return redirect("portal:guarantees")


# --- my loans ------------------------------------------------------------------------------------
#
# Every page below reads the member's loans through `applications.loans_visible_to` (a customer sees
# their own, anything else is a 404) and every write goes through the loans app's services:
# `servicing.loan_repay` for a payment and `applications.loan_apply` for an application, each with a
# hidden one-time key so a double submit acts once. Figures are as of the business date the account
# pages report on (`reporting_date`: the open business date, else the latest).

PAYING_STATUSES = (Loan.Status.ACTIVE, Loan.Status.WRITTEN_OFF)
GUARANTOR_ROWS = 3
PREVIEW_SALT = "portal.loan_apply.preview"
PREVIEW_MAX_AGE = 60 * 60  # a preview older than an hour is shown again before applying
#: Business refusals of a repayment in the member's words (others show the service's own message).
REFUSALS = {
    "over_payoff": "That is more than you owe: you can pay at most the payoff, {payoff}.",
    "loan_closed": "This loan is fully repaid and closed: there is nothing left to pay.",
    "loan_not_active": "This loan has not been paid out yet, so there is nothing to repay.",
    "insufficient_funds": "There is not enough available on account {account} to pay {amount}.",
}


def _my_loan(request, pk: int) -> Loan:
    return get_object_or_404(applications.loans_visible_to(request.user), pk=pk)


def _private(response):
    """`Cache-Control: private, no-store` (the middleware does it for signed-in pages; papers say it too)."""
    add_never_cache_headers(response)
    patch_cache_control(response, private=True)
    return response


def _loan_figures(loan: Loan, on) -> dict:
    """Outstanding, the next due date and what is due on it, and what is overdue, from the schedule."""
    instalments = sorted(loan.instalments.all(), key=lambda i: (i.due_date, i.number))
    outstanding = servicing.loan_outstanding(loan, instalments)
    due_date = servicing.next_due(loan, instalments)
    due_amount = sum((i.outstanding for i in instalments if i.due_date == due_date), ZERO) if due_date else None
    overdue = sum((i.outstanding for i in instalments if i.due_date < on and i.outstanding > 0), ZERO)
    return {"loan": loan, "outstanding": outstanding, "next_due": due_date, "next_due_amount": due_amount,
            "overdue": overdue if loan.status in PAYING_STATUSES else ZERO,
            "days_in_arrears": loan.days_in_arrears if loan.status == Loan.Status.ACTIVE else 0}


@member_required
def loan_list(request):
    on = reporting_date()
    loans = applications.loans_visible_to(request.user).prefetch_related("instalments").order_by("-created_at")
    return render(request, "portal/loans/list.html", {
        "rows": [_loan_figures(loan, on) for loan in loans], "on": on,
        "guarantee_requests": applications.open_guarantee_requests(request.user).count()})


@member_required
def loan_detail(request, pk: int):
    loan = get_object_or_404(applications.loans_visible_to(request.user).prefetch_related("instalments"), pk=pk)
    on = reporting_date()
    payoff = servicing.payoff_quote(loan, on) if loan.status in PAYING_STATUSES else None
    payments = (LoanTransaction.objects.filter(loan=loan, kind__in=loan_documents.PAYMENT_KINDS)
                .select_related("transaction").order_by("-value_date", "-pk"))
    return render(request, "portal/loans/detail.html", {
        **_loan_figures(loan, on), "on": on, "schedule": loan_documents.schedule_rows(loan, on=on),
        "payoff": payoff if payoff and payoff["total"] > 0 else None, "payments": payments,
        "guarantees": loan.guarantees.select_related("guarantor").all(), "documents": loan.documents.all(),
        "document_form": LoanDocumentForm() if loan.status == Loan.Status.SUBMITTED else None})


class LoanDocumentForm(forms.Form):
    kind = forms.ChoiceField(choices=LoanDocument.Kind.choices, label="What it is")
    file = forms.FileField(label="File (PDF, JPEG or PNG, at most 5 MB)")


@member_required
@require_http_methods(["POST"])
def loan_document_upload(request, pk: int):
    """Add a payslip, statement or other paper to my application while it waits for a decision
    (`applications.loan_document_add`: type, size and ownership checked there)."""
    loan = _my_loan(request, pk)
    form = LoanDocumentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            applications.loan_document_add(actor=request.user, loan=loan, kind=form.cleaned_data["kind"],
                                           file=form.cleaned_data["file"], request=request)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        except (LedgerError, PermissionDenied) as exc:
            messages.error(request, getattr(exc, "message", None) or str(exc))
        else:
            messages.success(request, "Your document was added to the application.")
    else:
        messages.error(request, " ".join(f"{form.fields[name].label}: {' '.join(errors)}"
                                         for name, errors in form.errors.items()))
    return redirect("portal:loan", pk=loan.pk)


@member_required
def loan_document_download(request, pk: int, document: int):
    """A document of my own loan; 404 for anyone else's."""
    found = get_object_or_404(LoanDocument, pk=document, loan=_my_loan(request, pk))
    return _private(FileResponse(found.file.open("rb"), as_attachment=True,
                                 filename=found.file.name.rsplit("/", 1)[-1]))


# --- paying from my account --------------------------------------------------------------------------

class LoanPayForm(forms.Form):
    amount = AmountField(label=in_currency("Amount to pay"), widget=forms.TextInput(attrs={"placeholder": "0.00"}))
    from_account = forms.TypedChoiceField(label="Pay from", coerce=int)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.accounts = {a.pk: a for a in accounts}
        self.fields["from_account"].choices = account_choices(accounts)


def _paying_accounts(user):
    """The member's own active accounts money may leave (the ledger's rules decide the rest)."""
    return list(accounts_visible_to(user).filter(status=Account.Status.ACTIVE, product__allows_withdrawal=True)
                .select_related("product").order_by("product__name", "pk"))


def _refusal(exc, *, payoff=None, account=None, amount=None) -> str:
    if isinstance(exc, LedgerError):
        text = REFUSALS.get(exc.code)
        if text:
            return text.format(payoff=format_money(payoff["total"]) if payoff else "the amount outstanding",
                               account=account.account_number if account else "", amount=format_money(amount or 0))
        return exc.message
    if isinstance(exc, PermissionDenied):
        return str(exc) or "You may not pay this loan."
    return " ".join(getattr(exc, "messages", [str(exc)]))


@member_required
@require_http_methods(["GET", "POST"])
def loan_pay(request, pk: int):
    """Pay a loan from one of my accounts: form → confirm (amount, account, payoff and how the payment
    is split) → `servicing.loan_repay(channel="account")` with the form's one-time key → the receipt.
    More than the payoff, short funds and a loan with nothing to pay are refused in plain words before
    the confirm page, and again by the service when posting; nothing is posted then."""
    loan = _my_loan(request, pk)
    on = reporting_date()
    accounts = _paying_accounts(request.user)
    context = {"loan": loan, "on": on}
    if loan.status not in PAYING_STATUSES:
        context["error"] = ("This loan was not approved: there is nothing to repay."
                            if loan.status == Loan.Status.REJECTED else
                            _refusal(LedgerError("loan_closed" if loan.status == Loan.Status.CLOSED
                                                 else "loan_not_active", "")))
        return _private(render(request, "portal/loans/pay.html", context, status=409 if request.method == "POST"
                               else 200))
    payoff = servicing.payoff_quote(loan, on)
    context["payoff"] = payoff
    if request.method != "POST":
        figures = _loan_figures(Loan.objects.prefetch_related("instalments").get(pk=loan.pk), on)
        suggested = (figures["overdue"] or figures["next_due_amount"] or payoff["total"]) if payoff["total"] else None
        default = loan.account_id if loan.account_id in {a.pk for a in accounts} else None
        form = LoanPayForm(accounts=accounts, initial={"idempotency_key": uuid.uuid4().hex, "from_account": default,
                                                       "amount": suggested})
        return _private(render(request, "portal/loans/pay.html", {**context, **figures, "form": form}))
    form = LoanPayForm(request.POST, accounts=accounts)
    context["form"] = form
    if not form.is_valid():
        return _private(render(request, "portal/loans/pay.html", context, status=422))
    data = form.cleaned_data
    account = form.accounts[data["from_account"]]
    amount = data["amount"]
    context.update(account=account, amount=amount)
    if "confirm" not in request.POST:
        # Review: the service's own checks and split, nothing written, so the confirm page never
        # promises a payment that cannot be made.
        try:
            context["allocation"] = servicing.loan_repay(actor=request.user, loan=loan, amount=amount,
                                                         channel="account", from_account=account, review=True)
        except ValidationError as exc:
            form.add_error(None, _refusal(exc))
            return _private(render(request, "portal/loans/pay.html", context, status=422))
        except (LedgerError, PermissionDenied) as exc:
            form.add_error(None, _refusal(exc, payoff=payoff, account=account, amount=amount))
            return _private(render(request, "portal/loans/pay.html", context, status=409))
        context["remaining"] = payoff["total"] - amount
        return _private(render(request, "portal/loans/pay_confirm.html", context))
    try:
        result = servicing.loan_repay(actor=request.user, loan=loan, amount=amount, channel="account",
                                      from_account=account, request=request,
                                      idempotency_key=f"portal-loan-pay-{data['idempotency_key']}")
    except ValidationError as exc:
        for name, errors in exc.message_dict.items():
            name = {"from_account_id": "from_account"}.get(name, name)
            form.add_error(name if name in form.fields else None, errors)
        return _private(render(request, "portal/loans/pay.html", context, status=422))
    except (LedgerError, PermissionDenied) as exc:
        form.add_error(None, _refusal(exc, payoff=payoff, account=account, amount=amount))
        return _private(render(request, "portal/loans/pay.html", context, status=409))
    messages.success(request, f"Your payment of {format_money(result.amount)} on loan {loan.number} is done.")
    return redirect("portal:loan_receipt", pk=loan.pk, txn=result.pk)


@member_required
def loan_receipt(request, pk: int, txn: int):
    loan = _my_loan(request, pk)
    payment = get_object_or_404(LoanTransaction.objects.select_related("transaction__from_account__product"),
                                pk=txn, loan=loan, kind__in=loan_documents.PAYMENT_KINDS)
    return _private(render(request, "portal/loans/receipt.html", {
        "loan": loan, "payment": payment, "outstanding": servicing.loan_outstanding(loan),
        "parts": [(label, getattr(payment, name)) for name, label in
                  (("penalties", "Penalties"), ("fees", "Fees"), ("interest", "Interest"),
                   ("principal", "Principal"))]}))


# --- applying, with a schedule preview ----------------------------------------------------------------

class LoanApplyForm(forms.Form):
    product = forms.ModelChoiceField(LoanProduct.objects.none(), label="Loan", empty_label="Choose a loan")
    amount = AmountField(label=in_currency("Amount to borrow"), widget=forms.TextInput(attrs={"placeholder": "0.00"}))
    term = forms.IntegerField(label="Number of repayments", min_value=1, max_value=1000,
                              widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    purpose = forms.CharField(label="What is the loan for?", max_length=255)
    account = forms.TypedChoiceField(label="Pay the loan into (and repay from)", coerce=int)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    previewed = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = LoanProduct.objects.filter(is_active=True).order_by("name")
        self.accounts = {a.pk: a for a in accounts}
        self.fields["account"].choices = [(a.pk, f"{a.product.name} {a.account_number}") for a in accounts]
        for n in range(1, GUARANTOR_ROWS + 1):
            self.fields[f"guarantor_{n}"] = forms.CharField(label=f"Guarantor {n}: member number", max_length=16,
                                                            required=False)
            self.fields[f"guarantor_{n}_amount"] = AmountField(label=in_currency(f"Guarantor {n} pledges"),
                                                               required=False)

    def guarantor_rows(self):
        return [(self[f"guarantor_{n}"], self[f"guarantor_{n}_amount"]) for n in range(1, GUARANTOR_ROWS + 1)]

    def main_fields(self):
        return [self[name] for name in ("product", "amount", "term", "purpose", "account")]

    def clean(self):
        data = super().clean()
        data["guarantors"] = []
        for n in range(1, GUARANTOR_ROWS + 1):
            number = (data.get(f"guarantor_{n}") or "").strip().upper()
            pledged = data.get(f"guarantor_{n}_amount")
            if not number and pledged is None:
                continue
            if not number:
                self.add_error(f"guarantor_{n}", "Give the guarantor's member number.")
                continue
            if pledged is None and f"guarantor_{n}_amount" not in self.errors:
                self.add_error(f"guarantor_{n}_amount", "Give the amount this guarantor pledges.")
                continue
            member = Member.objects.filter(member_number__iexact=number, status=Member.Status.ACTIVE).first()
            if member is None:
                self.add_error(f"guarantor_{n}", "No member has that number.")
                continue
            if pledged is not None:
                data["guarantors"].append({"row": n, "member": member, "amount": pledged})
        return data

    def fingerprint_data(self) -> list:
        d = self.cleaned_data
        return [d["product"].pk, str(d["amount"]), d["term"], d["purpose"].strip(), d["account"],
                [[g["member"].pk, str(g["amount"])] for g in d["guarantors"]]]

    def fingerprint(self) -> str:
        """What the member saw previewed (signed): submitting anything else previews it first."""
        return signing.dumps(self.fingerprint_data(), salt=PREVIEW_SALT)

    def matches_preview(self) -> bool:
        try:
            return signing.loads(self.cleaned_data.get("previewed") or "", salt=PREVIEW_SALT,
                                 max_age=PREVIEW_MAX_AGE) == self.fingerprint_data()
        except signing.BadSignature:
            return False


@member_required
@require_http_methods(["GET", "POST"])
def loan_apply(request):
    """Apply for a loan: the form, then "Preview schedule" (`services.schedule_preview`, as the calculator
    shows it), then "Apply" (`applications.loan_apply`, once per the form's one-time key). Figures changed
    after the preview are previewed again before anything is submitted."""
    accounts = list(_pledge_accounts(request.user))
    if request.method != "POST":
        initial = {"idempotency_key": uuid.uuid4().hex, "product": request.GET.get("product"),
                   "account": accounts[0].pk if len(accounts) == 1 else None}
        form = LoanApplyForm(accounts=accounts, initial=initial)
        return _private(render(request, "portal/loans/apply.html", {"form": form, "accounts": accounts}))
    form = LoanApplyForm(request.POST, accounts=accounts)
    context = {"form": form, "accounts": accounts}
    if not form.is_valid():
        return _private(render(request, "portal/loans/apply.html", context, status=422))
    data = form.cleaned_data
    product = data["product"]
    try:
        schedule = schedule_preview(product=product, principal=data["amount"], term=data["term"],
                                    disbursement_date=reporting_date())
    except ValidationError as exc:
        _form_errors(form, exc)
        return _private(render(request, "portal/loans/apply.html", context, status=422))
    if not (request.POST.get("action") == "apply" and form.matches_preview()):
        context.update(schedule=schedule, product=product, fees=fee_amounts(product, data["amount"]),
                       guarantors=[(g["member"].member_number, masked_name(g["member"].full_name), g["amount"])
                                   for g in data["guarantors"]],
                       fingerprint=form.fingerprint(),
                       changed=request.POST.get("action") == "apply")
        return _private(render(request, "portal/loans/apply.html", context))
    try:
        loan = applications.loan_apply(
            actor=request.user, product=product, amount=data["amount"], term=data["term"], purpose=data["purpose"],
            account=form.accounts.get(data["account"]),
            guarantors=[{"member": g["member"], "amount": g["amount"]} for g in data["guarantors"]],
            idempotency_key=f"portal-loan-apply-{data['idempotency_key']}", request=request)
    except ValidationError as exc:
        rows = [g["row"] for g in data["guarantors"]]
        _form_errors(form, exc, rows=rows)
        return _private(render(request, "portal/loans/apply.html", context, status=422))
    except (LedgerError, PermissionDenied) as exc:
        form.add_error(None, _refusal(exc))
        return _private(render(request, "portal/loans/apply.html", context, status=409))
    messages.success(request, f"Your application {loan.number} for {format_money(loan.amount)} is submitted. "
                              "The credit union will let you know its decision.")
    return redirect("portal:loan", pk=loan.pk)


def _form_errors(form, exc: ValidationError, rows=()):
    """A service's field errors onto the form's fields ("guarantors.0.member_id" → that guarantor row)."""
    names = {"principal": "amount", "product_id": "product", "account_id": "account"}
    for name, errors in exc.message_dict.items():
        if name.startswith("guarantors."):
            _, index, part = name.split(".")
            n = rows[int(index)] if int(index) < len(rows) else 1
            name = f"guarantor_{n}" if part == "member_id" else f"guarantor_{n}_amount"
        name = names.get(name, name)
        form.add_error(name if name in form.fields else None, errors)


# --- the loan's papers ---------------------------------------------------------------------------------

def _pdf(request, loan: Loan, html: str, kind: str) -> HttpResponse:
    response = HttpResponse(loan_documents.html_to_pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="loan-{loan.number}-{kind}.pdf"'
    record(request.user, f"loan.{kind}_pdf", loan, request=request, number=loan.number)
    return _private(response)


@member_required
def loan_schedule_pdf(request, pk: int):
    loan = _my_loan(request, pk)
    return _pdf(request, loan, loan_documents.loan_schedule_html(loan, on=reporting_date()), "schedule")


@member_required
def loan_statement_pdf(request, pk: int):
    loan = _my_loan(request, pk)
    statement = loan_documents.loan_statement_build(loan, as_of=reporting_date())
    return _pdf(request, loan, loan_documents.loan_statement_html(statement), "statement")
