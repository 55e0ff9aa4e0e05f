"""The console's schedule preview form and the application decision dialogs."""

from django import forms
from django.utils import timezone
from unfold.forms import BaseDialogForm
from unfold.widgets import UnfoldAdminSelectWidget, UnfoldAdminTextareaWidget, UnfoldAdminTextInputWidget

from apps.core.forms import AmountField

from .models import Loan, LoanProduct


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


class LoanApplicationForm(forms.ModelForm):
    """A cashier or mobile banker keys an application for a member. The member list is the members the
    user may see (a mobile banker: their assigned members); the service checks everything again."""

    amount = AmountField(label="Amount requested")
    guarantor_1 = forms.ModelChoiceField(queryset=None, required=False, label="First guarantor",
                                         widget=UnfoldAdminSelectWidget)
    guarantor_1_amount = AmountField(label="First guarantor pledges", required=False)
    guarantor_2 = forms.ModelChoiceField(queryset=None, required=False, label="Second guarantor",
                                         widget=UnfoldAdminSelectWidget)
    guarantor_2_amount = AmountField(label="Second guarantor pledges", required=False)

    class Meta:
        model = Loan
        fields = ("member", "product", "account", "amount", "term", "purpose")

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        from apps.ledger.selectors import accounts_visible_to
        from apps.members.models import Member
        from apps.members.selectors import members_visible_to

        self.fields["member"].queryset = members_visible_to(user).filter(status=Member.Status.ACTIVE)
        self.fields["product"].queryset = LoanProduct.objects.filter(is_active=True)
        self.fields["account"].queryset = accounts_visible_to(user).filter(status="active")
        self.fields["account"].help_text = "One of the member's savings accounts: the loan is paid into it."
        for name in ("guarantor_1", "guarantor_2"):
            self.fields[name].queryset = Member.objects.filter(status=Member.Status.ACTIVE)

    def guarantors(self) -> list[dict]:
        data = self.cleaned_data
        return [{"member": data[name], "amount": data.get(f"{name}_amount") or "0"}
                for name in ("guarantor_1", "guarantor_2") if data.get(name) is not None]
