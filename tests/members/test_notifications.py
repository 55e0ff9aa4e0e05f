"""Members: the people who verify KYC hear about a member waiting for it."""

import pytest

from apps.members.services import member_update
from apps.messaging.models import Notification
from tests.ledger.factories import ghana_card, make_member
from tests.support import add_totp_device

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


def test_the_kyc_queue_badge_counts_members_waiting_for_the_verifiers_only(cashier, operations_manager, staff_client):
    make_member(registrar=cashier)
    make_member(registrar=cashier)
    make_member(registrar=cashier, verifier=operations_manager)  # verified: not waiting
    add_totp_device(operations_manager)  # the console asks an operations manager for the second factor
    badges = {item["title"]: item for item in staff_client(operations_manager).get("/admin/sidebar/badges/")
              .json()["items"]}
    assert badges["KYC to verify"]["badge"] == "2"
    assert badges["KYC to verify"]["link"] == "/admin/members/member/?kyc_status__exact=pending"
    cashier_badges = staff_client(cashier).get("/admin/sidebar/badges/").json()["items"]
    assert "KYC to verify" not in {item["title"] for item in cashier_badges}  # not a verifier
    listed = staff_client(operations_manager).get("/admin/members/member/?kyc_status__exact=pending")
    assert listed.status_code == 200 and listed.context["cl"].result_count == 2
