"""Forms of the cash screens: denomination counts, drawer open/close, cash requests, the vault,
field collection, remittance and field onboarding, and the admin's dialogs.

The forms only check what a person typed; the services decide (and refuse) everything else.
"""

import secrets
from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from unfold.forms import BaseDialogForm
from unfold.widgets import (
    BASE_INPUT_CLASSES,
    UnfoldAdminImageFieldWidget,
    UnfoldAdminSelectWidget,
    UnfoldAdminTextareaWidget,
    UnfoldAdminTextInputWidget,
)

from apps.core.forms import AmountField
from apps.core.money import in_currency
from apps.core.roles import Role
from apps.members.models import normalise_ghana_card, validate_ghana_card, validate_phone
from apps.members.services import check_unique_national_id

from .models import CashDrawer, ChequeDeposit, Denomination

AMOUNT_ATTRS = {"autocomplete": "off", "inputmode": "decimal", "placeholder": "0.00"}


def new_key(prefix: str = "cash") -> str:
    """A fresh idempotency key for a money form, made when the form is shown."""
    return f"{prefix}-{secrets.token_urlsafe(18)}"


def denomination_label(denomination: Denomination) -> str:
    """"GH₵ 200": kept for the cash screens' callers; the label is the model's (Denomination.label)."""
    return denomination.label


def count_field_name(value: Decimal) -> str:
    return "n_" + f"{value:.2f}".replace(".", "_")


# --- denomination counts ---------------------------------------------------------------------

class CountForm(forms.Form):
    """One whole-number input per active denomination; blank counts as none."""

    def __init__(self, *args, denominations=None, **kwargs):
        super().__init__(*args, **kwargs)
        if denominations is None:
            denominations = Denomination.objects.filter(is_active=True)
        self.denominations = list(denominations)
        for denomination in self.denominations:
            self.fields[count_field_name(denomination.value)] = forms.IntegerField(
                label=denomination_label(denomination), required=False, min_value=0, max_value=1_000_000,
                error_messages={"invalid": "Count whole notes or coins.",
                                "min_value": "A count cannot be negative.",
                                "max_value": "That is more than a drawer holds; count again."},
                widget=forms.NumberInput(attrs={
                    "min": 0, "step": 1, "inputmode": "numeric", "autocomplete": "off", "placeholder": "0",
                    "data-value": f"{denomination.value:.2f}",
                    "class": " ".join([*BASE_INPUT_CLASSES, "cash-count-input", "text-right"]),
                    "aria-label": f"Number of {denomination_label(denomination)} "
                                  f"{denomination.get_kind_display().lower()}s"}))

    def rows(self):
        """(denomination, bound field) pairs for the template."""
        return [(d, self[count_field_name(d.value)]) for d in self.denominations]

    def counts(self) -> dict[str, int]:
        """Every active denomination, counted or not (zeros included: the record shows each was counted)."""
        return {f"{d.value:.2f}": self.cleaned_data.get(count_field_name(d.value)) or 0 for d in self.denominations}


class DrawerCloseForm(CountForm):
    total = AmountField(
        allow_zero=True, label=in_currency("Your total"),
        help_text="Add up the cash yourself and enter the total: it must agree with the counts above.",
        widget=UnfoldAdminTextInputWidget(attrs={**AMOUNT_ATTRS, "data-testid": "close-total"}))


class RemitForm(CountForm):
    cashier = forms.ModelChoiceField(
        label="Cashier receiving the cash", queryset=get_user_model().objects.none(), empty_label="Choose a cashier",
        widget=UnfoldAdminSelectWidget, error_messages={"invalid_choice": "That cashier's drawer is not open."})

    field_order = ["cashier"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        open_drawers = CashDrawer.objects.filter(status=CashDrawer.Status.OPEN).values("cashier")
        self.fields["cashier"].queryset = (get_user_model().objects.filter(role=Role.CASHIER, is_active=True,
                                                                           pk__in=open_drawers)
                                           .order_by("first_name", "last_name", "email"))
        self.fields["cashier"].label_from_instance = lambda user: user.get_full_name() or user.email


# --- cashier: requests to the vault ----------------------------------------------------------

class MovementRequestForm(forms.Form):
    amount = AmountField(label=in_currency("Amount"),
                             widget=UnfoldAdminTextInputWidget(attrs=AMOUNT_ATTRS))
    reason = forms.CharField(label="Reason", max_length=255,
                             widget=UnfoldAdminTextInputWidget(attrs={"placeholder": "e.g. large payouts expected"}))


    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError("Give a reason for the request.")
        return reason


# --- managers: vault, floats, sign-offs ----------------------------------------------------------

class VaultReceiveForm(forms.Form):
    amount = AmountField(label=in_currency("Amount"),
                             widget=UnfoldAdminTextInputWidget(attrs=AMOUNT_ATTRS))
    note = forms.CharField(label="Source", max_length=255,
                           widget=UnfoldAdminTextInputWidget(attrs={"placeholder": "e.g. bank withdrawal slip 0042"}))



class FloatIssueForm(forms.Form):
    cashier = forms.ModelChoiceField(label="Cashier", queryset=get_user_model().objects.none(),
                                     empty_label="Choose a cashier", widget=UnfoldAdminSelectWidget)
    amount = AmountField(label=in_currency("Float"),
                             widget=UnfoldAdminTextInputWidget(attrs=AMOUNT_ATTRS))

    def __init__(self, *args, business_date=None, **kwargs):
        super().__init__(*args, **kwargs)
        cashiers = get_user_model().objects.filter(role=Role.CASHIER, is_active=True)
        if business_date is not None:
            cashiers = cashiers.exclude(float_issues__business_date=business_date)
        self.fields["cashier"].queryset = cashiers.order_by("first_name", "last_name", "email")
        self.fields["cashier"].label_from_instance = lambda user: user.get_full_name() or user.email



class ReasonForm(forms.Form):
    reason = forms.CharField(label="Reason", max_length=255)

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError("Give the reason.")
        return reason


# --- admin dialogs --------------------------------------------------------------------------------

class ConfirmDialogForm(BaseDialogForm):
    """A dialog with nothing to fill in: the decision is the POST."""


class ReasonDialogForm(BaseDialogForm):
    reason = forms.CharField(label="Reason", max_length=255, widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}))

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError("Give the reason.")
        return reason


class BounceDialogForm(ReasonDialogForm):
    fee = AmountField(label=in_currency("Returned cheque fee"), required=False,
                          help_text="Optional. Charged only if the member's balance covers it.",
                          widget=UnfoldAdminTextInputWidget(attrs=AMOUNT_ATTRS))


class ChequeDepositAddForm(forms.ModelForm):
    """A cheque taken at the counter. The service validates and posts; the form only collects."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=128)
    account_number = forms.CharField(
        label="Account number", max_length=20,
        widget=UnfoldAdminTextInputWidget(attrs={"autocomplete": "off", "inputmode": "numeric",
                                                 "placeholder": "10-digit account number"}))
    amount = AmountField(label=in_currency("Amount"),
                             widget=UnfoldAdminTextInputWidget(attrs=AMOUNT_ATTRS))

    class Meta:
        model = ChequeDeposit
        fields = ("drawer_bank", "cheque_number", "image")
        labels = {"drawer_bank": "Bank the cheque is drawn on", "image": "Cheque image (photo or scan)"}


    def _post_clean(self):
        # No model validation here: `cheque_deposit` checks duplicates (and answers a retried form
        # with the cheque it already took), amounts and the account, and builds the row itself.
        pass


# --- field: collection and onboarding ---------------------------------------------------------

class CollectForm(forms.Form):
    """One collection. `confirm` and `note` come from the confirmation step (a second collection the
    same day, or an amount above the configured multiple of the daily amount)."""

    account_id = forms.IntegerField(widget=forms.HiddenInput)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=128)
    amount = AmountField(label=in_currency("Amount"))
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)
    note = forms.CharField(label="Note: why this collection", max_length=200, required=False,
                           widget=UnfoldAdminTextareaWidget(attrs={"rows": 2,
                                                                   "placeholder": "e.g. paying for the whole week"}))


    def clean_note(self):
        return self.cleaned_data["note"].strip()


IMAGE_ATTRS = {"accept": "image/*", "capture": "environment"}


class FieldMemberForm(forms.Form):
    """A new member met in the field: KYC documents captured on the phone, a Daily Susu amount agreed."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=128)
    first_name = forms.CharField(label="First name", max_length=80, widget=UnfoldAdminTextInputWidget)
    other_names = forms.CharField(label="Other names", max_length=120, required=False,
                                  widget=UnfoldAdminTextInputWidget)
    last_name = forms.CharField(label="Surname", max_length=80, widget=UnfoldAdminTextInputWidget)
    phone = forms.CharField(label="Phone", max_length=32,
                            widget=UnfoldAdminTextInputWidget(attrs={"inputmode": "tel", "autocomplete": "off",
                                                                     "placeholder": "024 412 3456"}))
    date_of_birth = forms.DateField(label="Date of birth", required=False,
                                    widget=forms.DateInput(format="%Y-%m-%d", attrs={
                                        "type": "date", "class": " ".join(BASE_INPUT_CLASSES)}))
    address = forms.CharField(label="Address", required=False, max_length=500,
                              widget=UnfoldAdminTextareaWidget(attrs={"rows": 2,
                                                                      "placeholder": "House, street, area or GPS"}))
    occupation = forms.CharField(label="Occupation", max_length=120, required=False,
                                 widget=UnfoldAdminTextInputWidget(attrs={"placeholder": "e.g. fish trader"}))
    next_of_kin_name = forms.CharField(label="Name", max_length=160, required=False,
                                       widget=UnfoldAdminTextInputWidget)
    next_of_kin_phone = forms.CharField(label="Next of kin's phone", max_length=32, required=False,
                                        widget=UnfoldAdminTextInputWidget(attrs={"inputmode": "tel"}))
    next_of_kin_relationship = forms.CharField(label="Relationship", max_length=60, required=False,
                                               widget=UnfoldAdminTextInputWidget(attrs={"placeholder": "e.g. sister"}))
    national_id = forms.CharField(label="Ghana Card number", max_length=20,
                                  widget=UnfoldAdminTextInputWidget(attrs={"autocomplete": "off",
                                                                           "placeholder": "GHA-123456789-0"}))
    photo = forms.ImageField(label="Member's photo", widget=UnfoldAdminImageFieldWidget(attrs=IMAGE_ATTRS))
    id_image = forms.ImageField(label="Ghana Card (front)", widget=UnfoldAdminImageFieldWidget(attrs=IMAGE_ATTRS))
    id_back_image = forms.ImageField(label="Ghana Card (back)", required=False,
                                     widget=UnfoldAdminImageFieldWidget(attrs=IMAGE_ATTRS))
    daily_amount = AmountField(label=in_currency("Daily Susu amount"),
                                   help_text="What the member commits to pay each day.",
                                   widget=UnfoldAdminTextInputWidget(attrs=AMOUNT_ATTRS))

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        validate_phone(phone)
        return phone

    def clean_next_of_kin_phone(self):
        phone = self.cleaned_data.get("next_of_kin_phone", "").strip()
        if phone:
            validate_phone(phone)
        return phone

    def clean_national_id(self):
        value = normalise_ghana_card(self.cleaned_data["national_id"])
        validate_ghana_card(value)
        try:
            check_unique_national_id(value)
        except ValidationError as exc:
            raise ValidationError(exc.messages)
        return value


    def member_fields(self) -> dict:
        names = ("first_name", "other_names", "last_name", "phone", "date_of_birth", "address", "occupation",
                 "next_of_kin_name", "next_of_kin_phone", "next_of_kin_relationship", "national_id", "photo")
        data = {name: self.cleaned_data.get(name) for name in names}
        return {name: value for name, value in data.items() if value not in (None, "")}
