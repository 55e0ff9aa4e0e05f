"""The member's loan pages.

- The loan calculator: pick a product, an amount and a number of repayments and see the schedule a
  loan would have before applying. The schedule is the loans app's (`schedule_preview`): the same
  figures the console and the API show. Nothing is saved.
- Guarantee requests: another member asked this member to guarantee their loan; the member accepts
  (the pledge is held on one of their savings accounts, so its available balance falls until the
  loan closes) or declines, after a confirmation. The loans app's services decide and audit.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from apps.core.forms import AmountField
from apps.core.money import format_money, in_currency
from apps.ledger.errors import LedgerError
from apps.ledger.models import Account
from apps.loans import applications
from apps.loans.models import LoanProduct
from apps.loans.services import fee_amounts, schedule_preview

from .banking import member_required


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
