"""Members: the people who verify KYC hear about a member waiting for it."""

import pytest

from apps.members.services import member_update
from apps.messaging.models import Notification
from tests.ledger.factories import ghana_card, make_member

pytestmark = pytest.mark.django_db


def test_a_new_member_waits_for_kyc_and_the_reviewers_are_told(cashier, operations_manager, manager):
    member = make_member(registrar=cashier)
    [row] = Notification.objects.filter(kind="members.kyc_waiting")
    assert row.user_id == operations_manager.pk  # the role granted members.verify_kyc, not the manager
    assert row.link == f"/admin/members/member/{member.pk}/change/"
    assert member.full_name in row.title and member.member_number in row.body


def test_a_new_ghana_card_sends_kyc_back_and_tells_the_reviewers_again(cashier, operations_manager):
    member = make_member(registrar=cashier, verifier=operations_manager)
    member_update(actor=operations_manager, member=member, national_id=ghana_card())
    rows = Notification.objects.filter(kind="members.kyc_waiting").order_by("pk")
    assert rows.count() == 2 and "Ghana Card changed" in rows.last().title
    member_update(actor=operations_manager, member=member, phone="0244999888")  # KYC untouched: nobody told
    assert rows.count() == 2
