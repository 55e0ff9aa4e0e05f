"""Member registration, encrypted Ghana Card numbers, KYC four eyes and banker assignment."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from apps.audit.models import AuditEvent
from apps.members.models import Member
from apps.members.selectors import can_collect_from, members_visible_to
from apps.members.services import member_assign, member_kyc_reject, member_kyc_verify, member_register

pytestmark = pytest.mark.django_db


def register(actor, **extra):
    data = {"first_name": "Adjoa", "last_name": "Sarpong", "phone": "0201234567", "national_id": "GHA-712345678-9"}
    data.update(extra)
    return member_register(actor=actor, **data)


def test_ghana_card_is_encrypted_at_rest_and_shown_masked(cashier):
    member = register(cashier, national_id=" gha-712345678-9 ")
    with connection.cursor() as cursor:
        cursor.execute("SELECT national_id FROM members_member WHERE id = %s", [member.pk])
        stored = cursor.fetchone()[0]
    assert "712345678" not in stored
    assert Member.objects.get(pk=member.pk).national_id == "GHA-712345678-9"
    assert member.national_id_masked == "GHA-********8-9"


def test_badly_formed_or_duplicate_ghana_card_is_refused(cashier):
    with pytest.raises(ValidationError) as exc:
        register(cashier, national_id="12345")
    assert "GHA-123456789-0" in str(exc.value)
    register(cashier)
    with pytest.raises(ValidationError, match="already registered"):
        register(cashier, first_name="Someone", national_id="GHA-712345678-9")
    assert Member.objects.count() == 1


def test_new_members_are_numbered_and_pending(cashier):
    first, second = register(cashier), register(cashier, national_id="GHA-712345678-0")
    assert first.kyc_status == second.kyc_status == Member.Kyc.PENDING
    assert first.member_number != second.member_number
    assert AuditEvent.objects.filter(action="member.register").count() == 2


def test_kyc_is_verified_by_someone_other_than_the_registrar(operations_manager, make_user):
    member = register(operations_manager)
    with pytest.raises(ValidationError, match="someone other than"):
        member_kyc_verify(actor=operations_manager, member=member)
    other = make_user("operations_manager")
    member_kyc_verify(actor=other, member=member)
    member.refresh_from_db()
    assert member.kyc_status == Member.Kyc.VERIFIED and member.kyc_reviewed_by == other
    assert AuditEvent.objects.filter(action="member.kyc_verified", target_id=str(member.pk)).exists()
    with pytest.raises(ValidationError, match="already verified"):
        member_kyc_reject(actor=other, member=member, reason="late doubts")


def test_only_operations_managers_review_kyc_and_rejection_needs_a_reason(cashier, manager, operations_manager):
    member = register(cashier)
    with pytest.raises(PermissionDenied):
        member_kyc_verify(actor=manager, member=member)
    with pytest.raises(ValidationError):
        member_kyc_reject(actor=operations_manager, member=member, reason="  ")
    member_kyc_reject(actor=operations_manager, member=member, reason="ID photo unreadable")
    member.refresh_from_db()
    assert (member.kyc_status, member.kyc_note) == (Member.Kyc.REJECTED, "ID photo unreadable")


def test_mobile_banker_sees_only_assigned_members(cashier, manager, mobile_banker, make_user):
    mine = register(cashier)
    theirs = register(cashier, national_id="GHA-712345678-1")
    other_banker = make_user("mobile_banker")
    member_assign(actor=manager, member=mine, banker=mobile_banker)
    member_assign(actor=manager, member=theirs, banker=other_banker)
    assert list(members_visible_to(mobile_banker)) == [mine]
    assert can_collect_from(mobile_banker, mine) and not can_collect_from(mobile_banker, theirs)
    member_assign(actor=manager, member=mine, banker=other_banker)  # reassigning removes the old banker's rights
    assert list(members_visible_to(mobile_banker)) == []
    assert not can_collect_from(mobile_banker, mine)


def test_assignment_rules(cashier, mobile_banker, manager):
    member = register(cashier)
    with pytest.raises(PermissionDenied):
        member_assign(actor=cashier, member=member, banker=mobile_banker)
    with pytest.raises(ValidationError):
        member_assign(actor=manager, member=member, banker=cashier)


def test_banker_registering_in_the_field_gets_the_member(mobile_banker):
    member = member_register(actor=mobile_banker, assign_to_self=True, first_name="Yaa", last_name="Boakye",
                             phone="0551234567")
    assert member.assigned_banker == mobile_banker
    assert list(members_visible_to(mobile_banker)) == [member]


def test_customer_sees_only_their_own_member_record(cashier, customer):
    own = register(cashier)
    own.user = customer
    own.save()
    register(cashier, national_id="GHA-712345678-2")
    assert list(members_visible_to(customer)) == [own]
