"""Forms of the staff console's banking screens: teller forms and the reason dialogs."""

import secrets

from django import forms
from django.core.exceptions import ValidationError
from unfold.forms import BaseDialogForm
from unfold.widgets import UnfoldAdminTextareaWidget, UnfoldAdminTextInputWidget

from apps.core.forms import AmountField
from apps.core.money import in_currency

from .models import Account, Product
from .selectors import accounts_visible_to


def new_idempotency_key() -> str:
    return f"teller-{secrets.token_urlsafe(18)}"


class ReasonDialogForm(BaseDialogForm):
    """A reason is required: it is kept in the history and shown to staff."""

    reason = forms.CharField(label="Reason", max_length=255,
                             widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}))

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError("Give the reason.")
        return reason


class ContributionDialogForm(BaseDialogForm):
    """The fixed amount a member promises: a day's for Daily Susu, a month's for Monthly Contribution."""

    contribution_amount = AmountField(label=in_currency("Amount"),
                                          widget=UnfoldAdminTextInputWidget(attrs={"inputmode": "decimal"}))


class TellerForm(forms.Form):
    """Deposit or withdrawal: one account, an amount, an optional narration (payment and fee
    subclass it with a required one). The idempotency key is made when the form is first shown and
    travels through the confirmation step, so a double click or a browser retry posts once."""

    account_fields = ("account",)

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=128)
    account = forms.CharField(
        label="Account number", max_length=20,
        widget=UnfoldAdminTextInputWidget(attrs={"autocomplete": "off", "inputmode": "numeric",
                                                 "placeholder": "10-digit account number"}))
    amount = AmountField(
        label=in_currency("Amount"),
        widget=UnfoldAdminTextInputWidget(attrs={"autocomplete": "off", "inputmode": "decimal",
                                                 "placeholder": "0.00"}))
    description = forms.CharField(label="Narration", max_length=255, required=False,
                                  widget=UnfoldAdminTextInputWidget(attrs={"placeholder": "Optional"}))

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def _visible_account(self, number: str) -> Account:
        number = (number or "").replace(" ", "").strip()
        account = accounts_visible_to(self.user).filter(account_number=number).first()
        if account is None:
            raise ValidationError("No account you may use has that number.")
        return account

    def clean_account(self):
        return self._visible_account(self.cleaned_data["account"])


    def clean_description(self):
        return self.cleaned_data["description"].strip()


class PaymentForm(TellerForm):
    """A payment to an outside payee: the narration, who it is to, is required."""

    description = forms.CharField(
        label="Paid to, and what for", max_length=255,
        error_messages={"required": "Say who the payment is to."},
        widget=UnfoldAdminTextInputWidget(attrs={"placeholder": "e.g. ECG prepaid, meter 0123456"}))


class FeeForm(TellerForm):
    """A one-off fee: the narration is required; the member sees it on their statement."""

    description = forms.CharField(
        label="What the fee is for", max_length=255,
        error_messages={"required": "Say what the fee is for; the member sees it on their statement."},
        widget=UnfoldAdminTextInputWidget(attrs={"placeholder": "e.g. Replacement passbook"}))


class TransferForm(TellerForm):
    account_fields = ("account", "to_account")

    to_account = forms.CharField(
        label="To account number", max_length=20,
        widget=UnfoldAdminTextInputWidget(attrs={"autocomplete": "off", "inputmode": "numeric",
                                                 "placeholder": "10-digit account number"}))
    field_order = ("idempotency_key", "account", "to_account", "amount", "description")

    def __init__(self, user, *args, **kwargs):
        super().__init__(user, *args, **kwargs)
        self.fields["account"].label = "From account number"

    def clean_to_account(self):
        number = (self.cleaned_data["to_account"] or "").replace(" ", "").strip()
        account = Account.objects.select_related("member", "product").filter(account_number=number).first()
        if account is None:
            raise ValidationError("No account has that number.")
        return account

    def clean(self):
        cleaned = super().clean()
        source, target = cleaned.get("account"), cleaned.get("to_account")
        if source is not None and target is not None and source.pk == target.pk:
            self.add_error("to_account", "Choose a different account to transfer to.")
        return cleaned


class SharesExitForm(forms.Form):
    """A member's exit: their Shares account, the account of theirs the shares are paid into, and why
    they are leaving. The whole shares balance is paid out, so there is no amount to type."""

    account_fields = ("account", "to_account")

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=128)
    account = forms.CharField(
        label="Shares account number", max_length=20,
        widget=UnfoldAdminTextInputWidget(attrs={"autocomplete": "off", "inputmode": "numeric",
                                                 "placeholder": "10-digit account number"}))
    to_account = forms.CharField(
        label="Pay the shares into account number", max_length=20,
        error_messages={"required": "Choose the member's account the shares are paid into."},
        widget=UnfoldAdminTextInputWidget(attrs={"autocomplete": "off", "inputmode": "numeric",
                                                 "placeholder": "Another account of the same member",
                                                 "list": "exit-destinations"}))
    reason = forms.CharField(
        label="Reason for leaving", max_length=200,
        error_messages={"required": "Record why the member is leaving."},
        widget=UnfoldAdminTextInputWidget(attrs={"placeholder": "e.g. Relocating abroad"}))

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_account(self):
        number = (self.cleaned_data["account"] or "").replace(" ", "").strip()
        account = accounts_visible_to(self.user).filter(account_number=number).first()
        if account is None:
            raise ValidationError("No account you may use has that number.")
        if account.product.kind != Product.Kind.SHARES:
            raise ValidationError(f"{account.account_number} is a {account.product.name} account, not a Shares "
                                  "account. Choose the member's Shares account.")
        return account

    def clean_to_account(self):
        return (self.cleaned_data["to_account"] or "").replace(" ", "").strip()

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError("Record why the member is leaving.")
        return reason

    def raw(self, name: str) -> str:
        return self.data.get(self.add_prefix(name), "")


def exit_destinations(user, shares_number: str):
    """The member's other open accounts a Shares account can be paid into, for the page to offer."""
    number = (shares_number or "").replace(" ", "").strip()
    shares = accounts_visible_to(user).filter(account_number=number, product__kind=Product.Kind.SHARES).first()
    if shares is None:
        return None, []
    others = (accounts_visible_to(user).filter(member_id=shares.member_id).exclude(pk=shares.pk)
              .exclude(status=Account.Status.CLOSED).order_by("account_number"))
    return shares, list(others)
