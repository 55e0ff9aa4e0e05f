"""Writes of the reports app. Generating a statement is audited: who, which account, which period.

Two ways to a statement file, one result: `statement_generate` builds it in the request (the API and
the member portal, where a member's own account over a period is quick), `statement_queue` makes a
background job of it (the staff console, where a busy account over five years can take a while): the
job's task runs `statement_run`, which builds and renders the statement with the same functions,
reports progress as it reads the lines, keeps the file in the job's private storage for who asked
(downloaded through the checked `admin:job_result`) and writes the same audit event."""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import HttpRequest

from apps.audit.services import client_ip, record
from apps.core import jobs
from apps.core.models import JobRun
from apps.ledger.models import Account
from apps.ledger.selectors import accounts_visible_to

from .statements import Statement, statement_build, statement_csv, statement_pdf, statement_period_validate

STATEMENT_KIND = "statement"
STATEMENT_TASK = "apps.reports.tasks.statement_job"

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
    _check(actor=actor, account=account, fmt=fmt)
    statement = statement_build(account=account, start=start, end=end)
    return _rendered(actor=actor, statement=statement, fmt=fmt, request=request)


def _check(*, actor, account: Account, fmt: str) -> None:
    if fmt not in FORMATS:
        raise ValidationError({"format": f"Choose one of: {', '.join(FORMATS)}."})
    if actor is not None and not accounts_visible_to(actor).filter(pk=account.pk).exists():
        raise PermissionDenied("You may not see this account.")


def statement_render(statement: Statement, fmt: str) -> bytes:
    if fmt == "pdf":
        return statement_pdf(statement)
    # With a byte-order mark, so spreadsheet programs read member names with accents correctly.
    return statement_csv(statement).encode("utf-8-sig")


def _rendered(*, actor, statement: Statement, fmt: str, request=None) -> StatementFile:
    content = statement_render(statement, fmt)
    with transaction.atomic():
        record(actor, "statement.generate", statement.account, request=request, start=statement.start.isoformat(),
               end=statement.end.isoformat(), format=fmt, lines=len(statement.lines))
    return StatementFile(statement=statement, content=content, content_type=FORMATS[fmt],
                         filename=f"{statement.filename_stem}.{fmt}")


def statement_queue(*, actor, account: Account, start: date, end: date, fmt: str = "pdf", request=None) -> JobRun:
    """Check the request as `statement_generate` does (format, period, the account is one the actor may
    see) and queue the statement as a background job; nothing is queued when it is refused."""
    _check(actor=actor, account=account, fmt=fmt)
    statement_period_validate(start=start, end=end)
    params = {"account_id": account.pk, "start": start.isoformat(), "end": end.isoformat(), "format": fmt,
              "ip": client_ip(request)}
    return jobs.job_queue(STATEMENT_KIND, started_by=actor, task=STATEMENT_TASK, params=params,
                          title=f"Statement of {account.account_number}, {start:%d %b %Y} to {end:%d %b %Y}")


def statement_run(job: JobRun) -> dict:
    """A queued statement's work (apps.reports.tasks.statement_job): the same file `statement_generate`
    makes for the same account and period, and the same audit event, for who asked."""
    params, actor = job.params, job.started_by
    account = Account.objects.filter(pk=params["account_id"]).first()
    if account is None or actor is None or not actor.is_active:
        raise jobs.JobRefused("This statement can no longer be produced: the account or the person who "
                              "asked for it is gone.")
    try:
        _check(actor=actor, account=account, fmt=params["format"])
    except PermissionDenied as exc:
        raise jobs.JobRefused("You may no longer see this account.") from exc
    start, end = date.fromisoformat(params["start"]), date.fromisoformat(params["end"])

    def progress(read: int, lines: int) -> None:
        jobs.job_progress(job, read, lines + 1, message=f"Reading the postings: {read:,} of {lines:,} lines…",
                          force=read == 0)

    statement = statement_build(account=account, start=start, end=end, on_progress=progress)
    lines = len(statement.lines)
    jobs.job_progress(job, lines, lines + 1, force=True,
                      message="Drawing the PDF…" if params["format"] == "pdf" else "Writing the file…")
    asked_from = HttpRequest()
    asked_from.META["REMOTE_ADDR"] = params.get("ip") or ""
    generated = _rendered(actor=actor, statement=statement, fmt=params["format"], request=asked_from)
    return {"message": f"Statement ready: {lines:,} line{'s' if lines != 1 else ''}.",
            "result_name": generated.filename, "result_content": ContentFile(generated.content)}
