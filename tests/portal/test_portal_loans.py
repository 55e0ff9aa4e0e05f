"""The member's loans in the portal: the list, a loan's page, paying from an account (once, never more
than the payoff), applying with a schedule preview, and the schedule and statement PDFs — each only for
the loan's own member."""

from decimal import Decimal

import pytest
from django.test import Client

from apps.core.business_day import reporting_date
from apps.ledger.models import Account, Posting
from apps.loans import servicing
from apps.loans.models import Loan, LoanGuarantee, LoanTransaction
from tests.ledger.factories import fund, make_member, open_account
from tests.support import staff_client_for

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def stranger(cashier, operations_manager, make_user):
    """Another member, signed in to the portal, with savings of their own."""
    user = make_user("customer")
    member = make_member(registrar=cashier, verifier=operations_manager, user=user, first_name="Abena")
    fund(open_account(actor=cashier, member=member, kind="monthly_contribution"), "900.00", cashier=cashier)
    return user


def _pay(client, loan, account, amount, key="k-pay-1", confirm=True):
    form = {"amount": amount, "from_account": account.pk, "idempotency_key": key}
    if confirm:
        form["confirm"] = "1"
    return client.post(f"/my/loans/{loan.pk}/pay/", form)


def test_my_loans_lists_each_loan_with_its_figures(world, active_loan):
    client = staff_client_for(world["user"])
    first = active_loan.instalments.order_by("number").first()
    page = client.get("/my/loans/")
    assert page.status_code == 200
    text = page.content.decode()
    row = page.context["rows"][0]
    assert row["loan"] == active_loan
    outstanding = servicing.loan_outstanding(active_loan)
    assert row["outstanding"] == outstanding and outstanding["principal"] == D("8000.00")
    assert row["next_due"] == first.due_date and row["next_due_amount"] == first.total
    assert row["days_in_arrears"] == 0
    assert active_loan.number in text and "Active" in text
    assert f"{outstanding['total']:,.2f}" in text and f"GH₵ {first.total:,.2f}" in text
    assert first.due_date.strftime("%d %b %Y") in text
    assert "Loan calculator" in text and "/my/loans/guarantees/" in text


def test_a_submitted_application_is_listed_and_guarantors_see_the_request_link(world):
    from apps.loans import applications

    loan = applications.loan_apply(actor=world["user"], product=world["product"], amount="1000.00", term=6,
                                   purpose="School fees", account=world["account"],
                                   guarantors=[{"member": world["guarantor"], "amount": "500.00"}])
    text = staff_client_for(world["user"]).get("/my/loans/").content.decode()
    assert loan.number in text and "Submitted" in text
    listing = staff_client_for(world["g_user"]).get("/my/loans/").content.decode()
    assert 'data-testid="guarantee-requests-link"' in listing and "You have no loans." in listing


def test_the_loan_page_shows_summary_schedule_payments_and_payoff(world, active_loan):
    client = staff_client_for(world["user"])
    servicing.loan_repay(actor=world["user"], loan=active_loan, amount="200.00", idempotency_key="seed-1")
    page = client.get(f"/my/loans/{active_loan.pk}/")
    assert page.status_code == 200
    schedule = page.context["schedule"]
    assert len(schedule["instalments"]) == 12
    assert [r["status"] for r in schedule["instalments"][:2]] == ["partly_paid", "pending"]
    payoff = page.context["payoff"]
    assert payoff["total"] == servicing.loan_outstanding(active_loan)["total"]
    assert payoff["principal"] == D("8000.00") - LoanTransaction.objects.get(kind="repayment").principal
    text = page.content.decode()
    assert 'data-testid="loan-schedule"' in text and "Partly paid" in text and "Pending" in text
    assert 'data-testid="loan-payments"' in text and "200.00" in text
    assert f"GH₵ {payoff['total']:,.2f}" in text
    assert f"/my/loans/{active_loan.pk}/schedule.pdf" in text and f"/my/loans/{active_loan.pk}/statement.pdf" in text


def test_pay_confirms_then_posts_once_even_if_submitted_twice(world, active_loan):
    client = staff_client_for(world["user"])
    account = Account.objects.get(pk=world["account"].pk)
    before = account.balance
    form = client.get(f"/my/loans/{active_loan.pk}/pay/")
    assert form.status_code == 200 and form.context["form"].initial["idempotency_key"]
    assert "no-store" in form["Cache-Control"] and "private" in form["Cache-Control"]

    confirm = _pay(client, active_loan, account, "500.00", confirm=False)
    assert confirm.status_code == 200 and 'data-testid="loan-pay-confirm"' in confirm.content.decode()
    assert confirm.context["allocation"].amount == D("500.00")
    assert not LoanTransaction.objects.filter(kind="repayment").exists()  # a review posts nothing

    first = _pay(client, active_loan, account, "500.00")
    second = _pay(client, active_loan, account, "500.00")
    assert first.status_code == second.status_code == 302 and first.url == second.url
    payment = LoanTransaction.objects.get(kind="repayment")
    assert payment.amount == D("500.00")
    account.refresh_from_db()
    assert account.balance == before - D("500.00")

    receipt = client.get(first.url)
    assert receipt.status_code == 200
    text = receipt.content.decode()
    first_instalment = active_loan.instalments.order_by("number").first()
    assert payment.interest == first_instalment.interest
    assert payment.principal == D("500.00") - payment.interest
    assert f"{payment.interest:,.2f}" in text and f"{payment.principal:,.2f}" in text
    after = servicing.loan_outstanding(active_loan)["total"]
    assert receipt.context["outstanding"]["total"] == after and f"GH₵ {after:,.2f}" in text


def test_more_than_the_payoff_is_refused_and_nothing_posted(world, active_loan):
    client = staff_client_for(world["user"])
    account = Account.objects.get(pk=world["account"].pk)
    payoff = servicing.payoff_quote(active_loan, reporting_date())["total"]
    too_much = str(payoff + D("0.01"))
    postings = Posting.objects.count()

    review = _pay(client, active_loan, account, too_much, confirm=False)
    posted = _pay(client, active_loan, account, too_much)

    for response in (review, posted):
        text = response.content.decode()
        assert response.status_code == 409 and 'role="alert"' in text
        assert "more than you owe" in text and f"GH₵ {payoff:,.2f}" in text
        assert 'data-testid="loan-pay-confirm"' not in text
    assert Posting.objects.count() == postings and not LoanTransaction.objects.filter(kind="repayment").exists()


def test_short_funds_and_bad_amounts_are_refused_in_plain_words(world, active_loan, cashier):
    from apps.ledger import services as ledger

    client = staff_client_for(world["user"])
    account = Account.objects.get(pk=world["account"].pk)
    ledger.withdrawal_create(actor=cashier, account=account, amount=str(account.balance - D("10.00")))
    for confirm in (False, True):  # refused at review, and by the service when posting
        short = _pay(client, active_loan, account, "50.00", confirm=confirm)
        assert short.status_code == 409 and 'role="alert"' in short.content.decode()
        assert f"There is not enough available on account {account.account_number}" in short.content.decode()
    bad = _pay(client, active_loan, account, "1.999")
    assert bad.status_code == 422 and "two decimal places" in bad.content.decode()
    assert not LoanTransaction.objects.filter(kind="repayment").exists()


def test_paying_the_payoff_closes_the_loan(world, active_loan):
    client = staff_client_for(world["user"])
    account = Account.objects.get(pk=world["account"].pk)
    payoff = servicing.loan_outstanding(active_loan)["total"]
    done = _pay(client, active_loan, account, str(payoff))
    assert done.status_code == 302
    active_loan.refresh_from_db()
    assert active_loan.status == Loan.Status.CLOSED
    assert "repaid and closed" in client.get(done.url).content.decode()
    again = client.get(f"/my/loans/{active_loan.pk}/pay/")
    assert "nothing left to pay" in again.content.decode() and 'name="amount"' not in again.content.decode()


def test_apply_with_a_preview_creates_a_submitted_loan(world):
    client = staff_client_for(world["user"])
    page = client.get("/my/loans/apply/")
    assert page.status_code == 200
    key = page.context["form"].initial["idempotency_key"]
    form = {"product": world["product"].pk, "amount": "1200.00", "term": "6", "purpose": "Sewing machine",
            "account": world["account"].pk, "idempotency_key": key,
            "guarantor_1": world["guarantor"].member_number, "guarantor_1_amount": "600.00"}

    preview = client.post("/my/loans/apply/", {**form, "action": "preview"})
    assert preview.status_code == 200
    schedule = preview.context["schedule"]
    assert len(schedule.instalments) == 6 and sum(i.principal for i in schedule.instalments) == D("1200.00")
    text = preview.content.decode()
    assert 'data-testid="apply-preview"' in text and 'data-testid="apply-button"' in text
    assert "Ko**" in text and world["guarantor"].member_number in text  # the guarantor, partly masked
    assert not Loan.objects.exists()

    fingerprint = preview.context["fingerprint"]
    first = client.post("/my/loans/apply/", {**form, "action": "apply", "previewed": fingerprint})
    second = client.post("/my/loans/apply/", {**form, "action": "apply", "previewed": fingerprint})
    assert first.status_code == second.status_code == 302 and first.url == second.url
    loan = Loan.objects.get()
    assert (loan.status, loan.amount, loan.term, loan.purpose) == ("submitted", D("1200.00"), 6, "Sewing machine")
    assert loan.guarantees.get().guarantor == world["guarantor"]
    assert loan.guarantees.get().status == LoanGuarantee.Status.REQUESTED
    assert "is submitted" in client.get(first.url).content.decode()
    listing = client.get("/my/loans/").content.decode()
    assert loan.number in listing and "Submitted" in listing


def test_apply_without_a_matching_preview_previews_first(world):
    client = staff_client_for(world["user"])
    form = {"product": world["product"].pk, "amount": "1200.00", "term": "6", "purpose": "Stock",
            "account": world["account"].pk, "idempotency_key": "k-apply"}
    no_preview = client.post("/my/loans/apply/", {**form, "action": "apply"})
    assert no_preview.status_code == 200 and no_preview.context["schedule"] is not None
    preview = client.post("/my/loans/apply/", {**form, "action": "preview"})
    changed = client.post("/my/loans/apply/", {**form, "amount": "1500.00", "action": "apply",
                                               "previewed": preview.context["fingerprint"]})
    assert changed.status_code == 200 and "You changed the application" in changed.content.decode()
    assert not Loan.objects.exists()


def test_apply_refusals_are_shown_on_the_fields(world, stranger):
    client = staff_client_for(world["user"])
    base = {"product": world["product"].pk, "term": "6", "purpose": "Stock", "account": world["account"].pk,
            "idempotency_key": "k-bad", "action": "preview"}
    too_small = client.post("/my/loans/apply/", {**base, "amount": "100.00"})
    assert too_small.status_code == 422 and too_small.context["form"].errors["amount"]
    unknown = client.post("/my/loans/apply/", {**base, "amount": "1000.00", "guarantor_1": "NOPE-1",
                                               "guarantor_1_amount": "10.00"})
    assert unknown.status_code == 422 and "No member has that number." in unknown.content.decode()
    self_guarantee = client.post("/my/loans/apply/", {**base, "amount": "1000.00", "action": "apply",
                                                      "guarantor_1": world["member"].member_number,
                                                      "guarantor_1_amount": "10.00"})
    # previewed first (no matching preview), then applying is refused by the service on that row
    fingerprint = self_guarantee.context["fingerprint"]
    refused = client.post("/my/loans/apply/", {**base, "amount": "1000.00", "action": "apply",
                                               "guarantor_1": world["member"].member_number,
                                               "guarantor_1_amount": "10.00", "previewed": fingerprint})
    assert refused.status_code == 422 and refused.context["form"].errors["guarantor_1"]
    other_account = Account.objects.filter(member__user=stranger).first()
    not_mine = client.post("/my/loans/apply/", {**base, "amount": "1000.00", "account": other_account.pk})
    assert not_mine.status_code == 422 and not_mine.context["form"].errors["account"]
    assert not Loan.objects.exists()


def test_pdfs_are_private_pdfs(world, active_loan):
    client = staff_client_for(world["user"])
    servicing.loan_repay(actor=world["user"], loan=active_loan, amount="300.00", idempotency_key="seed-2")
    for kind in ("schedule", "statement"):
        response = client.get(f"/my/loans/{active_loan.pk}/{kind}.pdf")
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
        assert f'filename="loan-{active_loan.number}-{kind}.pdf"' in response["Content-Disposition"]
        assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]


def test_the_statement_runs_the_principal_outstanding(world, active_loan):
    from apps.portal import loan_documents

    servicing.loan_repay(actor=world["user"], loan=active_loan, amount="300.00", idempotency_key="seed-3")
    statement = loan_documents.loan_statement_build(active_loan, as_of=reporting_date())
    disbursal, repayment = statement.lines
    assert disbursal.principal_outstanding == D("8000.00")
    assert repayment.principal_outstanding == D("8000.00") - repayment.principal
    assert statement.total_paid == D("300.00")
    html = loan_documents.loan_statement_html(statement)
    assert "table.lines" in html  # the account statement's stylesheet
    assert f"{repayment.principal_outstanding:,.2f}" in html


def test_an_approved_loans_schedule_pdf_shows_the_expected_schedule(world, approved_loan):
    from apps.portal import loan_documents

    html = loan_documents.loan_schedule_html(approved_loan, on=reporting_date())
    assert "would have if paid out" in html
    response = staff_client_for(world["user"]).get(f"/my/loans/{approved_loan.pk}/schedule.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"


def test_another_members_loan_is_404_everywhere_and_nothing_is_paid(world, active_loan, stranger):
    client = staff_client_for(stranger)
    account = Account.objects.filter(member__user=stranger).first()
    servicing.loan_repay(actor=world["user"], loan=active_loan, amount="100.00", idempotency_key="seed-4")
    payment = LoanTransaction.objects.get(kind="repayment")
    for url in (f"/my/loans/{active_loan.pk}/", f"/my/loans/{active_loan.pk}/pay/",
                f"/my/loans/{active_loan.pk}/schedule.pdf", f"/my/loans/{active_loan.pk}/statement.pdf",
                f"/my/loans/{active_loan.pk}/payments/{payment.pk}/"):
        assert client.get(url).status_code == 404, url
    assert _pay(client, active_loan, account, "50.00").status_code == 404
    assert LoanTransaction.objects.filter(kind="repayment").count() == 1
    assert active_loan.number not in client.get("/my/loans/").content.decode()


def test_strangers_sign_in_and_staff_are_sent_to_the_console(world, active_loan, manager):
    for url in ("/my/loans/", f"/my/loans/{active_loan.pk}/", f"/my/loans/{active_loan.pk}/pay/",
                "/my/loans/apply/", f"/my/loans/{active_loan.pk}/schedule.pdf"):
        anonymous = Client().get(url)
        assert anonymous.status_code == 302 and "login" in anonymous["Location"], url
        assert staff_client_for(manager).get(url).status_code == 403, url


def test_a_member_adds_a_document_to_their_application_and_only_they_read_it(world, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from apps.loans import applications

    settings.PRIVATE_MEDIA_ROOT = str(tmp_path)
    loan = applications.loan_apply(actor=world["user"], product=world["product"], amount="1000.00", term=6,
                                   purpose="Rent", account=world["account"])
    client = staff_client_for(world["user"])
    page = client.get(f"/my/loans/{loan.pk}/")
    assert 'data-testid="loan-documents"' in page.content.decode()
    bad = client.post(f"/my/loans/{loan.pk}/documents/",
                      {"kind": "payslip", "file": SimpleUploadedFile("x.exe", b"MZ", "application/octet-stream")})
    assert bad.status_code == 302 and not loan.documents.exists()
    ok = client.post(f"/my/loans/{loan.pk}/documents/",
                     {"kind": "payslip", "file": SimpleUploadedFile("slip.pdf", b"%PDF-1.4 slip", "application/pdf")})
    assert ok.status_code == 302 and loan.documents.count() == 1
    document = loan.documents.get()
    got = client.get(f"/my/loans/{loan.pk}/documents/{document.pk}/")
    assert got.status_code == 200 and b"".join(got.streaming_content) == b"%PDF-1.4 slip"
    assert "no-store" in got["Cache-Control"]
    other = staff_client_for(world["g_user"])
    assert other.get(f"/my/loans/{loan.pk}/documents/{document.pk}/").status_code == 404
    assert other.post(f"/my/loans/{loan.pk}/documents/", {"kind": "payslip"}).status_code == 404
