"""The member's guarantee requests in the portal: accept (the pledge is held) or decline, only one's own."""

from decimal import Decimal

import pytest

from apps.ledger.models import Account
from apps.loans import applications
from apps.loans.models import LoanGuarantee
from tests.support import staff_client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def request_waiting(world):
    loan = applications.loan_apply(actor=world["user"], product=world["product"], amount="8000.00", term=12,
                                   purpose="Stock for the shop", account=world["account"],
                                   guarantors=[{"member": world["guarantor"], "amount": "3000.00"}])
    return loan.guarantees.get()


def test_the_guarantor_sees_the_request_and_accepting_holds_the_pledge(world, request_waiting):
    client = staff_client_for(world["g_user"])
    listing = client.get("/my/loans/guarantees/")
    assert listing.status_code == 200 and request_waiting.loan.number in listing.content.decode()
    page = client.get(f"/my/loans/guarantees/{request_waiting.pk}/")
    assert page.status_code == 200 and "Accept and hold GH₵ 3,000.00" in page.content.decode()

    done = client.post(f"/my/loans/guarantees/{request_waiting.pk}/",
                       {"answer": "accept", "account_id": world["g_account"].pk})
    assert done.status_code == 302
    request_waiting.refresh_from_db()
    assert request_waiting.status == LoanGuarantee.Status.ACCEPTED
    account = Account.objects.get(pk=world["g_account"].pk)
    assert account.held_balance == Decimal("3000.00") and account.available_balance == Decimal("0.00")
    assert "No one is waiting" in client.get("/my/loans/guarantees/").content.decode()


def test_declining_holds_nothing(world, request_waiting):
    client = staff_client_for(world["g_user"])
    assert client.post(f"/my/loans/guarantees/{request_waiting.pk}/", {"answer": "decline"}).status_code == 302
    request_waiting.refresh_from_db()
    assert request_waiting.status == LoanGuarantee.Status.DECLINED
    assert Account.objects.get(pk=world["g_account"].pk).held_balance == Decimal("0.00")


def test_a_pledge_the_savings_do_not_cover_is_refused_and_nothing_is_held(world, request_waiting, cashier):
    from apps.ledger import services as ledger

    ledger.withdrawal_create(actor=cashier, account=world["g_account"], amount="2500.00")
    client = staff_client_for(world["g_user"])
    refused = client.post(f"/my/loans/guarantees/{request_waiting.pk}/",
                          {"answer": "accept", "account_id": world["g_account"].pk})
    assert refused.status_code == 409 and 'role="alert"' in refused.content.decode()
    request_waiting.refresh_from_db()
    assert request_waiting.status == LoanGuarantee.Status.REQUESTED
    assert Account.objects.get(pk=world["g_account"].pk).held_balance == Decimal("0.00")


def test_no_one_else_answers_or_sees_the_request(world, request_waiting, make_user):
    borrower = staff_client_for(world["user"])
    assert borrower.get(f"/my/loans/guarantees/{request_waiting.pk}/").status_code == 404
    assert borrower.post(f"/my/loans/guarantees/{request_waiting.pk}/", {"answer": "decline"}).status_code == 404
    request_waiting.refresh_from_db()
    assert request_waiting.status == LoanGuarantee.Status.REQUESTED
