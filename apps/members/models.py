import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from simple_history.models import HistoricalRecords

from apps.core.crypto import EncryptedTextField, blind_index
from apps.core.models import TimeStampedModel
from apps.core.roles import Role

GHANA_CARD = re.compile(r"^GHA-\d{9}-\d$")


def normalise_ghana_card(value: str) -> str:
    return (value or "").strip().upper().replace(" ", "")


def validate_ghana_card(value: str) -> None:
    if not GHANA_CARD.match(normalise_ghana_card(value)):
        raise ValidationError("Enter the Ghana Card number as GHA-123456789-0.")


PHONE = re.compile(r"^\+?\d{9,15}$")


def validate_phone(value: str) -> None:
    """A phone number a person can be called on: 9 to 15 digits, optionally starting with +.
    Spaces, dashes and brackets are allowed for readability (024 412 3456, +233 24 412 3456)."""
    if not PHONE.match(re.sub(r"[\s\-()]", "", value or "")):
        raise ValidationError("Enter a phone number such as 024 412 3456 or +233 24 412 3456.")


class Member(TimeStampedModel):
    """A member of the credit union (a customer), separate from any login they may have."""

    class Kyc(models.TextChoices):
        PENDING = "pending", "Pending"
        VERIFIED = "verified", "Verified"
        REJECTED = "rejected", "Rejected"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        EXITED = "exited", "Exited"

    member_number = models.CharField(max_length=16, unique=True, editable=False)
    first_name = models.CharField(max_length=80)
    last_name = models.CharField(max_length=80)
    other_names = models.CharField(max_length=120, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    phone = models.CharField(max_length=32)
    email = models.EmailField(blank=True)
    address = models.TextField(blank=True)
    occupation = models.CharField(max_length=120, blank=True)
    next_of_kin_name = models.CharField(max_length=160, blank=True)
    next_of_kin_phone = models.CharField(max_length=32, blank=True)
    next_of_kin_relationship = models.CharField(max_length=60, blank=True)
    photo = models.ImageField(upload_to="members/photos/%Y/%m/", blank=True)
    national_id = EncryptedTextField(blank=True, validators=[validate_ghana_card],
                                     help_text="Ghana Card number, GHA-123456789-0. Stored encrypted.")
    national_id_index = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    kyc_status = models.CharField(max_length=16, choices=Kyc.choices, default=Kyc.PENDING, db_index=True)
    kyc_reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="kyc_reviews")
    kyc_reviewed_at = models.DateTimeField(null=True, blank=True)
    kyc_note = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="members_registered")
    assigned_banker = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="assigned_members",
                                        limit_choices_to={"role": Role.MOBILE_BANKER})
    user = models.OneToOneField(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="member", limit_choices_to={"role": Role.CUSTOMER},
                                help_text="The portal login of this member, if they have one.")

    history = HistoricalRecords(excluded_fields=["national_id"])

    class Meta:
        ordering = ["last_name", "first_name"]
        permissions = [
            ("verify_kyc", "Can verify or reject a member's KYC"),
            ("assign_member", "Can assign members to mobile bankers"),
            ("collect_member", "Can collect deposits from this member in the field"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["national_id_index"], condition=~models.Q(national_id_index=""),
                                    name="member_national_id_unique"),
        ]

    def __str__(self):
        return f"{self.full_name} ({self.member_number})"

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.other_names, self.last_name) if part)

    @property
    def initials(self) -> str:
        """For an avatar where there is no photo."""
        return "".join(part[0] for part in (self.first_name, self.last_name) if part).upper() or "?"

    @property
    def national_id_masked(self) -> str:
        value = self.national_id or ""
        if len(value) < 6:
            return "—"
        return f"{value[:4]}{'*' * (len(value) - 7)}{value[-3:]}"

    def save(self, *args, **kwargs):
        self.national_id = normalise_ghana_card(self.national_id) if self.national_id else ""
        self.national_id_index = blind_index(self.national_id) if self.national_id else ""
        if not self.member_number:
            self.member_number = _next_member_number()
        super().save(*args, **kwargs)


def _next_member_number() -> str:
    last = Member.objects.order_by("-id").values_list("member_number", flat=True).first()
    number = int(last[1:]) + 1 if last else 100001
    while Member.objects.filter(member_number=f"M{number}").exists():
        number += 1
    return f"M{number}"


class MemberDocument(models.Model):
    class Kind(models.TextChoices):
        ID_FRONT = "id_front", "ID card (front)"
        ID_BACK = "id_back", "ID card (back)"
        PROOF_OF_ADDRESS = "address", "Proof of address"
        SIGNATURE = "signature", "Signature specimen"
        OTHER = "other", "Other"

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    file = models.FileField(upload_to="members/documents/%Y/%m/")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    def __str__(self):
        return f"{self.get_kind_display()} for {self.member}"
