"""The console's schedule preview form and the application decision dialogs."""

from django import forms
from django.utils import timezone
from unfold.forms import BaseDialogForm
from unfold.widgets import UnfoldAdminSelectWidget, UnfoldAdminTextareaWidget, UnfoldAdminTextInputWidget

from apps.core.forms import AmountField

from .models import Loan, LoanDocument, LoanProduct


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


# --- servicing a loan in the console (apps/loans/admin_views.py LoanActionView) --------------------

def channel_choices(role: str, allowed: dict) -> list[tuple[str, str]]:
    from .models import LoanTransaction

    return [(c, LoanTransaction.Channel(c).label) for c in allowed.get(role, ())]


class LoanActionForm(forms.Form):
    """A loan action's form. `idempotency_key` is made once when the form is first shown and travels
    through the confirmation page, so a double click or a resubmitted page posts nothing twice."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, user=None, loan=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.loan = user, loan


class DisburseForm(LoanActionForm):
    CHANNELS = {"manager": ("account",), "cashier": ("account", "cash")}

    channel = forms.ChoiceField(label="Pay out", widget=UnfoldAdminSelectWidget)
    disbursement_date = forms.DateField(
        label="Disbursal date (optional)", required=False, widget=AdminDateInput, input_formats=["%Y-%m-%d"],
        help_text="Leave empty for today's business date; an earlier date only for a loan paid out on a day not "
                  "yet keyed.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = channel_choices(getattr(self.user, "role", ""), self.CHANNELS)


class RepayForm(LoanActionForm):
    CHANNELS = {"cashier": ("cash", "account"), "manager": ("account",)}

    amount = AmountField(label="Amount", widget=UnfoldAdminTextInputWidget)
    channel = forms.ChoiceField(label="Paid", widget=UnfoldAdminSelectWidget)
    from_account = forms.ModelChoiceField(queryset=None, required=False, label="From account",
                                          widget=UnfoldAdminSelectWidget, empty_label="The loan's account",
                                          help_text="Only when paid from the member's account.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from apps.ledger.models import Account

        self.fields["channel"].choices = channel_choices(getattr(self.user, "role", ""), self.CHANNELS)
        member_id = self.loan.member_id if self.loan is not None else None
        self.fields["from_account"].queryset = Account.objects.filter(
            member_id=member_id, status=Account.Status.ACTIVE).select_related("product")
        self.fields["from_account"].label_from_instance = lambda a: f"{a.account_number} · {a.product.name}"

    def clean(self):
        data = super().clean()
        if data.get("channel") != "account":
            data["from_account"] = None
        return data


class LoanRequestForm(LoanActionForm):
    """A write-off or the reversal of a disbursal: only the reason. Nothing moves until a second manager
    approves it in Loan approvals."""

    reason = forms.CharField(label="Reason", max_length=255, widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}))

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Give the reason.")
        return reason


class BackdatedRepaymentForm(LoanRequestForm):
    CHANNELS = {"cashier": ("cash", "account"), "manager": ("account",)}

    amount = AmountField(label="Amount", widget=UnfoldAdminTextInputWidget)
    value_date = forms.DateField(label="Paid on", widget=AdminDateInput, input_formats=["%Y-%m-%d"],
                                 help_text="The day the member actually paid, before today's business date.")
    channel = forms.ChoiceField(label="Paid", widget=UnfoldAdminSelectWidget)
    field_order = ["amount", "value_date", "channel", "reason"]

    def __init__(self, *args, business_date=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.business_date = business_date
        self.fields["channel"].choices = channel_choices(getattr(self.user, "role", ""), self.CHANNELS)

    def clean_value_date(self):
        day = self.cleaned_data["value_date"]
        if self.business_date is not None and day >= self.business_date:
            raise forms.ValidationError(f"A backdated repayment is dated before today's business date "
                                        f"({self.business_date:%d %b %Y}); take today's at the counter.")
        if self.loan is not None and self.loan.disbursed_on and day < self.loan.disbursed_on:
            raise forms.ValidationError("The loan was not yet disbursed on that date.")
        return day


class LoanDocumentForm(forms.Form):
    """A paper for an application: `applications.loan_document_add` checks its type, size and the loan."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False)
    kind = forms.ChoiceField(choices=LoanDocument.Kind.choices, label="What it is", widget=UnfoldAdminSelectWidget)
    file = forms.FileField(label="File", help_text="PDF, JPEG or PNG, at most 5 MB.")

    def __init__(self, *args, user=None, loan=None, **kwargs):
        super().__init__(*args, **kwargs)
