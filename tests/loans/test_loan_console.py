"""The console's loan page and its servicing actions: the schedule with statuses, disbursal and repayment
through edit → review → confirm, refusals in words, four eyes on loan requests, and who sees what."""

from decimal import Decimal

import pytest
from django.urls import reverse

from apps.ledger.models import Posting
from apps.loans import servicing
from apps.loans.models import Loan, LoanRequest, LoanTransaction
from tests.ledger.factories import open_drawer

pytestmark = pytest.mark.django_db
D = Decimal


def page(loan):
    return reverse("admin:loans_loan_change", args=[loan.pk])


def act(name, loan):
    return reverse(f"admin:loans_loan_{name}", args=[loan.pk])


def key_of(response) -> str:
    return response.context["form"]["idempotency_key"].value()


def lines(entry):
    return sorted((p.gl_account.code, p.account_id, p.debit, p.credit) for p in entry.postings.all())


def test_the_loan_page_shows_the_schedule_with_statuses_and_formatted_amounts(console, active_loan, manager,
                                                                             cashier):
    servicing.loan_repay(actor=cashier, loan=active_loan, amount="300.00", channel="account")
    response = console(manager).get(page(active_loan))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="loan-schedule"' in html and 'data-testid="loan-summary"' in html
    assert html.count('data-status="partly_paid"') == 1 and html.count('data-status="pending"') == 11
    assert "Partly paid" in html and "Not yet due" in html
    assert "8,000.00" in html  # the principal, formatted
    outstanding = servicing.loan_outstanding(active_loan)
    assert f"{outstanding['total']:,.2f}" in html
    assert "Repayment" in html and "Disbursal" in html  # the loan's transactions
    assert "Guarantors" in html and "Kofi" in html
    for label in ("Take a repayment", "Reverse the disbursal", "Write off", "Backdated repayment"):
        assert label in html
    assert ">Disburse<" not in html.replace(" ", "").replace("\n", "")


def test_an_overdue_instalment_is_marked_overdue(console, active_loan, manager):
    first = active_loan.instalments.order_by("number").first()
    active_loan.instalments.filter(pk=first.pk).update(due_date=first.due_date.replace(year=first.due_date.year - 1))
    html = console(manager).get(page(active_loan)).content.decode()
    assert html.count('data-status="overdue"') == 1 and "Overdue" in html


def test_disbursal_shows_a_confirmation_first_then_posts_what_the_service_posts(console, approved_loan, manager,
                                                                               world):
    client = console(manager)
    form = client.get(act("disburse", approved_loan))
    assert form.status_code == 200 and 'data-testid="loan-action-form"' in form.content.decode()
    key = key_of(form)
    count = Posting.objects.count()
    review = client.post(act("disburse", approved_loan), {"idempotency_key": key, "channel": "account",
                                                         "step": "review"})
    html = review.content.decode()
    assert review.status_code == 200 and 'data-testid="loan-confirm"' in html
    assert "7,920.00" in html and "80.00" in html and 'data-testid="disbursal-schedule"' in html
    assert Posting.objects.count() == count and Loan.objects.get(pk=approved_loan.pk).status == "approved"
    done = client.post(act("disburse", approved_loan), {"idempotency_key": key, "channel": "account",
                                                       "disbursement_date": "", "step": "confirm"})
    assert done.status_code == 302 and done["Location"] == page(approved_loan)
    again = client.post(act("disburse", approved_loan), {"idempotency_key": key, "channel": "account",
                                                        "disbursement_date": "", "step": "confirm"})
    assert again.status_code == 302  # the same key: nothing posted twice
    [result] = LoanTransaction.objects.filter(loan=approved_loan, kind="disbursal")
    approved_loan.refresh_from_db()
    assert approved_loan.status == Loan.Status.ACTIVE and approved_loan.disbursed_by == manager
    assert set(lines(result.journal_entry)) == {("1100", None, D("8000.00"), D("0")),
                                               (result.journal_entry.postings.get(account__isnull=False)
                                                .gl_account.code, world["account"].pk, D("0"), D("7920.00")),
                                               ("4010", None, D("0"), D("80.00"))}
    assert approved_loan.instalments.count() == 12


def test_disbursal_through_the_page_posts_the_service_figures_and_schedule(console, approved_loan, manager,
                                                                          world):
    figures = servicing.disbursal_figures(approved_loan)
    client = console(manager)
    key = key_of(client.get(act("disburse", approved_loan)))
    review = client.post(act("disburse", approved_loan), {"idempotency_key": key, "channel": "account",
                                                         "step": "review"})
    schedule = review.context["preview"]["schedule"]
    client.post(act("disburse", approved_loan), {"idempotency_key": key, "channel": "account", "step": "confirm"})
    result = LoanTransaction.objects.get(loan=approved_loan, kind="disbursal")
    entry_lines = lines(result.journal_entry)
    assert sum(line[2] for line in entry_lines) == figures.principal_owed
    assert [line[3] for line in entry_lines if line[1] == world["account"].pk] == [figures.paid_out]
    assert (result.amount, result.fees) == (figures.principal_owed, figures.deducted_fees + figures.capitalised_fees)
    fixed = [(i.number, i.due_date, i.principal, i.interest) for i in approved_loan.instalments.order_by("number")]
    assert fixed == [(i.number, i.due_date, i.principal, i.interest) for i in schedule.instalments]


def test_a_repayment_through_the_page_and_its_receipt(console, active_loan, cashier):
    open_drawer(cashier)
    client = console(cashier)
    form = client.get(act("repay", active_loan))
    assert 'data-testid="payoff"' in form.content.decode()
    data = {"idempotency_key": key_of(form), "amount": "1000.00", "channel": "cash", "from_account": ""}
    review = client.post(act("repay", active_loan), {**data, "step": "review"})
    assert 'data-testid="loan-confirm"' in review.content.decode(), review.content.decode()[-6000:]
    assert "1,000.00" in review.content.decode()
    assert not LoanTransaction.objects.filter(loan=active_loan, kind="repayment").exists()
    done = client.post(act("repay", active_loan), {**data, "amount": "1000.00", "step": "confirm"})
    result = LoanTransaction.objects.get(loan=active_loan, kind="repayment")
    assert done.status_code == 302 and done["Location"] == reverse("admin:loans_repayment_receipt", args=[result.pk])
    assert result.amount == D("1000.00") and result.channel == "cash"
    assert result.principal + result.interest + result.fees + result.penalties == D("1000.00")
    receipt = client.get(done["Location"]).content.decode()
    assert "1,000.00" in receipt and f"{servicing.loan_outstanding(active_loan)['total']:,.2f}" in receipt


def test_a_repayment_above_the_payoff_is_refused_on_the_form(console, active_loan, manager):
    client = console(manager)
    key = key_of(client.get(act("repay", active_loan)))
    response = client.post(act("repay", active_loan), {"idempotency_key": key, "amount": "99999.00",
                                                       "channel": "account", "step": "review"})
    assert response.status_code == 409 and "more than the payoff" in response.content.decode()


def test_a_cashier_without_an_open_drawer_gets_the_clear_refusal(console, active_loan, approved_loan, make_user):
    cashier = make_user("cashier")
    client = console(cashier)
    key = key_of(client.get(act("repay", active_loan)))
    response = client.post(act("repay", active_loan), {"idempotency_key": key, "amount": "100.00",
                                                       "channel": "cash", "step": "review"})
    assert response.status_code == 409
    assert "Open your cash drawer before taking in or paying out cash." in response.content.decode()
    # at the confirm step too (the service's own refusal), nothing posted
    count = Posting.objects.count()
    response = client.post(act("repay", active_loan), {"idempotency_key": key, "amount": "100.00",
                                                       "channel": "cash", "step": "confirm"})
    assert "Open your cash drawer" in response.content.decode() and Posting.objects.count() == count


def test_cash_disbursal_without_a_drawer_is_refused_in_words(console, approved_loan, make_user):
    cashier = make_user("cashier")
    client = console(cashier)
    key = key_of(client.get(act("disburse", approved_loan)))
    response = client.post(act("disburse", approved_loan), {"idempotency_key": key, "channel": "cash",
                                                           "step": "review"})
    assert response.status_code == 409 and "Open your cash drawer" in response.content.decode()
    assert Loan.objects.get(pk=approved_loan.pk).status == Loan.Status.APPROVED


@pytest.mark.parametrize("role, allowed", [
    ("mobile_banker", False), ("operations_manager", False), ("cashier", True), ("manager", True)])
def test_who_may_disburse(console, approved_loan, make_user, role, allowed):
    client = console(make_user(role))
    assert client.get(act("disburse", approved_loan)).status_code == (200 if allowed else 403)
    if not allowed:
        assert client.post(act("disburse", approved_loan), {"step": "confirm"}).status_code == 403
        assert Loan.objects.get(pk=approved_loan.pk).status == Loan.Status.APPROVED


@pytest.mark.parametrize("role, name, allowed", [
    ("cashier", "repay", True), ("manager", "repay", True), ("operations_manager", "repay", False),
    ("cashier", "request_write_off", False), ("manager", "request_write_off", True),
    ("operations_manager", "request_write_off", False),
    ("cashier", "request_reversal", True), ("manager", "request_reversal", True),
    ("operations_manager", "request_reversal", False),
    ("cashier", "request_backdated", True), ("manager", "request_backdated", True),
    ("operations_manager", "request_backdated", False),
])
def test_who_may_take_each_action_on_an_active_loan(console, active_loan, make_user, role, name, allowed):
    user = make_user(role)
    client = console(user)
    status = client.get(act(name, active_loan)).status_code
    assert status == (200 if allowed else 403)
    if not allowed:
        assert client.post(act(name, active_loan), {"step": "confirm"}).status_code == 403


def test_disburse_is_not_offered_on_an_active_loan(console, active_loan, manager):
    assert console(manager).get(act("disburse", active_loan)).status_code == 403


def test_a_customer_never_reaches_the_console(client, active_loan, world):
    client.force_login(world["user"])
    response = client.get(page(active_loan))
    assert response.status_code in (302, 403)
    assert client.get(act("repay", active_loan)).status_code in (302, 403)


def request_through_page(client, loan, name, **data):
    key = key_of(client.get(act(name, loan)))
    review = client.post(act(name, loan), {"idempotency_key": key, "step": "review", **data})
    assert 'data-testid="loan-confirm"' in review.content.decode(), review.content.decode()[-3000:]
    return client.post(act(name, loan), {"idempotency_key": key, "step": "confirm", **data})


def test_a_write_off_request_waits_and_the_requester_cannot_approve_it(console, active_loan, manager,
                                                                       second_manager):
    client = console(manager)
    done = request_through_page(client, active_loan, "request_write_off", reason="Member emigrated")
    assert done.status_code == 302
    loan_request = LoanRequest.objects.get(loan=active_loan)
    assert loan_request.kind == "write_off" and loan_request.status == "pending"
    assert loan_request.requested_by == manager
    queue = client.get(reverse("admin:loans_loanrequest_changelist"))
    assert queue.status_code == 200 and "Member emigrated" in queue.content.decode()
    approve = reverse("admin:loans_loanrequest_approve", args=[loan_request.pk])
    refused = client.post(approve, {"_form_submitted": "on"}, follow=True)
    assert "a second manager must decide" in refused.content.decode()
    loan_request.refresh_from_db()
    assert loan_request.status == "pending"
    console(second_manager).post(approve, {"_form_submitted": "on"})
    loan_request.refresh_from_db()
    assert loan_request.status == "approved" and loan_request.decided_by == second_manager


def test_a_backdated_repayment_request_checks_the_date_and_can_be_rejected(console, active_loan, cashier,
                                                                           second_manager):
    from apps.core.business_day import reporting_date

    client = console(cashier)
    today = reporting_date()
    key = key_of(client.get(act("request_backdated", active_loan)))
    response = client.post(act("request_backdated", active_loan), {
        "idempotency_key": key, "amount": "200.00", "value_date": today.isoformat(), "channel": "cash",
        "reason": "Paid at the branch", "step": "review"})
    assert response.status_code == 422 and "before today" in response.content.decode()
    assert not LoanRequest.objects.exists()
    assert console(cashier).post(reverse("admin:loans_loanrequest_approve", args=[1]),
                                 {"_form_submitted": "on"}).status_code == 403


def test_cashiers_do_not_decide_loan_requests(console, active_loan, cashier, manager):
    loan_request = LoanRequest.objects.create(loan=active_loan, kind="disbursal_reversal", reason="Wrong account",
                                              requested_by=manager)
    client = console(cashier)
    assert client.post(reverse("admin:loans_loanrequest_approve", args=[loan_request.pk]),
                       {"_form_submitted": "on"}).status_code == 403
    assert client.post(reverse("admin:loans_loanrequest_reject", args=[loan_request.pk]),
                       {"_form_submitted": "on", "reason": "No"}).status_code == 403
    assert client.get(reverse("admin:loans_loanrequest_changelist")).status_code == 200


def test_a_cashier_requests_a_reversal_and_a_manager_rejects_it_with_a_reason(console, active_loan, cashier,
                                                                              manager, rf):
    from apps.loans.admin_views import loan_requests_badge

    done = request_through_page(console(cashier), active_loan, "request_reversal", reason="Paid into the wrong account")
    assert done.status_code == 302
    loan_request = LoanRequest.objects.get(loan=active_loan, kind="disbursal_reversal")
    request = rf.get("/")
    request.user = manager
    assert loan_requests_badge(request) == 1
    request.user = cashier
    assert loan_requests_badge(request) is None
    console(manager).post(reverse("admin:loans_loanrequest_reject", args=[loan_request.pk]),
                          {"_form_submitted": "on", "reason": "Account is right"})
    loan_request.refresh_from_db()
    assert loan_request.status == "rejected" and Loan.objects.get(pk=active_loan.pk).status == Loan.Status.ACTIVE
    html = console(manager).get(page(active_loan)).content.decode()
    assert "Paid into the wrong account" in html and "rejected" in html


def test_a_backdated_repayment_request_through_the_page(console, active_loan, cashier, second_manager):
    from datetime import timedelta

    from apps.core.business_day import reporting_date

    day = reporting_date() - timedelta(days=1)
    if active_loan.disbursed_on > day:
        Loan.objects.filter(pk=active_loan.pk).update(disbursed_on=day)
        active_loan.refresh_from_db()
    done = request_through_page(console(cashier), active_loan, "request_backdated", amount="200.00",
                                value_date=day.isoformat(), channel="cash", reason="Paid yesterday, not keyed")
    assert done.status_code == 302
    loan_request = LoanRequest.objects.get(loan=active_loan, kind="backdated_repayment")
    assert (loan_request.amount, loan_request.value_date, loan_request.channel) == (D("200.00"), day, "cash")


def test_operations_managers_do_not_see_loan_approvals(console, operations_manager):
    assert console(operations_manager).get(reverse("admin:loans_loanrequest_changelist")).status_code == 403


def test_a_cashier_adds_a_document_to_a_submitted_application(console, world, cashier, manager, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from apps.loans import applications

    settings.PRIVATE_MEDIA_ROOT = str(tmp_path)
    loan = applications.loan_apply(actor=cashier, member=world["member"], product=world["product"],
                                   amount="1000.00", term=6, purpose="Rent", account=world["account"])
    client = console(cashier)
    assert client.get(act("add_document", loan)).status_code == 200
    refused = client.post(act("add_document", loan), {"kind": "payslip", "step": "confirm",
                                                      "file": SimpleUploadedFile("a.exe", b"MZ")})
    assert refused.status_code == 409 and not loan.documents.exists()
    done = client.post(act("add_document", loan), {"kind": "payslip", "step": "confirm",
                                                   "file": SimpleUploadedFile("slip.pdf", b"%PDF-1.4")})
    assert done.status_code == 302 and loan.documents.count() == 1
    assert console(manager).get(act("add_document", loan)).status_code == 403
