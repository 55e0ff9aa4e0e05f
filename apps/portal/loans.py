"""The member's loan calculator: pick a product, an amount and a number of repayments and see the
schedule a loan would have before applying. The schedule is the loans app's (`schedule_preview`):
the same figures the console and the API show. Nothing is saved."""

from django import forms
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from apps.core.forms import AmountField
from apps.core.money import in_currency
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
