"""The console's application queue: order, the eligibility panel, approve/reject actions, documents."""

from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from apps.ledger.models import Account
from apps.loans import applications as apps_
from apps.loans.models import Loan, LoanDocument

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:loans_loan_changelist")


def apply(world, amount="8000.00"):
    return apps_.loan_apply(actor=world["user"], product=world["product"], amount=amount, term=12, purpose="Shop",
                            account=world["account"],
                            guarantors=[{"member": world["guarantor"], "amount": "3000.00"}])


def test_the_queue_puts_submitted_first_oldest_first(console, world, manager):
    first, second, decided = apply(world, "1000.00"), apply(world, "2000.00"), apply(world, "3000.00")
    Loan.objects.filter(pk=decided.pk).update(status=Loan.Status.REJECTED)
    response = console(manager).get(QUEUE)
    assert response.status_code == 200
    page = response.content.decode()
    assert page.index(first.number) < page.index(second.number) < page.index(decided.number)
    assert "Loan applications" in page


def test_the_change_page_shows_each_rule_and_the_actions(console, world, manager):
    loan = apply(world)
    page = console(manager).get(reverse("admin:loans_loan_change", args=[loan.pk])).content.decode()
    for rule in ("Kyc verified", "Savings multiple", "No arrears", "Active loans limit", "Guarantees accepted",
                 "Amount and term in range"):
        assert rule in page
    assert "Failed" in page and "Approve" in page and "Reject" in page
    assert console(manager).get(reverse("admin:loans_loan_history", args=[loan.pk])).status_code == 200


def test_approve_and_reject_actions_call_the_services(console, world, manager, cashier):
    loan, other = apply(world), apply(world, "1000.00")
    apps_.guarantee_accept(actor=world["g_user"], guarantee=loan.guarantees.get())
    assert console(cashier).post(reverse("admin:loans_loan_approve", args=[loan.pk]),
                                 {"_form_submitted": "on"}).status_code == 403
    client = console(manager)
    client.post(reverse("admin:loans_loan_approve", args=[loan.pk]),
                {"_form_submitted": "on", "approved_amount": "7500.00", "note": "Fine"})
    loan.refresh_from_db()
    assert loan.status == Loan.Status.APPROVED and loan.approved_amount == Decimal("7500.00")
    reject = reverse("admin:loans_loan_reject", args=[other.pk])
    assert client.post(reject, {"_form_submitted": "on", "reason": ""}).status_code == 200  # dialog with an error
    client.post(reject, {"_form_submitted": "on", "reason": "Too soon"})
    other.refresh_from_db()
    assert other.status == Loan.Status.REJECTED and other.decision_note == "Too soon"
    assert client.post(reverse("admin:loans_loan_approve", args=[other.pk]),
                       {"_form_submitted": "on"}).status_code == 403


def test_an_ineligible_approval_shows_the_rule_and_changes_nothing(console, world, manager):
    loan = apply(world)
    response = console(manager).post(reverse("admin:loans_loan_approve", args=[loan.pk]),
                                     {"_form_submitted": "on"}, follow=True)
    assert "guarantees_accepted" in response.content.decode()
    assert Loan.objects.get(pk=loan.pk).status == Loan.Status.SUBMITTED
    assert Account.objects.get(pk=world["g_account"].pk).held_balance == 0


def test_a_mobile_banker_sees_only_assigned_members_loans(console, world, mobile_banker):
    loan = apply(world)
    client = console(mobile_banker)
    assert loan.number not in client.get(QUEUE).content.decode()
    assert client.get(reverse("admin:loans_loan_change", args=[loan.pk])).status_code in (302, 404)


def test_documents_download_only_through_the_checked_view(console, world, manager, mobile_banker, settings,
                                                           tmp_path):
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path)
    loan = apply(world)
    document = apps_.loan_document_add(actor=world["user"], loan=loan, kind="payslip",
                                       file=ContentFile(b"PAYSLIP", name="payslip.pdf"))
    assert LoanDocument.objects.get().file.name.startswith("loans/documents/")
    url = reverse("admin:loans_document_download", args=[document.pk])
    response = console(manager).get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"PAYSLIP"
    assert console(mobile_banker).get(url).status_code == 404
    assert "Download" in console(manager).get(reverse("admin:loans_loan_change", args=[loan.pk])).content.decode()


def _form(world, **overrides):
    data = {"member": world["member"].pk, "product": world["product"].pk, "account": world["account"].pk,
            "amount": "8000.00", "term": "12", "purpose": "Shop stock", "guarantor_1": world["guarantor"].pk,
            "guarantor_1_amount": "3000.00", "guarantor_2": "", "guarantor_2_amount": ""}
    return {**data, **overrides}


def test_a_cashier_keys_an_application_in_the_console(console, world, cashier, manager):
    client = console(cashier)
    add = reverse("admin:loans_loan_add")
    assert client.get(add).status_code == 200
    refused = client.post(add, _form(world, amount="50000.00"))
    assert refused.status_code == 200 and "must be between" in refused.content.decode()
    assert not Loan.objects.exists()
    response = client.post(add, _form(world))
    assert response.status_code == 302, response.content.decode()[:3000]
    loan = Loan.objects.get()
    assert loan.created_by == cashier and loan.status == Loan.Status.SUBMITTED and loan.guarantees.count() == 1
    assert console(manager).get(add).status_code == 403


def test_a_mobile_banker_picks_only_assigned_members(console, world, mobile_banker):
    client = console(mobile_banker)
    response = client.post(reverse("admin:loans_loan_add"), _form(world))
    assert response.status_code == 200 and not Loan.objects.exists()  # not a choice for this banker


def test_operations_change_the_active_loans_limit(console, operations_manager, manager):
    from apps.audit.models import AuditEvent
    from apps.loans.models import LoansPolicy

    policy = LoansPolicy.current()
    assert LoansPolicy.objects.count() == 1 and policy.max_active_loans == 2
    url = reverse("admin:loans_loanspolicy_change", args=[policy.pk])
    assert console(manager).post(url, {"max_active_loans": "5"}).status_code == 403
    rates = {f"provision_{code}": "5" for code in ("current", "1_30", "31_60", "61_90", "91_180", "over_180")}
    response = console(operations_manager).post(url, {"max_active_loans": "3", **rates, "provision_61_90": "60"})
    assert response.status_code == 302
    assert LoansPolicy.current().max_active_loans == 3
    assert LoansPolicy.current().provision_rates()["61-90"] == Decimal("60")
    refused = console(operations_manager).post(url, {"max_active_loans": "3", **rates, "provision_current": "101"})
    assert refused.status_code == 200 and LoansPolicy.current().provision_current == Decimal("5")
    assert AuditEvent.objects.filter(action="loanspolicy.change").exists()


def test_managers_see_how_many_applications_wait(console, world, manager, cashier, rf):
    from apps.loans.admin_views import applications_badge

    apply(world)
    apply(world, "1000.00")
    request = rf.get("/admin/")
    request.user = manager
    assert applications_badge(request) == 2
    request.user = cashier
    assert applications_badge(request) is None
