"""Dividends on shares: declared for a period by the operations manager, previewed, then posted by a job.

Each member's dividend = average daily share balance over the period × rate × days / 365,
rounded half-even to the pesewa, paid into their shares or their Monthly Contribution account
as the product says.
"""

from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django_q.tasks import async_task

from apps.audit.services import record
from apps.core.business_day import BusinessDayClosed, current_business_date
from apps.core.money import quantize_interest

from . import chart
from .errors import LedgerError
from .models import ZERO, Account, DividendDeclaration, DividendLine, GLAccount, Posting, Product, Transaction
from .posting import SystemItem, post_system_batch


def _validate(period_start, period_end, rate) -> Decimal:
    errors = {}
    try:
        rate = Decimal(str(rate))
    except Exception:
        errors["rate"] = "Enter the rate as a percentage, e.g. 8.5."
    else:
        if not rate.is_finite() or rate < 0:
            errors["rate"] = "The dividend rate cannot be negative."
        elif rate > 100:
            errors["rate"] = "A dividend rate above 100% is not plausible; check the figure."
    if period_start > period_end:
        errors["period_end"] = "The period ends before it starts."
    elif period_end >= timezone.localdate():
        errors["period_end"] = "Declare dividends for a period that has ended."
    if errors:
        raise ValidationError(errors)
    return rate


def average_balance(account: Account, start, end) -> Decimal:
    """Average end-of-day balance over [start, end], from the postings (credit-normal shares)."""
    before = Posting.objects.filter(account=account, entry__business_date__lt=start).aggregate(
        d=Sum("debit"), c=Sum("credit"))
    balance = (before["c"] or ZERO) - (before["d"] or ZERO)
    changes = dict(Posting.objects.filter(account=account, entry__business_date__gte=start,
                                          entry__business_date__lte=end)
                   .values("entry__business_date").annotate(net=Sum("credit") - Sum("debit"))
                   .values_list("entry__business_date", "net"))
    days = (end - start).days + 1
    total = ZERO
    for offset in range(days):
        balance += changes.get(start + timedelta(days=offset), ZERO)
        total += balance
    return quantize_interest(total / days)


def _paid_to(account: Account) -> Account:
    if account.product.dividend_destination == "savings":
        savings = Account.objects.filter(member=account.member, product__kind=Product.Kind.MONTHLY_CONTRIBUTION,
                                         status=Account.Status.ACTIVE).first()
        if savings is not None:
            return savings
    return account


@transaction.atomic
def dividend_preview(*, actor, period_start, period_end, rate, request=None) -> DividendDeclaration:
    if not actor.has_perm("ledger.declare_dividend"):
        raise PermissionDenied("Only operations managers declare dividends.")
    rate = _validate(period_start, period_end, rate)
    days = (period_end - period_start).days + 1
    declaration = DividendDeclaration.objects.create(period_start=period_start, period_end=period_end, rate=rate,
                                                     declared_by=actor)
    lines = []
    shares = Account.objects.filter(product__kind=Product.Kind.SHARES).exclude(status=Account.Status.CLOSED)
    for account in shares.select_related("product", "member"):
        avg = average_balance(account, period_start, period_end)
        amount = quantize_interest(avg * rate / 100 * days / 365)
        if amount > 0:
            lines.append(DividendLine(declaration=declaration, shares_account=account, average_balance=avg,
                                      amount=amount, paid_to=_paid_to(account)))
    DividendLine.objects.bulk_create(lines)
    record(actor, "dividend.preview", declaration, request=request, rate=rate, members=len(lines),
           total=sum((line.amount for line in lines), ZERO))
    return declaration


@transaction.atomic
def dividend_post(*, actor, declaration: DividendDeclaration, request=None) -> DividendDeclaration:
    """Queue the posting of a previewed declaration (a django-q2 job posts each line once)."""
    if not actor.has_perm("ledger.declare_dividend"):
        raise PermissionDenied("Only operations managers post dividends.")
    declaration = DividendDeclaration.objects.select_for_update().get(pk=declaration.pk)
    if declaration.status == DividendDeclaration.Status.POSTED:
        raise LedgerError("already_posted", "This dividend has already been posted.")
    record(actor, "dividend.post", declaration, request=request)
    transaction.on_commit(lambda: async_task("apps.ledger.dividends.post_lines", declaration.pk, actor.pk,
                                             task_name=f"Dividend {declaration.pk}"))
    return declaration


DIVIDEND_CHUNK = 1000


def _post_chunk(lines: list[DividendLine], *, actor, business_date, expense, description: str) -> int:
    """Post a chunk of lines in bulk; lines paid to an account already in this batch go in the next
    one (a batch posts one movement per account). Refuses the whole chunk if an account is closed."""
    done = 0
    while lines:
        batch, later, seen = [], [], set()
        for line in lines:
            (later if line.paid_to_id in seen else batch).append(line)
            seen.add(line.paid_to_id)
        posted, refused = post_system_batch(
            actor=actor, business_date=business_date, txn_type=Transaction.Type.DIVIDEND, counterparty=expense,
            member_side="credit", items=[SystemItem(line.paid_to_id, line.amount, description) for line in batch])
        if refused:
            raise LedgerError("account_closed", f"Dividends cannot be paid to closed accounts ({len(refused)}).")
        for line in batch:
            line.transaction = posted.get(line.paid_to_id)
        DividendLine.objects.bulk_update([line for line in batch if line.transaction], ["transaction"])
        done += sum(1 for line in batch if line.transaction)
        lines = later
    return done


def post_lines(declaration_id: int, actor_id: int) -> str:
    """The job: post every line not yet posted; safe to run again."""
    from django.contrib.auth import get_user_model

    actor = get_user_model().objects.get(pk=actor_id)
    try:
        business_date = current_business_date()
    except BusinessDayClosed as exc:
        raise LedgerError("business_day_closed", str(exc))
    declaration = DividendDeclaration.objects.get(pk=declaration_id)
    expense = GLAccount.objects.get(code=chart.DIVIDEND_EXPENSE)
    description = (f"Dividend {declaration.rate}% for {declaration.period_start:%d %b %Y}–"
                   f"{declaration.period_end:%d %b %Y}")
    waiting = list(declaration.lines.filter(transaction__isnull=True).order_by("pk").values_list("pk", flat=True))
    posted = 0
    for start in range(0, len(waiting), DIVIDEND_CHUNK):
        with transaction.atomic():
            lines = list(DividendLine.objects.select_for_update().filter(
                pk__in=waiting[start:start + DIVIDEND_CHUNK], transaction__isnull=True).order_by("pk"))
            posted += _post_chunk(lines, actor=actor, business_date=business_date, expense=expense,
                                  description=description)
    DividendDeclaration.objects.filter(pk=declaration.pk).update(
        status=DividendDeclaration.Status.POSTED, posted_by=actor, posted_at=timezone.now())
    return f"posted {posted} dividend line(s)"
