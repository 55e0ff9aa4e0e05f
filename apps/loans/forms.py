"""The console's schedule preview form."""

from django import forms
from django.utils import timezone
from unfold.widgets import UnfoldAdminSelectWidget, UnfoldAdminTextInputWidget

from apps.core.forms import AmountField

from .models import LoanProduct


class AdminDateInput(UnfoldAdminTextInputWidget):
    input_type = "date"


class SchedulePreviewForm(forms.Form):
    product = forms.ModelChoiceField(LoanProduct.objects.filter(is_active=True), label="Loan product",
                                     widget=UnfoldAdminSelectWidget, empty_label="Choose a product")
    principal = AmountField(label="Amount to lend", widget=UnfoldAdminTextInputWidget)
    term = forms.IntegerField(label="Number of repayments", min_value=1, max_value=1000,
                              widget=UnfoldAdminTextInputWidget(attrs={"inputmode": "numeric"}))
    disbursement_date = forms.DateField(label="Disbursal date", widget=AdminDateInput, input_formats=["%Y-%m-%d"])
    first_repayment_date = forms.DateField(label="First repayment (optional)", required=False,
                                           widget=AdminDateInput, input_formats=["%Y-%m-%d"])

    @classmethod
    def initial_values(cls) -> dict:
        return {"disbursement_date": timezone.localdate()}
