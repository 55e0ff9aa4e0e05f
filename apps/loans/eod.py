"""End of day for loans: the steps the loans app adds to the end-of-day chain (`LoansConfig._eod_steps`).

In chain order, each `func(*, business_date, actor) -> dict`, all before the ledger's check (90):

====  ==============================  ==========================================================
 50   ``loan_standing_instructions``  pay what is due from the member's account (per loan: money
                                      moves under the posting engine's locks)
 55   ``loan_arrears_ageing``         days in arrears and non-performing, per active loan
 60   ``loan_interest_accrual``       interest earned to date, Dr interest receivable / Cr income
 65   ``loan_penalties``              penalties on overdue instalments, once per instalment and period
 70   ``loan_provisions``             loan-loss provision per product and bucket
====  ==============================  ==========================================================

Every step but the first is set-based: a few grouped queries, the arithmetic in Python over plain
tuples, then one UPDATE ... FROM (VALUES ...) per thousand changed rows (`_update_rows`), bulk inserts,
and one journal entry per product through the posting engine (`entry_post`; GL-only lines, so no
account is locked). Nothing is saved loan by loan, so simple-history records no row for these
figures (like a balance moved by the engine, they are derived: the postings and `LoanPenalty` /
`LoanProvision` rows are their history).

Every step can run again for the same business date and changes nothing the second time:

* **Ageing** writes only loans whose figures differ from what is stored.
* **Accrual** is cumulative, not daily: the interest earned through the business date (each
  instalment's interest times the elapsed part of its period ``(from_date, due_date]``, all of it
  once due), rounded to the loan's currency decimals half-even, less what the loan has recognised
  (`Loan.interest_recognised`: accrued, or paid ahead of accrual — apps/loans/servicing.py). Only a
  positive difference is accrued, so a re-run (or interest already paid ahead) accrues nothing, and
  a day end of day did not run is caught up by the next. Non-performing loans accrue nothing.
* **Penalties** insert only the `LoanPenalty` rows whose (instalment, period) is new, then set each
  touched instalment's ``penalties`` to the sum of its charges not waived. The rate and grace days
  are the loan's (``terms``, copied from the product when the member applied: a later change of the
  product changes no loan), with the product's rate for a loan whose terms lack it. Period 0 falls
  on the first day past the grace days, period k ``k × repayment_every`` weeks or months after it,
  counted from the due date (month ends clamp: due 31 Jan, grace 3 → 4 Feb, 4 Mar, 4 Apr); periods
  missed while end of day did not run are charged by the next run. No posting: penalty income is
  booked when a penalty is paid (cash basis).
* **Provisions**: the provision held for a product is the total of its latest `LoanProvision` rows on
  or before the business date (today's, when end of day already ran for it), not the sum of
  `Loan.provision`: the report is what was posted, and services that take a loan off the books
  (a write-off, a reversed disbursal) need not touch the provision — the loan is simply not in the next
  report, and the difference is released. Each bucket's provision (`arrears.provision_for` on the
  bucket's outstanding principal) is upserted for the date and the change per product posted: an
  increase Dr provision expense (5110) / Cr the product's provision account, a decrease the reverse; a
  re-run finds the figures it wrote and posts nothing. A bucket held before and empty now is written
  as a zero row, so the next day holds nothing for it. Each loan's share is kept in `Loan.provision`
  (pro rata to its principal, to the cent by largest remainder, so a bucket's loans add up to its
  `LoanProvision.amount` exactly; 0 once the loan is no longer active).
"""

from __future__ import annotations

import calendar
import logging
from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, models, transaction
from django.db.models import DecimalField, Exists, ExpressionWrapper, F, Min, OuterRef, Q, Subquery, Sum
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce

from apps.core.money import format_money
from apps.ledger.errors import LedgerError
from apps.ledger.models import GLAccount
from apps.ledger.posting import Entry, Line, entry_post

from . import chart
from .arrears import delinquency_bucket, is_non_performing, provision_for
from .models import Loan, LoanInstalment, LoanPenalty, LoanProduct, LoanProvision, LoansPolicy

log = logging.getLogger(__name__)

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
HUNDRED = Decimal("100")
# An amount below half a pesewa is nothing: SQLite keeps money as binary floats (PostgreSQL is exact).
HALF_PESEWA = Decimal("0.005")
ACTIVE = Loan.Status.ACTIVE
MONEY = DecimalField(max_digits=20, decimal_places=2)


def _money(expression):
    return ExpressionWrapper(expression, output_field=MONEY)


def _outstanding():
    """Everything still owed on an instalment, as a database expression."""
    return _money(F("principal") + F("interest") + F("fees") + F("penalties")
                  - F("principal_paid") - F("interest_paid") - F("fees_paid") - F("penalties_paid"))


def _owed_instalments(business_date: date, *, due_before: bool):
    """Instalments of active loans with something outstanding, due before (or on) the business date."""
    due = {"due_date__lt" if due_before else "due_date__lte": business_date}
    return (LoanInstalment.objects.filter(loan__status=ACTIVE, **due).alias(owed=_outstanding())
            .filter(owed__gte=HALF_PESEWA))


def _dec(value, default: Decimal = ZERO) -> Decimal:
    return default if value in (None, "") else Decimal(value)


def _step(decimals) -> Decimal:
    return Decimal(1).scaleb(-int(decimals if decimals not in (None, "") else 2))


# --- set-based writes ------------------------------------------------------------------------------

def _cast(field) -> str:
    if isinstance(field, models.DecimalField):
        return "NUMERIC"
    if isinstance(field, models.BooleanField):
        return "BOOLEAN"
    if isinstance(field, models.IntegerField):
        return "INTEGER"
    raise TypeError(f"_update_rows does not handle {field.__class__.__name__}")


def _update_rows(model, fields: list[str], rows: list[tuple], *, add: tuple[str, ...] = ()) -> int:
    """Set `fields` on many rows in a few statements: ``rows`` are ``(pk, value, ...)``; a field named
    in ``add`` is increased by its value (rounded to the cent) instead of set to it. One
    ``WITH v AS (VALUES ...) UPDATE ... FROM v`` per chunk, on SQLite (3.33+) and PostgreSQL alike:
    no CASE over every primary key, as `bulk_update` writes, and no signal or history row."""
    if not rows:
        return 0
    qn = connection.ops.quote_name
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    names = ", ".join(["pk"] + [f"c{i}" for i in range(len(columns))])
    row_sql = "(" + ", ".join(["CAST(%s AS BIGINT)"] + [f"CAST(%s AS {_cast(c)})" for c in columns]) + ")"
    sets = ", ".join(
        f"{qn(c.column)} = ROUND({qn(c.column)} + v.c{i}, 2)" if c.name in add else f"{qn(c.column)} = v.c{i}"
        for i, c in enumerate(columns))
    table = qn(meta.db_table)
    per_chunk = max(1, min(1000, (connection.features.max_query_params or 65535) // (len(columns) + 1)))
    updated = 0
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_chunk):
            chunk = rows[start:start + per_chunk]
            sql = (f"WITH v({names}) AS (VALUES {', '.join([row_sql] * len(chunk))}) "
                   f"UPDATE {table} SET {sets} FROM v WHERE {table}.{qn(meta.pk.column)} = v.pk")
            cursor.execute(sql, [value for row in chunk for value in row])
            updated += cursor.rowcount
    return updated


def _post_per_product(*, actor, business_date, amounts: dict[int, Decimal], lines, description) -> None:
    """One journal entry per product with a non-zero amount: ``lines(product, amount) -> [Line]``."""
    amounts = {pk: amount for pk, amount in amounts.items() if amount}
    if not amounts:
        return
    products = LoanProduct.objects.filter(pk__in=amounts).select_related(
        "interest_receivable_account", "interest_income_account", "provision_account").order_by("pk")
    entry_post(entries=[Entry(lines=lines(product, amounts[product.pk]), description=description(product))
                        for product in products], actor=actor, business_date=business_date)


# --- 1. standing instructions ----------------------------------------------------------------------

def standing_instructions(*, business_date: date, actor) -> dict:
    """Pay what is due (and overdue) on each active loan with a standing instruction from the member's
    account, as far as its available balance goes (`servicing.standing_instruction_collect`). Each loan is
    its own movement under the posting engine's locks, in a savepoint: one account the engine refuses
    (frozen, closed) is counted and skipped, and stops no other loan. A re-run finds nothing due left,
    or no funds."""
    from . import servicing

    collect = servicing.standing_instruction_collect
    due = LoanInstalment.objects.filter(loan=OuterRef("pk"), due_date__lte=business_date).alias(
        owed=_outstanding()).filter(owed__gte=HALF_PESEWA)
    loans = (Loan.objects.filter(status=ACTIVE, standing_instruction=True).filter(Exists(due))
             .select_related("product", "member", "account").order_by("pk"))
    paid = no_funds = refused = 0
    amount = ZERO
    for loan in loans.iterator(chunk_size=500):
        try:
            with transaction.atomic():
                result = collect(actor=actor, loan=loan, business_date=business_date)
        except (LedgerError, ValidationError, PermissionDenied) as exc:
            log.warning("End of day %s: standing instruction on loan %s refused: %s", business_date, loan.number, exc)
            refused += 1
            continue
        if result is None:
            no_funds += 1
        else:
            paid += 1
            amount += result.amount
    return {"loan_si_paid": paid, "loan_si_amount": str(amount), "loan_si_no_funds": no_funds,
            "loan_si_refused": refused}


# --- 2. arrears ageing -----------------------------------------------------------------------------

def arrears_ageing(*, business_date: date, actor) -> dict:
    """Each active loan's days in arrears (business date less the due date of its oldest instalment due
    before it and not fully paid; 0 when none is) and whether it is non-performing (more than 90 days).
    Only loans whose figures change are written."""
    oldest = dict(_owed_instalments(business_date, due_before=True).values("loan")
                  .annotate(oldest=Min("due_date")).values_list("loan", "oldest"))
    changed, in_arrears, non_performing, total = [], 0, 0, 0
    for pk, days, npl in Loan.objects.filter(status=ACTIVE).order_by().values_list(
            "pk", "days_in_arrears", "non_performing"):
        total += 1
        new_days = (business_date - oldest[pk]).days if pk in oldest else 0
        new_npl = is_non_performing(new_days)
        in_arrears += new_days > 0
        non_performing += new_npl
        if (new_days, new_npl) != (days, npl):
            changed.append((pk, new_days, new_npl))
    _update_rows(Loan, ["days_in_arrears", "non_performing"], changed)
    return {"loan_aged": total, "loan_in_arrears": in_arrears, "loan_non_performing": non_performing,
            "loan_ageing_changed": len(changed), **instalment_notices(business_date)}


DUE_NOTICE_DAYS = 3  # a member is reminded of an instalment this many days before it falls due
NOTICE_CATCH_UP_DAYS = 7  # days end of day did not run are caught up, this far back


def instalment_notices(business_date: date) -> dict:
    """Tell each member (with a portal login) about an instalment falling due within DUE_NOTICE_DAYS
    (`loans.instalment_due`) and one that became overdue (`loans.instalment_overdue`: due before the
    business date and not paid, the loan's first day in arrears for it). Once per instalment and kind
    (the notification's key), so a re-run tells nobody twice; an old arrears is not announced again
    after NOTICE_CATCH_UP_DAYS."""
    from django.urls import reverse

    from apps.messaging.models import Notification
    from apps.messaging.services import notify

    sent = {"loan_due_notices": 0, "loan_overdue_notices": 0}
    wanted = (
        ("loans.instalment_due", "loan_due_notices",
         Q(due_date__gt=business_date, due_date__lte=business_date + timedelta(days=DUE_NOTICE_DAYS))),
        ("loans.instalment_overdue", "loan_overdue_notices",
         Q(due_date__lt=business_date, due_date__gte=business_date - timedelta(days=NOTICE_CATCH_UP_DAYS))),
    )
    for kind, counter, when in wanted:
        rows = list(LoanInstalment.objects.filter(when, loan__status=ACTIVE, loan__member__user__isnull=False)
                    .alias(left=_outstanding()).filter(left__gte=HALF_PESEWA).annotate(owed=_outstanding())
                    .select_related("loan__member__user").order_by("due_date", "pk"))
        told = set(Notification.objects.filter(kind=kind, key__in=[f"instalment-{i.pk}" for i in rows])
                   .values_list("key", flat=True))
        for instalment in rows:
            key = f"instalment-{instalment.pk}"
            if key in told:
                continue
            loan, owed = instalment.loan, format_money(instalment.owed)
            if kind == "loans.instalment_due":
                title = f"Loan {loan.number}: {owed} is due on {instalment.due_date:%d %b %Y}"
                body = (f"Instalment {instalment.number} of your loan {loan.number} falls due on "
                        f"{instalment.due_date:%A %d %B %Y}. Pay it in at a branch or from your account before then.")
            else:
                title = f"Loan {loan.number}: {owed} is overdue"
                body = (f"Instalment {instalment.number} of your loan {loan.number} was due on "
                        f"{instalment.due_date:%A %d %B %Y} and {owed} is still unpaid. Penalties may be charged: "
                        "pay it as soon as you can, or talk to us.")
            if notify(loan.member.user, kind, title, body, link=reverse("portal:loan", args=[loan.pk]), key=key):
                sent[counter] += 1
    return sent


# --- 3. interest accrual ---------------------------------------------------------------------------

def interest_earned(business_date: date) -> dict[int, tuple[int, Decimal, Decimal]]:
    """{loan: (product, interest recognised, interest earned through the business date)} for every
    active, performing loan (the module docstring)."""
    performing = {"loan__status": ACTIVE, "loan__non_performing": False}
    full = dict(LoanInstalment.objects.filter(due_date__lte=business_date, **performing).values("loan")
                .annotate(total=Sum("interest")).values_list("loan", "total"))
    partial: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for loan, interest, start, end in (LoanInstalment.objects.filter(
            from_date__lt=business_date, due_date__gt=business_date, interest__gt=0, **performing)
            .order_by().values_list("loan", "interest", "from_date", "due_date")):
        partial[loan] += Decimal(interest) * (business_date - start).days / (end - start).days
    earned = {}
    for pk, product, recognised, decimals in (Loan.objects.filter(status=ACTIVE, non_performing=False)
                                              .annotate(decimals=KT("terms__currency_decimals")).order_by()
                                              .values_list("pk", "product_id", "interest_recognised", "decimals")):
        target = (Decimal(full.get(pk) or ZERO) + partial.get(pk, ZERO)).quantize(_step(decimals), ROUND_HALF_EVEN)
        earned[pk] = (product, recognised, target)
    return earned


def interest_accrual(*, business_date: date, actor) -> dict:
    """Accrue, for each active performing loan, the interest earned to date that it has not recognised:
    `Loan.interest_recognised` and `Loan.interest_receivable` rise by it, and one entry per product
    posts the product's total, Dr interest receivable / Cr interest income."""
    rows, per_product = [], defaultdict(lambda: ZERO)
    for pk, (product, recognised, target) in interest_earned(business_date).items():
        delta = target - recognised
        if delta > 0:
            rows.append((pk, delta, delta))
            per_product[product] += delta
    _update_rows(Loan, ["interest_recognised", "interest_receivable"], rows,
                 add=("interest_recognised", "interest_receivable"))
    _post_per_product(
        actor=actor, business_date=business_date, amounts=per_product,
        lines=lambda product, amount: [Line(gl=product.interest_receivable_account, debit=amount),
                                       Line(gl=product.interest_income_account, credit=amount)],
        description=lambda product: f"Loan interest accrued to {business_date:%d %b %Y}: {product.code}")
    return {"loan_interest_loans": len(rows), "loan_interest_accrued": str(sum(per_product.values(), ZERO))}


# --- 4. penalties ----------------------------------------------------------------------------------

def _plus_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def penalty_dates(due_date: date, *, grace_days: int, every: int, frequency: str, until: date) -> list[date]:
    """The days an instalment due on ``due_date`` and still unpaid is charged, up to ``until``: period 0
    on the first day past the grace days, period k ``k × every`` weeks or months after that (from the
    due date, so month ends clamp and do not drift)."""
    grace = timedelta(days=grace_days + 1)
    every = max(int(every or 1), 1)
    dates = []
    for k in range(10_000):
        if frequency == "week":
            day = due_date + timedelta(weeks=k * every) + grace
        else:
            day = _plus_months(due_date, k * every) + grace
        if day > until:
            break
        dates.append(day)
    return dates


def penalties_charge(*, business_date: date, actor) -> dict:
    """Charge each unpaid instalment (principal and interest outstanding) overdue more than the loan's
    grace days its penalty for every period not yet charged: the penalty rate % of the principal and
    interest it still owes, to the cent half-even. Then each instalment charged on this date carries the
    sum of its charges not waived."""
    candidates = (LoanInstalment.objects.filter(loan__status=ACTIVE, due_date__lt=business_date)
                  .alias(owed=_money(F("principal") - F("principal_paid") + F("interest") - F("interest_paid")))
                  .filter(owed__gte=HALF_PESEWA))
    rows = list(candidates.annotate(owed_now=F("owed")).order_by().values_list("pk", "loan_id", "due_date", "owed_now"))
    terms = {pk: values for pk, *values in (
        Loan.objects.filter(pk__in=Subquery(candidates.values("loan_id")))
        .annotate(grace=KT("terms__penalty_grace_days"), rate=KT("terms__penalty_rate"),
                  every=KT("terms__repayment_every"), frequency=KT("terms__repayment_frequency"))
        .order_by().values_list("pk", "grace", "rate", "every", "frequency", "product__penalty_rate"))}
    charged = set(LoanPenalty.objects.filter(instalment__in=Subquery(candidates.values("pk")))
                  .values_list("instalment_id", "period"))
    new = []
    for pk, loan, due_date, owed in rows:
        grace, rate, every, frequency, product_rate = terms[loan]
        rate = _dec(rate, _dec(product_rate))
        amount = (Decimal(owed).quantize(CENT) * rate / HUNDRED).quantize(CENT, ROUND_HALF_EVEN)
        if amount <= 0:
            continue
        dates = penalty_dates(due_date, grace_days=int(grace or 0), every=int(every or 1), frequency=frequency,
                              until=business_date)
        new += [LoanPenalty(instalment_id=pk, period=period, charged_on=business_date, amount=amount)
                for period in range(len(dates)) if (pk, period) not in charged]
    LoanPenalty.objects.bulk_create(new, batch_size=2000)
    charges = LoanPenalty.objects.filter(instalment=OuterRef("pk"), waived=False).values("instalment").annotate(
        total=Sum("amount")).values("total")
    LoanInstalment.objects.filter(
        pk__in=LoanPenalty.objects.filter(charged_on=business_date).values("instalment_id"),
    ).update(penalties=Coalesce(Subquery(charges, output_field=MONEY), ZERO))
    return {"loan_penalties_charged": len(new), "loan_penalties_amount": str(sum((p.amount for p in new), ZERO))}


# --- 5. provisions ---------------------------------------------------------------------------------

def _share(amount: Decimal, loans: list[tuple[int, Decimal]], rate: Decimal) -> dict[int, Decimal]:
    """``amount`` shared over ``loans`` ((pk, principal)) pro rata, each ``principal × rate %`` cut to
    the cent, the cents left over to the largest remainders (then the lower pk): they add up exactly."""
    shares, remainders = {}, []
    for pk, principal in loans:
        exact = principal * rate / HUNDRED
        shares[pk] = exact.quantize(CENT, ROUND_DOWN)
        remainders.append((exact - shares[pk], -pk))
    left = int((amount - sum(shares.values(), ZERO)) / CENT)
    remainders.sort(reverse=True)
    for _, negative_pk in remainders[:max(left, 0)]:
        shares[-negative_pk] += CENT
    return shares


def _held(business_date: date) -> tuple[dict[int, Decimal], dict[tuple[int, str], LoanProvision]]:
    """({product: provision held}, {(product, bucket): row}) from each product's latest `LoanProvision`
    rows on or before the business date (today's, when end of day already ran for it)."""
    latest = LoanProvision.objects.filter(product=OuterRef("product"), business_date__lte=business_date).order_by(
        "-business_date").values("business_date")[:1]
    rows = {(row.product_id, row.bucket): row for row in LoanProvision.objects.filter(
        business_date__lte=business_date, business_date=Subquery(latest)).order_by()}
    held: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for (product, _), row in rows.items():
        held[product] += row.amount
    return held, rows


def provisions_set(*, business_date: date, actor) -> dict:
    """The loan-loss provision on the business date: per product and bucket of the active loans, their
    count, outstanding principal, the policy's rate and the provision (`LoanProvision`, upserted); each
    loan's share in `Loan.provision`; per product, the change from the provision held (its latest
    report) posted (module docstring)."""
    rates = LoansPolicy.current().provision_rates()
    principal = dict(LoanInstalment.objects.filter(loan__status=ACTIVE).values("loan")
                     .annotate(owed=Sum(_money(F("principal") - F("principal_paid")))).values_list("loan", "owed"))
    groups: dict[tuple[int, str], list[tuple[int, Decimal]]] = defaultdict(list)
    stored: dict[int, Decimal] = {}
    for pk, status, product, days, provision in (Loan.objects.filter(Q(status=ACTIVE) | ~Q(provision=0)).order_by()
                                                 .values_list("pk", "status", "product_id", "days_in_arrears",
                                                              "provision")):
        stored[pk] = provision
        if status == ACTIVE:
            owed = max(Decimal(principal.get(pk) or ZERO).quantize(CENT), ZERO)
            groups[(product, delinquency_bucket(days))].append((pk, owed))
    held, previous = _held(business_date)
    new_provision = dict.fromkeys(stored, ZERO)  # a loan no longer active holds nothing
    report = []
    for (product, bucket), loans in groups.items():
        outstanding = sum((owed for _, owed in loans), ZERO)
        amount = provision_for(bucket, outstanding, rates)
        new_provision.update(_share(amount, loans, rates.get(bucket, ZERO)))
        report.append(LoanProvision(business_date=business_date, product_id=product, bucket=bucket, loans=len(loans),
                                    outstanding_principal=outstanding, rate=rates.get(bucket, ZERO), amount=amount))
    # a bucket held before and now empty is reported as nothing today, so tomorrow's figure held is 0
    for (product, bucket), row in previous.items():
        if (product, bucket) not in groups and (row.amount or row.loans or row.business_date == business_date):
            report.append(LoanProvision(business_date=business_date, product_id=product, bucket=bucket, loans=0,
                                        outstanding_principal=ZERO, rate=rates.get(bucket, ZERO), amount=ZERO))
    LoanProvision.objects.bulk_create(report, update_conflicts=True,
                                      unique_fields=["business_date", "product", "bucket"],
                                      update_fields=["loans", "outstanding_principal", "rate", "amount"])
    _update_rows(Loan, ["provision"], [(pk, new) for pk, new in new_provision.items() if new != stored[pk]])
    change = defaultdict(lambda: ZERO)
    for row in report:
        change[row.product_id] += row.amount
    for product, amount in held.items():
        change[product] -= amount
    expense = GLAccount.objects.get(code=chart.PROVISION_EXPENSE) if any(change.values()) else None

    def lines(product, amount):
        if amount > 0:
            return [Line(gl=expense, debit=amount), Line(gl=product.provision_account, credit=amount)]
        return [Line(gl=product.provision_account, debit=-amount), Line(gl=expense, credit=-amount)]

    _post_per_product(actor=actor, business_date=business_date, amounts=change, lines=lines,
                      description=lambda product: f"Loan loss provision on {business_date:%d %b %Y}: {product.code}")
    return {"loan_provision_loans": sum(len(loans) for loans in groups.values()),
            "loan_provision_total": str(sum((r.amount for r in report), ZERO)),
            "loan_provision_change": str(sum(change.values(), ZERO))}


# --- registration ----------------------------------------------------------------------------------

STEPS = (
    ("loan_standing_instructions", 50, standing_instructions, "Loans: standing instructions", {
        "loan_si_paid": "Loan instalments paid from accounts", "loan_si_amount": ("Paid from accounts", True),
        "loan_si_no_funds": "Loans due with no funds", "loan_si_refused": "Standing instructions refused"}),
    ("loan_arrears_ageing", 55, arrears_ageing, "Loans: arrears ageing", {
        "loan_aged": "Active loans aged", "loan_in_arrears": "Loans in arrears",
        "loan_non_performing": "Loans non-performing (over 90 days)", "loan_ageing_changed": "Loans re-aged",
        "loan_due_notices": "Members reminded of an instalment due", "loan_overdue_notices":
            "Members told an instalment is overdue"}),
    ("loan_interest_accrual", 60, interest_accrual, "Loans: interest accrual", {
        "loan_interest_loans": "Loans accrued", "loan_interest_accrued": ("Loan interest accrued", True)}),
    ("loan_penalties", 65, penalties_charge, "Loans: penalties on overdue instalments", {
        "loan_penalties_charged": "Penalties charged", "loan_penalties_amount": ("Penalties", True)}),
    ("loan_provisions", 70, provisions_set, "Loans: loan-loss provisions", {
        "loan_provision_loans": "Loans provisioned", "loan_provision_total": ("Provision held", True),
        "loan_provision_change": ("Provision change posted", True)}),
)
