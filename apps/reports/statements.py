"""Account statements: build one from the postings, then render it as CSV or PDF.

A statement is read from the ledger's postings, never from the materialised balance: the
opening balance is the sum of the account's postings booked on business dates before the
period, every posting inside the period is a line, and the closing balance is checked against
the postings up to the end of the period before anything is rendered.

Debit and credit are from the member's point of view, as on any bank statement: a debit is
money out of the account (the balance goes down), a credit is money in (the balance goes up).
For the deposit and share products the control GL account is credit-normal, so a ledger credit
on it is a statement credit; a debit-normal product would be the other way round, and the
ledger's sign rule (`GLAccount.balance_change`) handles both.
"""

import csv
import functools
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Max, Q, Sum
from django.template.loader import render_to_string
from django.utils import timezone

from apps.core.institution import institution
from apps.ledger.models import ZERO, Account, Posting, Transaction

MAX_YEARS = 5
ROWS_PER_GROUP = 50  # table rows per <tbody> in the PDF
CSV_DATE = "%Y-%m-%d"


class StatementMismatch(RuntimeError):
    """The period's movements do not add up to the posted balance: the ledger needs looking at."""


@dataclass(frozen=True)
class StatementLine:
    date: date
    reference: str
    description: str
    debit: Decimal  # money out, from the member's point of view (ZERO when money came in)
    credit: Decimal  # money in (ZERO when money went out)
    balance: Decimal  # running balance after this line


@dataclass
class Statement:
    account: Account
    start: date
    end: date
    opening_balance: Decimal
    lines: list[StatementLine]
    total_in: Decimal
    total_out: Decimal
    closing_balance: Decimal
    generated_at: datetime = field(default_factory=timezone.now)

    @property
    def member(self):
        return self.account.member

    @property
    def filename_stem(self) -> str:
        return f"statement-{self.account.account_number}-{self.start:%Y-%m-%d}-{self.end:%Y-%m-%d}"


# --- validation --------------------------------------------------------------------------------

def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year - years, day=28)


def statement_period_validate(*, start: date | None, end: date | None) -> None:
    """Refuse a period that is missing, reversed, in the future, or longer than five years.
    Raises ValidationError keyed by "start" / "end" with every problem found."""
    errors: dict[str, list[str]] = {}
    if start is None:
        errors.setdefault("start", []).append("Give the first day of the statement period.")
    if end is None:
        errors.setdefault("end", []).append("Give the last day of the statement period.")
    if errors:
        raise ValidationError(errors)
    today = timezone.localdate()
    if end > today:
        errors.setdefault("end", []).append(f"The period cannot end in the future (today is {today:%d %b %Y}).")
    if start > end:
        errors.setdefault("start", []).append("The start date must be on or before the end date.")
    elif start < _years_before(end, MAX_YEARS):
        errors.setdefault("start", []).append(f"A statement can cover at most {MAX_YEARS} years.")
    if errors:
        raise ValidationError(errors)


# --- building ------------------------------------------------------------------------------------

def _description(posting: Posting, account: Account, *, signed: Decimal, is_charge: bool) -> str:
    entry = posting.entry
    txn = entry.transaction
    if is_charge:
        return "Service charge" if signed < 0 else "Service charge refunded"
    if txn is not None and txn.transaction_type == Transaction.Type.TRANSFER and txn.from_account_id \
            and txn.to_account_id:
        outgoing = txn.from_account_id == account.pk
        other = txn.to_account if outgoing else txn.from_account
        label = f"Transfer {'to' if outgoing else 'from'} {other.account_number}"
        default = f"Transfer to {txn.to_account.account_number}"
        if txn.description and txn.description != default:
            label = f"{label} · {txn.description}"
        return label
    return entry.description or (txn.get_transaction_type_display() if txn else "")


PROGRESS_LINES = 200  # lines between progress reports to `on_progress`


def statement_build(*, account: Account, start: date, end: date, on_progress=None) -> Statement:
    """The account's statement for business dates start..end inclusive (see the module docstring).
    `on_progress(lines_read, lines_in_period)` is called as the lines are read (a background job's
    progress bar); without it nothing is counted."""
    statement_period_validate(start=start, end=end)
    account = (Account.objects.select_related("member", "product__control_account").get(pk=account.pk))
    signed_by = account.product.control_account.balance_change  # what a posting does to the balance

    # Read every figure from the same cut of the ledger: postings up to the newest one now. Postings
    # on one account are written under its row lock, so their ids follow commit order, and a
    # movement posted while the statement is read (a period ending today) is left out everywhere.
    cut = Posting.objects.filter(account=account).aggregate(last=Max("id"))["last"] or 0
    posted = Posting.objects.filter(account=account, id__lte=cut)
    # Opening balance and the balance at the end of the period, in one query.
    totals = posted.aggregate(
        open_d=Sum("debit", filter=Q(entry__business_date__lt=start)),
        open_c=Sum("credit", filter=Q(entry__business_date__lt=start)),
        end_d=Sum("debit", filter=Q(entry__business_date__lte=end)),
        end_c=Sum("credit", filter=Q(entry__business_date__lte=end)),
    )
    opening = signed_by(totals["open_d"] or ZERO, totals["open_c"] or ZERO)
    posted_at_end = signed_by(totals["end_d"] or ZERO, totals["end_c"] or ZERO)

    postings = (posted.filter(entry__business_date__gte=start, entry__business_date__lte=end)
                .select_related("entry__transaction__from_account", "entry__transaction__to_account")
                .order_by("entry__business_date", "entry_id", "id"))
    lines: list[StatementLine] = []
    running, total_in, total_out = opening, ZERO, ZERO
    previous_entry = None
    expected = postings.count() if on_progress is not None else 0
    if on_progress is not None:
        on_progress(0, expected)
    for posting in postings.iterator(chunk_size=500):
        if on_progress is not None and lines and len(lines) % PROGRESS_LINES == 0:
            on_progress(len(lines), expected)
        signed = signed_by(posting.debit, posting.credit)
        txn = posting.entry.transaction
        # A fee is a second posting on the account in the same entry (see ledger.services.plan_lines).
        is_charge = posting.entry_id == previous_entry and txn is not None and bool(
            txn.fee or txn.transaction_type == Transaction.Type.REVERSAL)
        previous_entry = posting.entry_id
        running += signed
        if signed >= 0:
            total_in += signed
        else:
            total_out -= signed
        lines.append(StatementLine(
            date=posting.entry.business_date,
            reference=txn.reference if txn is not None else posting.entry.reference,
            description=_description(posting, account, signed=signed, is_charge=is_charge),
            debit=-signed if signed < 0 else ZERO,
            credit=signed if signed > 0 else ZERO,
            balance=running,
        ))
    closing = opening + total_in - total_out
    if closing != running or closing != posted_at_end:
        raise StatementMismatch(f"Statement for {account.account_number} does not reconcile: opening {opening} + in "
                                f"{total_in} - out {total_out} = {closing}, posted balance {posted_at_end}.")
    return Statement(account=account, start=start, end=end, opening_balance=opening, lines=lines,
                     total_in=total_in, total_out=total_out, closing_balance=closing)


# --- rendering ---------------------------------------------------------------------------------

def _csv_text(value: str) -> str:
    """Neutralise spreadsheet formulas in free text (a member can type a transfer narration)."""
    value = str(value)
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _csv_money(value: Decimal) -> str:
    return f"{value:.2f}"


def statement_csv(statement: Statement) -> str:
    """Header rows (institution, member, account, period, opening balance), one row per line,
    then the totals and the closing balance. Amounts are plain decimals (1234.50) for spreadsheets."""
    account, member = statement.account, statement.member
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["Statement of account", _csv_text(institution().name)])
    writer.writerow(["Member", _csv_text(member.full_name), member.member_number])
    writer.writerow(["Account", account.account_number, _csv_text(account.product.name)])
    writer.writerow(["Period", statement.start.strftime(CSV_DATE), statement.end.strftime(CSV_DATE)])
    writer.writerow(["Generated", timezone.localtime(statement.generated_at).strftime("%Y-%m-%d %H:%M")])
    writer.writerow(["Opening balance", _csv_money(statement.opening_balance)])
    writer.writerow([])
    writer.writerow(["Date", "Reference", "Description", "Debit (money out)", "Credit (money in)", "Balance"])
    for line in statement.lines:
        writer.writerow([line.date.strftime(CSV_DATE), line.reference, _csv_text(line.description),
                         _csv_money(line.debit) if line.debit else "",
                         _csv_money(line.credit) if line.credit else "", _csv_money(line.balance)])
    writer.writerow([])
    writer.writerow(["Total money out", _csv_money(statement.total_out)])
    writer.writerow(["Total money in", _csv_money(statement.total_in)])
    writer.writerow(["Closing balance", _csv_money(statement.closing_balance)])
    return out.getvalue()


def statement_html(statement: Statement) -> str:
    return render_to_string("reports/statement.html", {
        "statement": statement,
        "account": statement.account,
        "member": statement.member,
        "institution": institution(),
        "currency": settings.CURRENCY_NAME,
        "generated_at": timezone.localtime(statement.generated_at),
        "days": (statement.end - statement.start + timedelta(days=1)).days,
        "line_chunks": [statement.lines[i:i + ROWS_PER_GROUP] for i in range(0, len(statement.lines), ROWS_PER_GROUP)],
    })


@functools.cache
def _pdf_document_class():
    """WeasyPrint's HTML class with a leaner user-agent stylesheet, for speed.

    WeasyPrint's default stylesheet has six universal pseudo-element rules (`::marker`,
    `::footnote-call`, `::note-call`, …), so every element of the document gets six extra
    computed styles: for a 500-line statement that is ~22,000 styles and about a third of the
    rendering time. The statement template uses no lists, footnotes or notes, so those rules are
    dropped; everything else in the stylesheet is kept. `_ua_stylesheets` is WeasyPrint's
    (private) hook for this; if a future version changes it we fall back to the stock class.
    """
    from weasyprint import CSS, HTML  # imported here: loading pango costs ~0.3 s, only statements need it

    try:
        from weasyprint import html as weasy_html
        from weasyprint.css.counters import CounterStyle

        ua_text = weasy_html.UA
        if not callable(getattr(HTML, "_ua_stylesheets", None)):
            return HTML
    except (ImportError, AttributeError):
        return HTML
    lean_ua = CSS(string=re.sub(r"^::[\w-]+ \{[^}]*\}\s*$", "", ua_text, flags=re.MULTILINE),
                  counter_style=CounterStyle())

    class StatementHTML(HTML):
        def _ua_stylesheets(self, forms=False):
            return [lean_ua]

    return StatementHTML


def html_to_pdf(html: str) -> bytes:
    """A statement-like paper (account or loan) as an A4 PDF (WeasyPrint), page numbered "Page X of Y"."""
    return _pdf_document_class()(string=html, base_url=None).write_pdf()


def statement_pdf(statement: Statement) -> bytes:
    """The statement as an A4 PDF (WeasyPrint), page numbered "Page X of Y"."""
    return html_to_pdf(statement_html(statement))
