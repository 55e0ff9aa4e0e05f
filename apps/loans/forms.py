"""The console's schedule preview form and the application decision dialogs."""

from django import forms
from django.utils import timezone
from unfold.forms import BaseDialogForm
from unfold.widgets import UnfoldAdminSelectWidget, UnfoldAdminTextareaWidget, UnfoldAdminTextInputWidget

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


class ConfirmDialogForm(BaseDialogForm):
    """A dialog with nothing to fill in: the decision is the POST."""


class ApproveDialogForm(BaseDialogForm):
    approved_amount = AmountField(label="Approved amount", required=False,
                                  help_text="Leave empty to approve the amount requested; never more than it.")
    note = forms.CharField(label="Note", required=False, max_length=2000,
                           widget=UnfoldAdminTextareaWidget(attrs={"rows": 2}))


class RejectDialogForm(BaseDialogForm):
    reason = forms.CharField(label="Reason", max_length=2000, widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}))

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Give the reason.")
        return reason
