"""Account statements: built from the postings, rendered as PDF and CSV, served by the API, the
staff console and the portal, and audited. The money is checked by reading the files back."""

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import TestCase
from django.utils import timezone
from pypdf import PdfReader
from wagtail.models import Site

from apps.audit.models import AuditEvent
from apps.core.institution import institution
from apps.core.models import BusinessDay, InstitutionSettings, JobRun
from apps.ledger import services
from apps.ledger.models import ServiceCharge, Transaction
from apps.ledger.selectors import posted_balance
from apps.reports import statements
from apps.reports.services import statement_generate
from apps.reports.statements import (
    Statement,
    StatementLine,
    statement_build,
    statement_csv,
    statement_pdf,
    statement_period_validate,
)
from tests.ledger.factories import fund, make_member, open_account
from tests.support import staff_client_for

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.reports.urls")]

D = Decimal
MONEY = r"-?\d{1,3}(?:,\d{3})*\.\d{2}"
ROW_START = re.compile(r"\d{2} [A-Z][a-z]{2} \d{4} ((?:TX|JE)\d{6}[A-Z2-9]{8})")  # "13 Nov 2026 TX2611…"


# --- a history on four business dates ------------------------------------------------------------

def open_business_day(day):
    BusinessDay.objects.filter(status=BusinessDay.Status.OPEN).update(status=BusinessDay.Status.CLOSED)
    return BusinessDay.objects.create(date=day)


@pytest.fixture
def history(customer, cashier, manager, operations_manager):
    """Abena's susu account:
    d1  deposit 1,000.00                                        (before the period)
    d2  withdrawal 150.25; transfer 300.00 to her monthly account ("School fees")
    d3  withdrawal 100.00 with a 2.00 service charge; transfer 40.00 in from another member;
        reversal of d2's withdrawal (+150.25)
    d4  deposit 10.00                                           (after the period; d4 is today)
    The statement d2..d3 opens at 1,000.00 and closes at 638.00."""
    today = timezone.localdate()
    d1, d2, d3, d4 = today - timedelta(days=40), today - timedelta(days=20), today - timedelta(days=10), today
    open_business_day(d1)
    member = make_member(registrar=cashier, verifier=operations_manager, user=customer, first_name="Abena",
                         last_name="Owusu", address="House 7, Siwdu Road\nCape Coast")
    susu = open_account(actor=cashier, member=member)
    monthly = open_account(actor=cashier, member=member, kind="monthly_contribution")
    other_member = make_member(registrar=cashier, verifier=operations_manager, first_name="Kojo")
    other = fund(open_account(actor=cashier, member=other_member), "500.00", cashier=cashier)
    fund(susu, "1000.00", cashier=cashier)
    refs = {"d1": [Transaction.objects.get(to_account=susu).reference]}

    open_business_day(d2)
    withdrawal = services.withdrawal_create(actor=cashier, account=susu, amount="150.25")
    transfer = services.transfer_create(actor=cashier, from_account=susu, to_account_number=monthly.account_number,
                                        amount="300.00", description="School fees")

    open_business_day(d3)
    ServiceCharge.objects.create(name="Withdrawal fee", transaction_type="withdrawal", amount=D("2.00"))
    charged = services.withdrawal_create(actor=cashier, account=susu, amount="100.00")
    incoming = services.transfer_create(actor=cashier, from_account=other, to_account_number=susu.account_number,
                                        amount="40.00")
    reversal = services.reversal_request(actor=cashier, original=withdrawal, reason="Paid out twice by mistake")
    reversal = services.transaction_approve(actor=manager, txn=reversal)

    open_business_day(d4)
    later = services.deposit_create(actor=cashier, account=susu, amount="10.00")
    susu.refresh_from_db()
    refs.update(period=[withdrawal.reference, transfer.reference, charged.reference, incoming.reference,
                        reversal.reference], d4=[later.reference])
    return {"account": susu, "monthly": monthly, "other": other, "member": member, "days": (d1, d2, d3, d4),
            "refs": refs, "txns": {"withdrawal": withdrawal, "transfer": transfer, "charged": charged,
                                   "incoming": incoming, "reversal": reversal}}


def period(history):
    _, d2, d3, _ = history["days"]
    return d2, d3


# --- reading the files back ------------------------------------------------------------------------

def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def amount(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


def pdf_figure(text: str, label: str) -> Decimal:
    found = re.search(rf"{re.escape(label)}\s+({MONEY})", text)
    assert found, f"{label!r} not found in the PDF text"
    return amount(found.group(1))


def pdf_rows(text: str) -> list[tuple[str, Decimal, Decimal]]:
    """(reference, movement amount, balance after) for every movement line in the PDF: the last two
    figures after each reference, up to the next reference or the totals line."""
    table = text[text.index("Date Reference Description"):]
    table = table[:table.rindex("Totals (")]
    found = list(ROW_START.finditer(table))
    rows = []
    for here, following in zip(found, found[1:] + [None], strict=True):
        chunk = table[here.end():following.start() if following else len(table)]
        figures = [amount(value) for value in re.findall(MONEY, chunk)]
        assert len(figures) == 2, f"expected an amount and a balance after {here.group(1)}: {chunk!r}"
        rows.append((here.group(1), figures[0], figures[1]))
    return rows


def check_pdf_adds_up(text: str) -> dict:
    """opening + ins - outs = closing, with every figure read from the PDF itself."""
    opening, closing = pdf_figure(text, "Opening balance"), pdf_figure(text, "Closing balance")
    money_in, money_out = pdf_figure(text, "Money in"), pdf_figure(text, "Money out")
    running, ins, outs = opening, D("0"), D("0")
    for reference, moved, balance in pdf_rows(text):
        assert balance in (running + moved, running - moved), f"{reference}: {running} ± {moved} != {balance}"
        if balance > running:
            ins += moved
        else:
            outs += moved
        running = balance
    assert (ins, outs) == (money_in, money_out)
    assert running == closing == opening + money_in - money_out
    return {"opening": opening, "closing": closing, "in": money_in, "out": money_out}


def csv_rows(content: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content)))


def csv_value(rows, label):
    return next(row for row in rows if row and row[0] == label)


# --- building -------------------------------------------------------------------------------------

def test_statement_opens_with_the_balance_before_the_period_and_lists_only_its_movements(history):
    start, end = period(history)
    account = history["account"]
    statement = statement_build(account=account, start=start, end=end)
    assert statement.opening_balance == D("1000.00")  # d1's deposit, which is not a line
    assert [line.reference for line in statement.lines] == [
        history["refs"]["period"][0], history["refs"]["period"][1], history["refs"]["period"][2],
        history["refs"]["period"][2], history["refs"]["period"][3], history["refs"]["period"][4]]
    assert not set(history["refs"]["d1"] + history["refs"]["d4"]) & {line.reference for line in statement.lines}
    assert [(line.debit, line.credit, line.balance) for line in statement.lines] == [
        (D("150.25"), D("0"), D("849.75")),
        (D("300.00"), D("0"), D("549.75")),
        (D("100.00"), D("0"), D("449.75")),
        (D("2.00"), D("0"), D("447.75")),
        (D("0"), D("40.00"), D("487.75")),
        (D("0"), D("150.25"), D("638.00")),
    ]
    assert (statement.total_in, statement.total_out) == (D("190.25"), D("552.25"))
    assert statement.closing_balance == D("638.00") == account.balance - D("10.00")  # d4 comes later
    assert all(isinstance(value, Decimal) for line in statement.lines
               for value in (line.debit, line.credit, line.balance))
    descriptions = [line.description for line in statement.lines]
    assert descriptions[1] == f"Transfer to {history['monthly'].account_number} · School fees"
    assert descriptions[3] == "Service charge"
    assert descriptions[4] == f"Transfer from {history['other'].account_number}"
    assert descriptions[5].startswith(f"Reversal of {history['refs']['period'][0]}")
    assert [line.date for line in statement.lines] == [start, start, end, end, end, end]


def test_closing_balance_equals_the_posted_balance_for_any_period(history):
    d1, d2, d3, d4 = history["days"]
    account = history["account"]
    for start, end in [(d1, d1), (d1, d4), (d2, d2), (d3, d4), (d4, d4), (d1 - timedelta(days=400), d1)]:
        statement = statement_build(account=account, start=start, end=end)
        assert statement.closing_balance == statement.opening_balance + statement.total_in - statement.total_out
        if end == d4:
            assert statement.closing_balance == posted_balance(account) == account.balance
    quiet = statement_build(account=account, start=d4 - timedelta(days=5), end=d4 - timedelta(days=1))
    assert quiet.lines == [] and quiet.opening_balance == quiet.closing_balance == D("638.00")


@pytest.mark.parametrize("start,end,field", [
    (3, 5, "start"),       # reversed
    (0, -1, "end"),        # ends tomorrow
    (1830, 0, "start"),    # more than five years
])
def test_bad_periods_are_refused_with_the_field_named(start, end, field):
    today = timezone.localdate()
    with pytest.raises(ValidationError) as exc:
        statement_period_validate(start=today - timedelta(days=start), end=today - timedelta(days=end))
    assert field in exc.value.message_dict


def test_period_limits():
    today = timezone.localdate()
    statement_period_validate(start=today, end=today)
    statement_period_validate(start=statements._years_before(today, 5), end=today)  # exactly five years
    with pytest.raises(ValidationError) as exc:
        statement_period_validate(start=None, end=None)
    assert set(exc.value.message_dict) == {"start", "end"}


# --- PDF and CSV ----------------------------------------------------------------------------------

def test_pdf_reads_back_and_adds_up(history):
    start, end = period(history)
    account, member = history["account"], history["member"]
    text = pdf_text(statement_pdf(statement_build(account=account, start=start, end=end)))
    figures = check_pdf_adds_up(text)
    assert figures == {"opening": D("1000.00"), "closing": D("638.00"), "in": D("190.25"), "out": D("552.25")}
    for reference in history["refs"]["period"]:
        assert reference in text
    for reference in history["refs"]["d1"] + history["refs"]["d4"]:
        assert reference not in text
    assert [row[0] for row in pdf_rows(text)] == [line.reference for line in statement_build(
        account=account, start=start, end=end).lines]
    assert "Coastal Credit Union" in text
    assert member.full_name in text and member.member_number in text and "Siwdu Road" in text
    assert member.national_id_masked in text and member.national_id not in text
    assert account.account_number in text and account.product.name in text
    assert f"{start:%d %b %Y} to {end:%d %b %Y}" in text
    assert "Totals (6 movements)" in text
    assert "Page 1 of 1" in text


def test_pdf_of_many_lines_is_numbered_page_x_of_y_and_prints_every_line(history):
    account = history["account"]
    start = timezone.localdate() - timedelta(days=200)
    balance, lines = D("0.00"), []
    for i in range(150):
        moved = D("10.00") + i
        balance += moved if i % 4 else -moved
        lines.append(StatementLine(date=start + timedelta(days=i), reference=f"TX{i:06d}ABCDEFGH",
                                   description="Cash deposit" if i % 4 else "Cash withdrawal",
                                   debit=D("0") if i % 4 else moved, credit=moved if i % 4 else D("0"),
                                   balance=balance))
    total_in = sum((line.credit for line in lines), D("0"))
    total_out = sum((line.debit for line in lines), D("0"))
    statement = Statement(account=account, start=start, end=start + timedelta(days=149), opening_balance=D("0.00"),
                          lines=lines, total_in=total_in, total_out=total_out, closing_balance=balance)
    pdf = statement_pdf(statement)
    reader = PdfReader(io.BytesIO(pdf))
    pages = len(reader.pages)
    assert pages >= 3
    text = pdf_text(pdf)
    for number in range(1, pages + 1):
        assert f"Page {number} of {pages}" in text
    assert len(pdf_rows(text)) == 150
    check_pdf_adds_up(text)
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=1)  # A4 portrait, in points
    assert reader.pages[0].mediabox.height == pytest.approx(841.89, abs=1)


def test_pdf_renderer_drops_weasyprints_universal_pseudo_element_rules():
    """The speed-up in statements._pdf_document_class relies on a private WeasyPrint hook; if an
    upgrade removes it the statements still render (stock class), but this says it got slower."""
    renderer = statements._pdf_document_class()
    assert renderer.__name__ == "StatementHTML"
    assert statement_pdf.__module__ == "apps.reports.statements"


def test_csv_reads_back_and_adds_up(history):
    start, end = period(history)
    account, member = history["account"], history["member"]
    rows = csv_rows(statement_csv(statement_build(account=account, start=start, end=end)))
    assert rows[0] == ["Statement of account", "Coastal Credit Union"]
    assert csv_value(rows, "Member")[1:] == [member.full_name, member.member_number]
    assert csv_value(rows, "Account")[1:] == [account.account_number, account.product.name]
    assert csv_value(rows, "Period")[1:] == [start.isoformat(), end.isoformat()]
    opening = D(csv_value(rows, "Opening balance")[1])
    header = rows.index(["Date", "Reference", "Description", "Debit (money out)", "Credit (money in)", "Balance"])
    body = []
    for row in rows[header + 1:]:
        if not row:
            break
        body.append(row)
    assert [row[1] for row in body] == [line.reference for line in statement_build(
        account=account, start=start, end=end).lines]
    assert {row[1] for row in body} == set(history["refs"]["period"])
    running = opening
    for date, _, _, debit, credit, balance in body:
        assert start.isoformat() <= date <= end.isoformat()
        running += D(credit or "0") - D(debit or "0")
        assert D(balance) == running
    total_out, total_in = D(csv_value(rows, "Total money out")[1]), D(csv_value(rows, "Total money in")[1])
    closing = D(csv_value(rows, "Closing balance")[1])
    assert (opening, total_in, total_out, closing) == (D("1000.00"), D("190.25"), D("552.25"), D("638.00"))
    assert opening + total_in - total_out == closing == running


def test_csv_neutralises_spreadsheet_formulas_in_narrations(cashier, operations_manager):
    member = make_member(registrar=cashier, verifier=operations_manager)
    account = fund(open_account(actor=cashier, member=member), "5.00", cashier=cashier)
    services.deposit_create(actor=cashier, account=account, amount="1.00", description='=HYPERLINK("http://x")')
    today = timezone.localdate()
    rows = csv_rows(statement_csv(statement_build(account=account, start=today, end=today)))
    assert ["'=HYPERLINK(\"http://x\")"] == [row[2] for row in rows if row and row[2:3] and "HYPERLINK" in row[2]]


def test_header_uses_the_credit_unions_settings_and_falls_back_without_a_site(history):
    site = Site.objects.get(is_default_site=True)
    settings = InstitutionSettings.for_site(site)
    settings.name, settings.phone = "Anomabo Teachers Co-operative Credit Union", "+233 33 212 0000"
    settings.save()
    start, end = period(history)
    text = " ".join(pdf_text(statement_pdf(statement_build(account=history["account"], start=start,
                                                           end=end))).split())
    assert "Anomabo Teachers Co-operative Credit Union" in text and "+233 33 212 0000" in text
    Site.objects.all().delete()
    assert institution().name == "Coastal Credit Union"


# --- the service: audited -------------------------------------------------------------------------

def test_every_generation_is_audited_and_a_refused_one_is_not(history, customer, cashier):
    start, end = period(history)
    account = history["account"]
    for actor, fmt in [(customer, "pdf"), (cashier, "csv")]:
        generated = statement_generate(actor=actor, account=account, start=start, end=end, fmt=fmt)
        assert generated.filename == f"statement-{account.account_number}-{start}-{end}.{fmt}"
    events = list(AuditEvent.objects.filter(action="statement.generate").order_by("id"))
    assert [(e.actor, e.details["format"]) for e in events] == [(customer, "pdf"), (cashier, "csv")]
    assert all(e.target_type == "ledger.account" and e.target_id == str(account.pk) for e in events)
    assert events[0].details.items() >= {"start": start.isoformat(), "end": end.isoformat(), "lines": 6}.items()
    with pytest.raises(ValidationError):
        statement_generate(actor=customer, account=account, start=end, end=start, fmt="pdf")
    with pytest.raises(ValidationError):
        statement_generate(actor=customer, account=account, start=start, end=end, fmt="xlsx")
    assert AuditEvent.objects.filter(action="statement.generate").count() == 2


def test_service_refuses_an_actor_who_may_not_see_the_account(history, make_user):
    start, end = period(history)
    with pytest.raises(PermissionDenied):
        statement_generate(actor=make_user("customer"), account=history["account"], start=start, end=end)
    assert not AuditEvent.objects.filter(action="statement.generate").exists()


# --- API ------------------------------------------------------------------------------------------

def statement_url(account, start, end, fmt=None):
    url = f"/api/accounts/{account.pk}/statement/?start={start}&end={end}"
    return url + (f"&format={fmt}" if fmt else "")


def test_owner_downloads_pdf_by_default_and_csv_on_request(client, api, customer, history):
    start, end = period(history)
    account = history["account"]
    headers = api(customer)
    response = client.get(statement_url(account, start, end), headers=headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="statement-{account.account_number}-{start}-{end}.pdf"')
    assert {"no-store", "private"} <= {part.strip() for part in response["Cache-Control"].split(",")}
    assert check_pdf_adds_up(pdf_text(response.content))["closing"] == D("638.00")

    response = client.get(statement_url(account, start, end, "csv"), headers=headers)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].endswith(f'-{start}-{end}.csv"')
    rows = csv_rows(response.content.decode("utf-8-sig"))
    assert csv_value(rows, "Closing balance")[1] == "638.00"
    assert AuditEvent.objects.filter(action="statement.generate", actor=customer).count() == 2


def test_accounts_router_and_statement_router_share_the_prefix(client, api, customer, history):
    """Both routers are mounted on "/accounts/" (as apps/api/api.py will): each keeps its routes."""
    headers = api(customer)
    account = history["account"]
    assert client.get(f"/api/accounts/{account.pk}/", headers=headers).json()["account_number"] == \
        account.account_number
    assert client.get(f"/api/accounts/{account.pk}/transactions/", headers=headers).status_code == 200
    assert client.get(statement_url(account, *period(history)), headers=headers).status_code == 200
    schema = client.get("/api/openapi.json").json()
    assert {"/api/accounts/{account_id}/", "/api/accounts/{account_id}/statement/"} <= set(schema["paths"])


def test_someone_elses_account_is_404_and_nothing_is_audited(client, api, make_user, mobile_banker, history):
    start, end = period(history)
    for user in (make_user("customer"), mobile_banker):  # the banker is not assigned to Abena
        response = client.get(statement_url(history["account"], start, end), headers=api(user))
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found.", "code": "not_found"}
    assert client.get(statement_url(history["account"], start, end)).status_code == 401
    assert not AuditEvent.objects.filter(action="statement.generate").exists()


def test_staff_may_download_any_account(client, api, cashier, history):
    response = client.get(statement_url(history["account"], *period(history), "csv"), headers=api(cashier))
    assert response.status_code == 200


def test_reversed_and_future_periods_are_422(client, api, customer, history):
    headers = api(customer)
    account = history["account"]
    start, end = period(history)
    reversed_ = client.get(statement_url(account, end, start), headers=headers)
    assert reversed_.status_code == 422
    body = reversed_.json()
    assert body["code"] == "invalid" and body["detail"]
    assert [error["field"] for error in body["errors"]] == ["start"]

    tomorrow = timezone.localdate() + timedelta(days=1)
    future = client.get(statement_url(account, start, tomorrow), headers=headers)
    assert future.status_code == 422
    assert [error["field"] for error in future.json()["errors"]] == ["end"]

    for bad in (f"/api/accounts/{account.pk}/statement/?end={end}",
                f"/api/accounts/{account.pk}/statement/?start=2025-02-30&end={end}",
                statement_url(account, start, end, "xlsx")):
        response = client.get(bad, headers=headers)
        assert response.status_code == 422, bad
        assert response.json()["code"] == "invalid"
    assert not AuditEvent.objects.filter(action="statement.generate").exists()


# --- staff console --------------------------------------------------------------------------------

def test_console_statement_page_gives_the_file(cashier, history, settings, tmp_path):
    from django.urls import reverse

    settings.PRIVATE_MEDIA_ROOT = str(tmp_path)

    account = history["account"]
    url = reverse("admin:account_statement", args=[account.pk])
    assert url == f"/admin/statements/{account.pk}/"
    console = staff_client_for(cashier)
    page = console.get(url)
    assert page.status_code == 200
    assert account.account_number in page.content.decode() and 'name="start"' in page.content.decode()
    start, end = period(history)
    with TestCase.captureOnCommitCallbacks(execute=True):  # the job runs once the request commits
        response = console.post(url, {"start": start, "end": end, "format": "pdf"})
    assert response.status_code == 302 and response["Location"] == url
    page = console.get(url).content.decode()
    job = JobRun.objects.get(kind="statement", started_by=cashier)
    assert 'data-testid="job-progress" data-status="done"' in page and f"/admin/jobs/{job.pk}/result/" in page
    response = console.get(f"/admin/jobs/{job.pk}/result/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert check_pdf_adds_up(pdf_text(b"".join(response.streaming_content)))["closing"] == D("638.00")
    refused = console.post(url, {"start": end, "end": start, "format": "pdf"})
    assert refused.status_code == 422 and "on or before the end date" in refused.content.decode()
    assert AuditEvent.objects.filter(action="statement.generate", actor=cashier).count() == 1


def test_console_statement_page_is_closed_to_others(mobile_banker, customer, history):
    url = f"/admin/statements/{history['account'].pk}/"
    assert staff_client_for(mobile_banker).get(url).status_code == 404  # not their member
    assert staff_client_for(customer).get(url).status_code == 302  # not staff: to the sign-in page


# --- portal ---------------------------------------------------------------------------------------

def test_member_downloads_own_statement_from_the_portal(customer, history):
    account = history["account"]
    portal = staff_client_for(customer)
    url = f"/my/accounts/{account.pk}/statement/"
    page = portal.get(url)
    assert page.status_code == 200 and "Download a statement" in page.content.decode()
    start, end = period(history)
    response = portal.post(url, {"start": start, "end": end, "format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert csv_value(csv_rows(response.content.decode("utf-8-sig")), "Closing balance")[1] == "638.00"
    future = portal.post(url, {"start": start, "end": timezone.localdate() + timedelta(days=1), "format": "pdf"})
    assert future.status_code == 422 and "cannot end in the future" in future.content.decode()
    assert AuditEvent.objects.filter(action="statement.generate", actor=customer).count() == 1


def test_portal_statement_is_own_accounts_only_and_members_only(customer, cashier, history):
    assert staff_client_for(customer).get(f"/my/accounts/{history['other'].pk}/statement/").status_code == 404
    assert staff_client_for(cashier).get(f"/my/accounts/{history['account'].pk}/statement/").status_code == 403


# --- the console's statement job ------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["csv", "pdf"])
def test_the_statement_job_makes_the_same_file_as_the_request_would(cashier, history, settings, tmp_path, fmt):
    import time_machine

    from apps.reports.services import statement_queue
    from apps.reports.tasks import statement_job

    settings.PRIVATE_MEDIA_ROOT = str(tmp_path)
    account = history["account"]
    start, end = period(history)
    with time_machine.travel(timezone.now(), tick=False):  # both say "Generated" at the same minute
        expected = statement_generate(actor=cashier, account=account, start=start, end=end, fmt=fmt).content
        with TestCase.captureOnCommitCallbacks(execute=False) as queued:
            job = statement_queue(actor=cashier, account=account, start=start, end=end, fmt=fmt)
        assert job.status == "queued" and len(queued) == 1
        statement_job(job.pk)
    job.refresh_from_db()
    assert job.status == "done" and job.current == job.total == 6 + 1  # six lines, then the file
    assert job.result_file.name.endswith(f"statement-{account.account_number}-{start:%Y-%m-%d}-{end:%Y-%m-%d}.{fmt}")
    with job.result_file.open("rb") as file:
        assert file.read() == expected
    events = AuditEvent.objects.filter(action="statement.generate", actor=cashier)
    assert events.count() == 2 and events[0].details == events[1].details


def test_a_statement_request_that_is_refused_queues_nothing(cashier, mobile_banker, history):
    from apps.reports.services import statement_queue

    account = history["account"]
    start, end = period(history)
    with pytest.raises(ValidationError):
        statement_queue(actor=cashier, account=account, start=end, end=start)
    with pytest.raises(ValidationError):
        statement_queue(actor=cashier, account=account, start=start, end=end, fmt="xlsx")
    with pytest.raises(PermissionDenied):
        statement_queue(actor=mobile_banker, account=account, start=start, end=end)  # not their member
    assert not JobRun.objects.exists()


def test_only_the_starter_downloads_a_console_statement(cashier, make_user, history, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path)
    account = history["account"]
    start, end = period(history)
    url = f"/admin/statements/{account.pk}/"
    with TestCase.captureOnCommitCallbacks(execute=True):
        staff_client_for(cashier).post(url, {"start": start, "end": end, "format": "csv"})
    job = JobRun.objects.get(kind="statement")
    other = make_user("cashier")
    assert staff_client_for(other).get(f"/admin/jobs/{job.pk}/result/").status_code == 404
    assert f"/admin/jobs/{job.pk}/" not in staff_client_for(other).get(url).content.decode()  # not listed for them
    own = staff_client_for(cashier).get(f"/admin/jobs/{job.pk}/result/")
    assert own.status_code == 200
    assert csv_value(csv_rows(b"".join(own.streaming_content).decode("utf-8-sig")), "Closing balance")[1] == "638.00"
