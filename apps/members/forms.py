"""Forms of the staff console's member screens."""

from django import forms
from django.core.exceptions import ValidationError
from unfold.forms import BaseDialogForm
from unfold.widgets import UnfoldAdminSelectWidget, UnfoldAdminTextareaWidget, UnfoldAdminTextInputWidget

from apps.core.roles import Role
from apps.users.models import User

from .models import Member, normalise_ghana_card, validate_ghana_card, validate_phone
from .services import check_unique_national_id


class MemberAdminForm(forms.ModelForm):
    """The Ghana Card number is never sent back to the browser: staff see it masked and type a
    new one into `national_id_entry` (blank keeps the current number)."""

    national_id_entry = forms.CharField(
        label="Ghana Card number", required=False, max_length=20,
        widget=UnfoldAdminTextInputWidget(attrs={"autocomplete": "off", "placeholder": "GHA-123456789-0"}),
        help_text="Stored encrypted and shown masked. Leave blank to keep the number on file.",
    )

    class Meta:
        model = Member
        fields = ("first_name", "other_names", "last_name", "date_of_birth", "occupation", "photo", "phone", "email",
                  "address", "next_of_kin_name", "next_of_kin_phone", "next_of_kin_relationship", "user")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "national_id_entry" in self.fields:
            if self.instance.pk is None:
                self.fields["national_id_entry"].help_text = "Stored encrypted; staff only ever see it masked."
            else:
                self.fields["national_id_entry"].label = "New Ghana Card number"

    def clean_phone(self):
        phone = self.cleaned_data.get("phone", "")
        validate_phone(phone)
        return phone.strip()

    def clean_next_of_kin_phone(self):
        phone = self.cleaned_data.get("next_of_kin_phone", "")
        if phone:
            validate_phone(phone)
        return phone.strip()

    def clean_national_id_entry(self):
        value = normalise_ghana_card(self.cleaned_data.get("national_id_entry", ""))
        if not value:
            return ""
        validate_ghana_card(value)
        try:
            check_unique_national_id(value, exclude_pk=self.instance.pk)
        except ValidationError as exc:
            raise ValidationError(exc.messages)
        return value


class KycVerifyForm(BaseDialogForm):
    note = forms.CharField(
        label="Note", required=False, max_length=500,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 3, "placeholder": "What you checked (optional)"}),
    )


class KycRejectForm(BaseDialogForm):
    reason = forms.CharField(
        label="Reason", max_length=500,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 3, "placeholder": "Shown to the member"}),
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError("Give the reason for rejecting KYC; the member will be told.")
        return reason


class AssignBankerForm(BaseDialogForm):
    banker = forms.ModelChoiceField(
        label="Mobile banker", required=False, empty_label="Nobody (unassign)",
        queryset=User.objects.filter(role=Role.MOBILE_BANKER, is_active=True).order_by("first_name", "last_name"),
        widget=UnfoldAdminSelectWidget,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        member = Member.objects.filter(pk=self.object_id).first() if self.object_id else None
        if member is not None and not self.is_bound:
            self.fields["banker"].initial = member.assigned_banker_id
