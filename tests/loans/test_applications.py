"""Loan applications: applying, eligibility rule by rule, guarantees and their holds, four eyes."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from apps.audit.models import AuditEvent
from apps.ledger.errors import LedgerError
from apps.ledger.models import Account
from apps.loans import applications as apps_
from apps.loans.models import Loan, LoanGuarantee, LoansPolicy
from apps.members.services import member_assign
from tests.ledger.factories import fund, open_account

pytestmark = pytest.mark.django_db


def apply(world, actor=None, amount="8000.00", term=12, guarantors=None, **kw):
    if guarantors is None:
        guarantors = [{"member": world["guarantor"], "amount": "3000.00"}]
    return apps_.loan_apply(actor=actor or world["user"], product=world["product"], amount=amount, term=term,
                            purpose="Stock for the shop", account=world["account"], guarantors=guarantors, **kw)


def accept(world, loan):
    guarantee = loan.guarantees.get()
    return apps_.guarantee_accept(actor=world["g_user"], guarantee=guarantee)


def rules(loan):
    return {rule: passed for rule, passed, _ in apps_.eligibility(loan)}


# --- applying ---------------------------------------------------------------------------------------

def test_a_customer_applies_for_themself(world):
    loan = apply(world)
    assert loan.status == Loan.Status.SUBMITTED and loan.member == world["member"]
    assert loan.created_by == world["user"] and loan.interest_rate == Decimal("2")
    assert loan.terms["max_amount"] == "20000.00" and loan.terms["fees"][0]["name"] == "Processing fee"
    assert loan.number.startswith("LN")
    guarantee = loan.guarantees.get()
    assert guarantee.status == LoanGuarantee.Status.REQUESTED and guarantee.amount == Decimal("3000.00")
    assert AuditEvent.objects.filter(action="loan.apply", target_id=str(loan.pk)).exists()
    assert loan.history.count() == 1


def test_a_cashier_applies_for_any_member(world, cashier):
    loan = apply(world, actor=cashier, member=world["member"])
    assert loan.created_by == cashier


def test_a_mobile_banker_applies_only_for_assigned_members(world, mobile_banker, operations_manager):
    with pytest.raises(PermissionDenied):
        apply(world, actor=mobile_banker, member=world["member"])
    member_assign(actor=operations_manager, member=world["member"], banker=mobile_banker)
    world["member"].refresh_from_db()
    loan = apply(world, actor=mobile_banker, member=world["member"])
    assert loan.officer == mobile_banker


def test_a_manager_may_not_apply(world, manager):
    with pytest.raises(PermissionDenied):
        apply(world, actor=manager, member=world["member"])


@pytest.mark.parametrize("amount, term, field", [("499.99", 12, "amount"), ("20000.01", 12, "amount"),
                                                  ("1000.00", 2, "term"), ("1000.00", 25, "term"),
                                                  ("0", 12, "amount"), ("10.001", 12, "amount")])
def test_out_of_range_is_refused_naming_the_field(world, amount, term, field):
    with pytest.raises(ValidationError) as exc:
        apply(world, amount=amount, term=term)
    assert field in exc.value.message_dict
    assert not Loan.objects.exists()


def test_an_inactive_product_takes_no_application(world):
    world["product"].is_active = False
    world["product"].save()
    with pytest.raises(ValidationError) as exc:
        apply(world)
    assert "product_id" in exc.value.message_dict


def test_another_members_account_is_refused(world):
    with pytest.raises(ValidationError) as exc:
        apps_.loan_apply(actor=world["user"], product=world["product"], amount="1000.00", term=12, purpose="x",
                         account=world["g_account"])
    assert "account_id" in exc.value.message_dict
    assert not Loan.objects.exists()


def test_a_customer_cannot_apply_for_another_member(world):
    with pytest.raises(PermissionDenied):
        apply(world, member=world["guarantor"])


def test_the_applicant_cannot_guarantee_themself(world):
    with pytest.raises(ValidationError) as exc:
        apply(world, guarantors=[{"member": world["member"], "amount": "100.00"}])
    assert "guarantors.0.member_id" in exc.value.message_dict


# --- guarantees -------------------------------------------------------------------------------------

def test_accepting_holds_the_pledge_and_declining_holds_nothing(world):
    loan = apply(world)
    accept(world, loan)
    g_account = Account.objects.get(pk=world["g_account"].pk)
    assert g_account.held_balance == Decimal("3000.00")
    assert g_account.available_balance == Decimal("0.00")
    assert AuditEvent.objects.filter(action="loan.guarantee_accept").exists()

    other = apply(world, amount="1000.00", guarantors=[{"member": world["guarantor"], "amount": "50.00"}])
    apps_.guarantee_decline(actor=world["g_user"], guarantee=other.guarantees.get())
    assert other.guarantees.get().status == LoanGuarantee.Status.DECLINED
    assert Account.objects.get(pk=world["g_account"].pk).held_balance == Decimal("3000.00")


def test_a_pledge_beyond_the_available_balance_is_refused(world):
    loan = apply(world, guarantors=[{"member": world["guarantor"], "amount": "3000.01"}])
    with pytest.raises(LedgerError) as exc:
        accept(world, loan)
    assert exc.value.code == "insufficient_funds"
    assert Account.objects.get(pk=world["g_account"].pk).held_balance == 0
    assert loan.guarantees.get().status == LoanGuarantee.Status.REQUESTED


def test_only_the_guarantor_answers(world):
    loan = apply(world)
    with pytest.raises(PermissionDenied):
        apps_.guarantee_accept(actor=world["user"], guarantee=loan.guarantees.get())


def test_a_held_pledge_stops_a_withdrawal(world, cashier):
    from apps.ledger import services

    accept(world, apply(world))
    with pytest.raises(LedgerError):
        services.withdrawal_create(actor=cashier, account=world["g_account"], amount=Decimal("100.00"))


# --- eligibility --------------------------------------------------------------------------------------

def test_all_rules_pass_once_the_guarantor_accepts(world):
    loan = apply(world)
    assert rules(loan)["guarantees_accepted"] is False
    accept(world, loan)
    assert all(rules(loan).values()), apps_.eligibility(loan)


def test_kyc_not_verified_fails(world, cashier):
    member = world["member"]
    member.kyc_status = member.Kyc.PENDING
    member.save()
    assert rules(apply(world))["kyc_verified"] is False


def test_over_the_savings_multiple_fails(world):
    loan = apply(world, amount="10000.01", guarantors=[{"member": world["guarantor"], "amount": "3000"}])
    assert rules(loan)["savings_multiple"] is False
    assert rules(apply(world, amount="10000.00"))["savings_multiple"] is True


def test_savings_are_deposits_not_shares(world, cashier):
    assert apps_.savings_of(world["member"]) == Decimal("5000.00")
    fund(open_account(actor=cashier, member=world["member"], kind="shares"), "1000.00", cashier=cashier)
    assert apps_.savings_of(world["member"]) == Decimal("5000.00")


def test_a_loan_in_arrears_fails(world):
    old = apply(world, amount="1000.00")
    Loan.objects.filter(pk=old.pk).update(status=Loan.Status.ACTIVE, days_in_arrears=3)
    assert rules(apply(world))["no_arrears"] is False


def test_the_active_loans_limit_fails_and_is_configurable(world):
    for _ in range(2):
        Loan.objects.filter(pk=apply(world, amount="1000.00").pk).update(status=Loan.Status.ACTIVE)
    loan = apply(world)
    assert rules(loan)["active_loans_limit"] is False
    policy = LoansPolicy.current()
    policy.max_active_loans = 3
    policy.save()
    assert rules(loan)["active_loans_limit"] is True


def test_guarantees_must_cover_what_savings_do_not(world):
    loan = apply(world, amount="9000.00", guarantors=[{"member": world["guarantor"], "amount": "3000.00"}])
    accept(world, loan)
    assert rules(loan)["guarantees_accepted"] is False  # 9,000 - 5,000 savings = 4,000 to cover, 3,000 pledged
    assert rules(apply(world, amount="8000.00", guarantors=[]))["guarantees_accepted"] is False  # none accepted


def test_range_rule_follows_the_product_now(world):
    loan = apply(world)
    world["product"].max_amount = Decimal("5000.00")
    world["product"].save()
    loan.refresh_from_db()
    assert rules(loan)["amount_and_term_in_range"] is False


# --- four eyes --------------------------------------------------------------------------------------

def test_the_creator_and_the_applicant_may_not_approve(world, make_user):
    creator = make_user("manager")
    with pytest.raises(PermissionDenied):
        apply(world, actor=creator, member=world["member"])  # a manager cannot even key one
    loan = apply(world)
    accept(world, loan)
    world["user"].role = "manager"  # the applicant as a manager (a staff member who is also a member)
    world["user"].save()
    from apps.core.roles import sync_roles
    sync_roles()
    applicant = type(world["user"]).objects.get(pk=world["user"].pk)
    with pytest.raises(PermissionDenied):
        apps_.loan_approve(actor=applicant, loan=loan)
    assert Loan.objects.get(pk=loan.pk).status == Loan.Status.SUBMITTED


def test_the_cashier_who_keyed_it_is_not_a_manager(world, cashier):
    loan = apply(world, actor=cashier, member=world["member"])
    with pytest.raises(PermissionDenied):
        apps_.loan_approve(actor=cashier, loan=loan)


def test_a_second_manager_approves_a_lower_amount(world, manager):
    loan = apply(world)
    accept(world, loan)
    loan = apps_.loan_approve(actor=manager, loan=loan, approved_amount="6000.00", note="Start smaller")
    assert loan.status == Loan.Status.APPROVED and loan.approved_amount == Decimal("6000.00")
    assert loan.decided_by == manager and loan.decision_note == "Start smaller"
    assert AuditEvent.objects.filter(action="loan.approve", target_id=str(loan.pk)).exists()
    with pytest.raises(LedgerError):
        apps_.loan_approve(actor=manager, loan=loan)


def test_approval_is_never_higher_nor_below_the_minimum(world, manager):
    loan = apply(world)
    accept(world, loan)
    for amount in ("8000.01", "499.00"):
        with pytest.raises(ValidationError):
            apps_.loan_approve(actor=manager, loan=loan, approved_amount=amount)
    assert Loan.objects.get(pk=loan.pk).status == Loan.Status.SUBMITTED


def test_approval_reruns_eligibility_and_names_the_rule(world, manager):
    loan = apply(world)
    with pytest.raises(LedgerError) as exc:
        apps_.loan_approve(actor=manager, loan=loan)
    assert exc.value.code == "ineligible_guarantees_accepted" and "guarantees_accepted" in exc.value.message
    assert Loan.objects.get(pk=loan.pk).status == Loan.Status.SUBMITTED
    assert not AuditEvent.objects.filter(action="loan.approve").exists()


def test_reject_needs_a_reason_and_releases_the_holds(world, manager):
    loan = apply(world)
    accept(world, loan)
    with pytest.raises(ValidationError):
        apps_.loan_reject(actor=manager, loan=loan, reason="  ")
    loan = apps_.loan_reject(actor=manager, loan=loan, reason="Income too low")
    assert loan.status == Loan.Status.REJECTED and loan.decision_note == "Income too low"
    assert loan.guarantees.get().status == LoanGuarantee.Status.RELEASED
    assert Account.objects.get(pk=world["g_account"].pk).held_balance == Decimal("0.00")
    assert AuditEvent.objects.filter(action="loan.reject").exists()


def test_a_cashier_cannot_reject(world, cashier):
    loan = apply(world)
    with pytest.raises(PermissionDenied):
        apps_.loan_reject(actor=cashier, loan=loan, reason="No")
