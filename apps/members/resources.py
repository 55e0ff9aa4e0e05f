"""CSV export and import of members (django-import-export).

The export never carries a plaintext Ghana Card number, only the masked form. The import only
creates members, each through `member_register` (KYC pending, registered by the importer), so an
import is held to the same rules and audit as a registration at the counter.
"""

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from import_export import fields, resources, widgets

from .models import Member, normalise_ghana_card, validate_ghana_card, validate_phone
from .services import MEMBER_FIELDS, member_register


def _email(user) -> str:
    return user.email if user is not None else ""


class MemberExportResource(resources.ModelResource):
    national_id_masked = fields.Field(attribute="national_id_masked", column_name="national_id_masked",
                                      readonly=True)
    registered_by = fields.Field(column_name="registered_by", readonly=True)
    assigned_banker = fields.Field(column_name="assigned_banker", readonly=True)
    kyc_reviewed_by = fields.Field(column_name="kyc_reviewed_by", readonly=True)

    class Meta:
        model = Member
        name = "Members (compliance)"
        fields = ("member_number", "first_name", "other_names", "last_name", "date_of_birth", "phone", "email",
                  "occupation", "national_id_masked", "kyc_status", "kyc_reviewed_by", "kyc_reviewed_at", "status",
                  "registered_by", "assigned_banker", "created_at")
        export_order = fields

    def dehydrate_registered_by(self, member):
        return _email(member.registered_by)

    def dehydrate_assigned_banker(self, member):
        return _email(member.assigned_banker)

    def dehydrate_kyc_reviewed_by(self, member):
        return _email(member.kyc_reviewed_by)

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("registered_by", "assigned_banker", "kyc_reviewed_by")


IMPORT_COLUMNS = ("first_name", "other_names", "last_name", "date_of_birth", "phone", "email", "address",
                  "occupation", "next_of_kin_name", "next_of_kin_phone", "next_of_kin_relationship", "national_id")


class MemberImportResource(resources.ModelResource):
    """One row, one new member. Rows are validated as a registration would be; the dry run shows
    each row's errors and saves nothing."""

    date_of_birth = fields.Field(attribute="date_of_birth", column_name="date_of_birth",
                                 widget=widgets.DateWidget(format="%Y-%m-%d"))

    class Meta:
        model = Member
        name = "New members"
        fields = IMPORT_COLUMNS
        import_order = IMPORT_COLUMNS
        import_id_fields = ()
        skip_diff = True
        use_bulk = False
        clean_model_instances = False

    def get_instance(self, instance_loader, row):
        return None  # an import never updates an existing member

    def import_instance(self, instance, row, **kwargs):
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        for name in IMPORT_COLUMNS:
            value = getattr(instance, name, None)
            if isinstance(value, str):
                setattr(instance, name, value.strip())
        checks = [("phone", validate_phone, True), ("next_of_kin_phone", validate_phone, False),
                  ("national_id", validate_ghana_card, False)]
        for name, check, required in checks:
            value = getattr(instance, name) or ""
            if name in errors or (not value and not required):
                continue
            try:
                check(value)
            except ValidationError as exc:
                errors.setdefault(name, []).extend(exc.messages)
        if instance.national_id:
            instance.national_id = normalise_ghana_card(instance.national_id)
        if errors:
            raise ValidationError(errors)

    def save_instance(self, instance, is_create, row, **kwargs):
        user = kwargs.get("user")
        if user is None:
            raise ValidationError("Members can only be imported by a signed-in member of staff.")
        values = {name: getattr(instance, name) for name in IMPORT_COLUMNS if name in MEMBER_FIELDS}
        values = {name: value for name, value in values.items() if value not in (None, "")}
        try:
            member = member_register(actor=user, **values)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                raise
            raise ValidationError({NON_FIELD_ERRORS: exc.messages})
        instance.pk, instance.member_number = member.pk, member.member_number
        instance._state.adding = False
