"""Writes of the reports app. Generating a statement is audited: who, which account, which period."""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from apps.audit.services import record
from apps.ledger.models import Account
from apps.ledger.selectors import accounts_visible_to

from .statements import Statement, statement_build, statement_csv, statement_pdf

FORMATS = {
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
}


@dataclass(frozen=True)
class StatementFile:
    statement: Statement
    content: bytes
    content_type: str
    filename: str

    @property
    def content_disposition(self) -> str:
        return f'attachment; filename="{self.filename}"'


def statement_generate(*, actor, account: Account, start: date, end: date, fmt: str = "pdf",
                       request=None) -> StatementFile:
    """Build and render the account's statement for start..end and write the audit event.

    `actor` must be allowed to see the account (the views answer 404 before this; this is the
    second lock on the door). `actor=None` is a system job (scheduled statements)."""
    if fmt not in FORMATS:
        raise ValidationError({"format": f"Choose one of: {', '.join(FORMATS)}."})
    if actor is not None and not accounts_visible_to(actor).filter(pk=account.pk).exists():
        raise PermissionDenied("You may not see this account.")
    statement = statement_build(account=account, start=start, end=end)
    if fmt == "pdf":
        content = statement_pdf(statement)
    else:
        # With a byte-order mark, so spreadsheet programs read member names with accents correctly.
        content = statement_csv(statement).encode("utf-8-sig")
    with transaction.atomic():
        record(actor, "statement.generate", statement.account, request=request, start=start.isoformat(),
               end=end.isoformat(), format=fmt, lines=len(statement.lines))
    return StatementFile(statement=statement, content=content, content_type=FORMATS[fmt],
                         filename=f"{statement.filename_stem}.{fmt}")
