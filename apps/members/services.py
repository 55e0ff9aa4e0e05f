"""Member registration, KYC and assignment to mobile bankers."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from apps.audit.services import record
from apps.core.crypto import blind_index
from apps.core.roles import Role

from .models import Member, MemberDocument, normalise_ghana_card

BANKER_OBJECT_PERMS = ("members.view_member", "members.collect_member")
MEMBER_FIELDS = {
    "first_name", "last_name", "other_names", "date_of_birth", "phone", "email", "address", "occupation",
    "next_of_kin_name", "next_of_kin_phone", "next_of_kin_relationship", "photo", "national_id",
}


def check_unique_national_id(national_id: str, exclude_pk=None) -> None:
    if not national_id:
        return
    clash = Member.objects.filter(national_id_index=blind_index(normalise_ghana_card(national_id)))
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"national_id": "A member with this Ghana Card number is already registered."})


def member_register(*, actor, assign_to_self: bool = False, request=None, **fields) -> Member:
    """Register a member with KYC pending. A mobile banker may assign the new member to themselves."""
    unknown = set(fields) - MEMBER_FIELDS
    if unknown:
        raise ValidationError(f"Unknown member fields: {', '.join(sorted(unknown))}.")
    for attempt in range(3):  # two registrations at once may pick the same member number
        try:
            with transaction.atomic():
                member = Member(registered_by=actor, **fields)
                member.full_clean(exclude=["member_number", "national_id_index"])
                check_unique_national_id(member.national_id)
                member.save()
                if assign_to_self and actor.role == Role.MOBILE_BANKER:
                    _grant_banker(member, actor)
                    member.assigned_banker = actor
                    member.save(update_fields=["assigned_banker"])
                record(actor, "member.register", member, request=request)
                _tell_kyc_reviewers(actor, member, f"{member.full_name} was registered: KYC waits for review",
                                    key=f"member-{member.pk}-registered")
                return member
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _grant_banker(member: Member, banker) -> None:
    for perm in BANKER_OBJECT_PERMS:
        assign_perm(perm, banker, member)


def _revoke_banker(member: Member, banker) -> None:
    for perm in BANKER_OBJECT_PERMS:
        remove_perm(perm, banker, member)


@transaction.atomic
def member_assign(*, actor, member: Member, banker, request=None) -> Member:
    """Assign a member to a mobile banker (or unassign with banker=None); object permissions follow."""
    if not actor.has_perm("members.assign_member"):
        raise PermissionDenied("Only managers and operations managers assign members.")
    if banker is not None and banker.role != Role.MOBILE_BANKER:
        raise ValidationError({"banker": "Members can only be assigned to a mobile banker."})
    member = Member.objects.select_for_update().get(pk=member.pk)
    previous = member.assigned_banker
    if previous == banker:
        return member
    if previous is not None:
        _revoke_banker(member, previous)
    if banker is not None:
        _grant_banker(member, banker)
    member.assigned_banker = banker
    member.save(update_fields=["assigned_banker", "updated_at"])
    record(actor, "member.assign", member, request=request,
           previous=getattr(previous, "email", None), banker=getattr(banker, "email", None))
    return member


def _review(*, actor, member: Member, status: str, note: str, request) -> Member:
    if not actor.has_perm("members.verify_kyc"):
        raise PermissionDenied("Only operations managers verify KYC.")
    member = Member.objects.select_for_update().get(pk=member.pk)
    if member.registered_by_id == actor.pk:
        raise ValidationError("KYC must be reviewed by someone other than the person who registered the member.")
    if member.kyc_status != Member.Kyc.PENDING:
        raise ValidationError(f"KYC is already {member.get_kyc_status_display().lower()}.")
    member.kyc_status, member.kyc_reviewed_by, member.kyc_reviewed_at = status, actor, timezone.now()
    member.kyc_note = note
    member.save(update_fields=["kyc_status", "kyc_reviewed_by", "kyc_reviewed_at", "kyc_note", "updated_at"])
    record(actor, f"member.kyc_{status}", member, request=request, note=note)
    return member


@transaction.atomic
def member_kyc_verify(*, actor, member: Member, note: str = "", request=None) -> Member:
    if not member.national_id:
        raise ValidationError("Record the member's Ghana Card number before verifying KYC.")
    return _review(actor=actor, member=member, status=Member.Kyc.VERIFIED, note=note, request=request)


@transaction.atomic
def member_kyc_reject(*, actor, member: Member, reason: str, request=None) -> Member:
    if not (reason or "").strip():
        raise ValidationError({"reason": "Give the reason for rejecting KYC; the member will be told."})
    return _review(actor=actor, member=member, status=Member.Kyc.REJECTED, note=reason.strip(), request=request)


@transaction.atomic
def member_update(*, actor, member: Member, request=None, **fields) -> Member:
    """Change a member's details. A new Ghana Card number sends KYC back to pending: what was
    verified was the old card. The audit row names the fields changed, never an ID number."""
    if not actor.has_perm("members.change_member"):
        raise PermissionDenied("Your role may not change member details.")
    unknown = set(fields) - MEMBER_FIELDS
    if unknown:
        raise ValidationError(f"Unknown member fields: {', '.join(sorted(unknown))}.")
    member = Member.objects.select_for_update().get(pk=member.pk)
    old_national_id = member.national_id or ""
    changed = sorted(name for name, value in fields.items() if getattr(member, name) != value)
    for name, value in fields.items():
        setattr(member, name, value)
    member.full_clean(exclude=["member_number", "national_id_index"])
    new_national_id = normalise_ghana_card(member.national_id) if member.national_id else ""
    kyc_reset = False
    if new_national_id != old_national_id:
        check_unique_national_id(new_national_id, exclude_pk=member.pk)
        if member.kyc_status != Member.Kyc.PENDING:
            kyc_reset = True
            member.kyc_status, member.kyc_reviewed_by, member.kyc_reviewed_at = Member.Kyc.PENDING, None, None
            member.kyc_note = "Ghana Card number changed: KYC must be verified again."
    member.save()
    if changed:
        record(actor, "member.update", member, request=request, fields=changed, kyc_reset=kyc_reset)
    if kyc_reset:
        _tell_kyc_reviewers(actor, member, f"{member.full_name}'s Ghana Card changed: KYC waits for review again")
    return member


def _tell_kyc_reviewers(actor, member: Member, title: str, *, key: str = "") -> None:
    """Tell the people who verify KYC (the roles granted members.verify_kyc) that a member waits."""
    from django.urls import reverse

    from apps.core.notify import NOTIFICATION_KINDS
    from apps.messaging.services import notify

    notify(NOTIFICATION_KINDS["members.kyc_waiting"].roles, "members.kyc_waiting", title,
           f"Member {member.member_number}, by {actor.get_full_name() or actor.email}. Check the documents, then "
           "verify or reject the KYC.", link=reverse("admin:members_member_change", args=[member.pk]), key=key)


@transaction.atomic
def member_document_add(*, actor, member: Member, kind: str, file, request=None) -> MemberDocument:
    """Attach a KYC document (ID card, proof of address, signature) to a member."""
    if not actor.has_perm("members.add_memberdocument"):
        raise PermissionDenied("Your role may not upload member documents.")
    document = MemberDocument(member=member, kind=kind, file=file, uploaded_by=actor)
    document.full_clean()
    document.save()
    record(actor, "member.document_add", member, request=request, kind=kind)
    return document


@transaction.atomic
def member_link_user(*, actor, member: Member, user, request=None) -> Member:
    if user is not None and user.role != Role.CUSTOMER:
        raise ValidationError({"user": "Only a customer login can be linked to a member."})
    member.user = user
    member.save(update_fields=["user", "updated_at"])
    record(actor, "member.link_user", member, request=request, user=getattr(user, "email", None))
    return member


