"""Opening and closing the business date. Closing runs the end-of-day chain as django-q2 tasks."""

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django_q.tasks import async_task

from apps.audit.services import record
from apps.core.closing import ChecklistItem, checklist, open_items
from apps.core.eod import run_chain
from apps.core.models import BusinessDay, CloseOverride, EndOfDayRun
from apps.core.money import format_money

from .errors import LedgerError
from .selectors import pending_approvals

OVERRIDE_REASON_MIN = 10


def _require(actor, perm: str) -> None:
    if not actor.has_perm(perm):
        raise PermissionDenied("Only operations managers open and close the business day.")


@transaction.atomic
def business_day_open(*, actor, day=None, request=None, history: bool = False) -> BusinessDay:
    """Open the next business date: today or up to a week ahead, never one already used.

    `history`: a date in the past may be opened too, for posting history day by day (books moved
    from another system, one business day after another). Dates still only move forward, so a day
    that was closed is never opened again and history never lands between two used dates."""
    _require(actor, "core.add_businessday")
    today = timezone.localdate()
    unsettled = BusinessDay.objects.select_for_update().exclude(status=BusinessDay.Status.CLOSED).first()
    if unsettled is not None:
        raise LedgerError("day_not_closed", f"{unsettled.date:%d %b %Y} is still "
                                            f"{unsettled.get_status_display().lower()}: close it before opening the "
                                            "next day.")
    last = BusinessDay.objects.order_by("-date").first()
    day = day or max(today, last.date + timedelta(days=1) if last else today)
    if day < today and not history:
        raise ValidationError({"date": f"{day:%d %b %Y} is in the past; open today ({today:%d %b %Y}) or later."})
    if last is not None and day <= last.date:
        raise ValidationError({"date": f"{day:%d %b %Y} was already used; the next business date is after "
                                       f"{last.date:%d %b %Y}."})
    if day > today + timedelta(days=7):
        raise ValidationError({"date": "A business date more than a week ahead is almost certainly a typo."})
    opened = BusinessDay.objects.create(date=day, opened_by=actor)
    record(actor, "business_day.open", opened, request=request, **({"history": True} if day < today else {}))
    return opened


@transaction.atomic
def business_day_close(*, actor, request=None, wait: bool = False) -> EndOfDayRun:
    """Stop postings for the open date and queue its end-of-day chain.

    `wait`: run the chain here and now, in this process, instead of queueing it for a worker; the
    run comes back finished (or failed, with the day left closing, as in a worker). For posting
    history day by day, where the next date is opened as soon as this one has closed."""
    _require(actor, "core.change_businessday")
    day = (BusinessDay.objects.select_for_update().exclude(status=BusinessDay.Status.CLOSED).order_by("-date")
           .first())
    if day is None:
        raise LedgerError("day_already_closed", "There is no open business day to close.")
    if day.status == BusinessDay.Status.CLOSING:
        raise LedgerError("day_closing", f"{day.date:%d %b %Y} is already closing; see its end-of-day run.")
    still_open = open_items(day.date)
    if still_open:
        count = len(still_open)
        raise LedgerError("checklist_open",
                          f"{day.date:%d %b %Y} cannot close yet: {count} checklist item{'s' if count != 1 else ''} "
                          f"{'are' if count != 1 else 'is'} neither resolved nor overridden (first: "
                          f"{still_open[0].text.rstrip('.')}). Resolve each one, or override it with a written reason.")
    day.status = BusinessDay.Status.CLOSING
    day.save(update_fields=["status"])
    run = EndOfDayRun.objects.create(business_date=day.date, started_by=actor)
    record(actor, "business_day.close", day, request=request, run=run.pk)
    if wait:
        return run_chain(run.pk)
    transaction.on_commit(lambda: async_task("apps.ledger.tasks.run_end_of_day", run.pk,
                                             task_name=f"End of day {day.date}"))
    return run


@transaction.atomic
def end_of_day_resume(*, actor, run: EndOfDayRun, request=None) -> EndOfDayRun:
    """Re-run a failed chain after the cause is fixed; steps already done are skipped."""
    _require(actor, "core.change_businessday")
    run = EndOfDayRun.objects.select_for_update().get(pk=run.pk)
    if run.status != EndOfDayRun.Status.FAILED:
        raise LedgerError("not_failed", "Only a failed end-of-day run can be resumed.")
    record(actor, "business_day.resume", run, request=request)
    transaction.on_commit(lambda: async_task("apps.ledger.tasks.run_end_of_day", run.pk,
                                             task_name=f"End of day {run.business_date} (resumed)"))
    return run


def open_business_day() -> BusinessDay | None:
    return BusinessDay.objects.exclude(status=BusinessDay.Status.CLOSED).order_by("-date").first()


@transaction.atomic
def close_item_override(*, actor, item_key: str, reason: str, request=None) -> CloseOverride:
    """Accept one open checklist item for today's close, with the operations manager's written reason."""
    _require(actor, "core.change_businessday")
    day = BusinessDay.objects.select_for_update().filter(status=BusinessDay.Status.OPEN).order_by("-date").first()
    if day is None:
        raise LedgerError("day_not_open", "No business day is open, so there is nothing to close.")
    reason = " ".join((reason or "").split())
    if len(reason) < OVERRIDE_REASON_MIN:
        raise ValidationError({"reason": f"Say why this item may stay open (at least {OVERRIDE_REASON_MIN} "
                                         "characters); the reason is kept in the audit log."})
    current = {item.key: item for result in checklist(day.date) for item, override in result.items
               if override is None}
    item = current.get(item_key)
    if item is None:
        raise LedgerError("item_not_open", "That checklist item is no longer open (resolved or already "
                                           "overridden); reload the page.")
    try:
        with transaction.atomic():
            override = CloseOverride.objects.create(business_date=day.date, item_key=item.key,
                                                    item_text=item.text[:255], reason=reason, overridden_by=actor)
    except IntegrityError:
        raise LedgerError("item_not_open", "That checklist item was overridden already; reload the page.")
    record(actor, "business_day.checklist_override", day, request=request, item=item.key, item_text=item.text,
           reason=reason)
    return override


def approvals_waiting(business_date) -> list[ChecklistItem]:
    """The ledger's checklist item: movements waiting for a second person."""
    link = reverse("admin:ledger_approvals")
    items = []
    for txn in pending_approvals():
        account = txn.from_account or txn.to_account
        whose = f" on {account.account_number} ({account.member.full_name})" if account else ""
        items.append(ChecklistItem(key=f"ledger.approval:{txn.pk}", link=link,
                                   text=f"{txn.get_transaction_type_display()} {txn.reference} of "
                                        f"{format_money(txn.amount)}{whose} waits for a manager's approval."))
    return items
