"""Loan applications: apply, guarantees, the eligibility check and the four-eyes decision.

Every write here is one database transaction, audited inside it (`apps.audit.services.record`), with
simple-history rows attributed to the actor. Refusals by a business rule raise `LedgerError` (API 409),
bad input `ValidationError` (422), missing rights `PermissionDenied` (403); nothing is changed then.

Rules left open by the issue, decided here (following Apache Fineract where it has one):

* **Savings** are the balances of the member's Daily Susu and Monthly Contribution accounts that are not
  closed: the member's deposits. Shares are equity, not savings, and are left out; loans are not ledger
  accounts, so none is counted.
* **Guarantees** (when the product requires guarantors): at least `guarantors_required` accepted
  guarantees, and their pledged total must cover the part of the loan the member's own savings do not
  (amount − savings, never below zero). Fineract's guarantee rule is a mandatory percentage of the loan
  covered by guarantors, with the borrower's own funds counting towards it; this is that rule at 100 %.
* **Active loans limit**: loans `approved` or `active` count (an approved loan is about to be paid out);
  the limit is `LoansPolicy.max_active_loans` (2 unless operations changes it).
* **Arrears**: another `active` loan of the member with `days_in_arrears > 0` (set by end of day).
"""

import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from apps.audit.services import record
from apps.core.business_day import reporting_date
from apps.core.money import InvalidAmount, format_money, parse_amount
from apps.core.roles import Role
from apps.ledger import services as ledger
from apps.ledger.errors import LedgerError
from apps.ledger.models import ZERO, Account, Product
from apps.ledger.posting import Idempotency, idempotent
from apps.members.models import Member
from apps.members.selectors import members_visible_to
from apps.messaging.services import notify

from .models import Loan, LoanDocument, LoanGuarantee, LoanProduct, LoansPolicy
from .services import loan_terms_validate

APPLY_ROLES = (Role.CUSTOMER, Role.MOBILE_BANKER, Role.CASHIER)
SAVINGS_KINDS = (Product.Kind.DAILY_SUSU, Product.Kind.MONTHLY_CONTRIBUTION)
COUNTS_AS_ACTIVE = (Loan.Status.APPROVED, Loan.Status.ACTIVE)
TERM_FIELDS = ("interest_method", "amortization", "interest_rate_period", "interest_calculation", "days_in_year",
               "repayment_every", "repayment_frequency", "min_term", "max_term", "currency_decimals",
               "grace_on_principal", "grace_on_interest", "penalty_grace_days", "guarantors_required")
DECIMAL_TERM_FIELDS = ("interest_rate", "min_amount", "max_amount", "currency_multiple", "instalment_multiple",
                       "penalty_rate", "max_savings_multiple")


# --- who may see and do what ---------------------------------------------------------------------

def loans_visible_to(user):
    """A customer their own loans; a mobile banker their assigned members' loans; other staff with
    `loans.view_loan` every loan."""
    base = Loan.objects.select_related("member", "product", "account", "created_by", "officer", "decided_by")
    if not user.is_authenticated:
        return base.none()
    if user.role == Role.CUSTOMER:
        return base.filter(member__user=user)
    if user.role == Role.MOBILE_BANKER:
        return base.filter(member__in=members_visible_to(user))
    if user.is_staff and user.has_perm("loans.view_loan"):
        return base
    return base.none()


def can_decide(user) -> bool:
    return getattr(user, "role", None) == Role.MANAGER and user.has_perm("loans.approve_loan")


def savings_of(member: Member) -> Decimal:
    """The member's savings: balances of their Daily Susu and Monthly Contribution accounts that are not
    closed (shares and loans are not savings; see the module docstring)."""
    total = (Account.objects.filter(member=member, product__kind__in=SAVINGS_KINDS)
             .exclude(status=Account.Status.CLOSED).aggregate(total=Sum("balance"))["total"])
    return total or ZERO


# --- apply ---------------------------------------------------------------------------------------

def _amount(raw, field: str) -> Decimal:
    try:
        return parse_amount(raw)
    except InvalidAmount as exc:
        raise ValidationError({field: str(exc)})


def _terms_snapshot(product: LoanProduct) -> dict:
    terms = {field: getattr(product, field) for field in TERM_FIELDS}
    terms.update({field: None if getattr(product, field) is None else str(getattr(product, field))
                  for field in DECIMAL_TERM_FIELDS})
    terms["fees"] = [{"name": fee.name, "kind": fee.kind, "amount": str(fee.amount), "when": fee.when}
                     for fee in product.fees.all()]
    return terms


def _new_number() -> str:
    while True:
        number = f"LN{secrets.randbelow(10**8):08d}"
        if not Loan.objects.filter(number=number).exists():
            return number


def loan_apply(*, actor, product: LoanProduct, amount, term: int, purpose: str, account, member: Member | None = None,
               guarantors=(), idempotency_key: str | None = None, request=None) -> Loan:
    """Apply for a loan: a customer for themself, a mobile banker for an assigned member, a cashier for
    any member. The amount and term must be in the product's ranges and the product active; the account
    must be the member's own active savings account. Creates the loan `submitted` and a guarantee
    request for each `{member, amount}` in `guarantors`. Eligibility is not checked here: the approver
    sees it rule by rule and approval re-runs it.

    With `idempotency_key`, a retry of the same request answers the first application (the ledger's
    `posting.idempotent`); the same key with another request is refused (`idempotency_conflict`)."""
    if getattr(actor, "role", None) not in APPLY_ROLES or (
            actor.role != Role.CUSTOMER and not actor.has_perm("loans.add_loan")):
        raise PermissionDenied("Only a customer, a mobile banker or a cashier may apply for a loan.")
    if actor.role == Role.CUSTOMER:
        own = Member.objects.filter(user=actor).first()
        if own is None or (member is not None and member.pk != own.pk):
            raise PermissionDenied("A customer may apply only for themself.")
        member = own
    elif member is None:
        raise ValidationError({"member_id": "Name the member the loan is for."})
    elif not members_visible_to(actor).filter(pk=member.pk).exists():
        raise PermissionDenied("A mobile banker may apply only for members assigned to them.")
    amount = _amount(amount, "amount")
    purpose = (purpose or "").strip()
    errors = {}
    if not purpose:
        errors["purpose"] = "Say what the loan is for."
    if amount <= 0:
        errors["amount"] = "The amount must be more than zero."
    account_pk = account.pk if isinstance(account, Account) else account
    account = Account.objects.select_related("product").filter(pk=account_pk).first()
    if account is None or account.member_id != member.pk:
        errors["account_id"] = "Choose one of the member's own accounts."
    elif account.status != Account.Status.ACTIVE or account.product.kind not in SAVINGS_KINDS:
        errors["account_id"] = "Choose an active savings account (Daily Susu or Monthly Contribution)."
    if member.status != Member.Status.ACTIVE:
        errors["member_id"] = "The member has exited the credit union."
    pledges = []
    seen = set()
    for index, row in enumerate(guarantors):
        guarantor, pledged = row["member"], row["amount"]
        if not isinstance(guarantor, Member):
            guarantor = Member.objects.filter(pk=guarantor).first()
        try:
            pledged = parse_amount(pledged)
        except InvalidAmount as exc:
            errors[f"guarantors.{index}.amount"] = str(exc)
            continue
        if guarantor is None or guarantor.status != Member.Status.ACTIVE:
            errors[f"guarantors.{index}.member_id"] = "No such member."
        elif guarantor.pk == member.pk:
            errors[f"guarantors.{index}.member_id"] = "A member cannot guarantee their own loan."
        elif guarantor.pk in seen:
            errors[f"guarantors.{index}.member_id"] = "Each guarantor once."
        elif pledged <= 0:
            errors[f"guarantors.{index}.amount"] = "The pledged amount must be more than zero."
        else:
            seen.add(guarantor.pk)
            pledges.append((guarantor, pledged))
    if errors:
        raise ValidationError(errors)
    try:
        loan_terms_validate(product=product, principal=amount, term=term)
    except ValidationError as exc:
        raise ValidationError({("amount" if field == "principal" else field): messages
                               for field, messages in exc.message_dict.items()})
    idempotency = Idempotency.of(
        idempotency_key, "loan_apply", member=member.pk, product=product.pk, amount=str(amount), term=term,
        purpose=purpose, account=account.pk, guarantors=[(g.pk, str(a)) for g, a in pledges])
    return idempotent(actor=actor, idempotency=idempotency, model=Loan,
                      run=lambda: _apply(actor, member, product, account, amount, term, purpose, pledges, request))


def _apply(actor, member, product, account, amount, term, purpose, pledges, request) -> Loan:
    with transaction.atomic():
        loan = Loan(number=_new_number(), member=member, product=product, account=account, amount=amount, term=term,
                    purpose=purpose[:255], interest_rate=product.interest_rate,
                    interest_rate_period=product.interest_rate_period, terms=_terms_snapshot(product),
                    created_by=actor, officer=member.assigned_banker)
        loan._history_user = actor
        loan.save()
        for guarantor, pledged in pledges:
            guarantee = LoanGuarantee(loan=loan, guarantor=guarantor, amount=pledged)
            guarantee._history_user = actor
            guarantee.save()
        record(actor, "loan.apply", loan, request=request, number=loan.number, member=member.member_number,
               amount=str(amount), term=term, product=product.code,
               guarantors=[{"member": g.member_number, "amount": str(a)} for g, a in pledges])
        notify(Role.MANAGER, "loans.application_waiting",
               f"Loan application {loan.number} for {format_money(amount)} waits for a decision",
               f"{member.full_name} ({member.member_number}) applied for {product.name}, {format_money(amount)} over "
               f"{term} instalments: {loan.purpose}", link=reverse("admin:loans_loan_change", args=[loan.pk]),
               key=f"loan-{loan.pk}")
    return loan


DOCUMENT_TYPES = (".pdf", ".jpg", ".jpeg", ".png")
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024


def loan_document_add(*, actor, loan: Loan, kind: str, file, request=None) -> LoanDocument:
    """Attach a document (PDF, JPEG or PNG, at most 5 MB) to a loan not yet decided: the applicant, or staff
    who may see the loan and hold `loans.add_loandocument`. Audited."""
    if not loans_visible_to(actor).filter(pk=loan.pk).exists() or (
            actor.role != Role.CUSTOMER and not actor.has_perm("loans.add_loandocument")):
        raise PermissionDenied("You may not add documents to this loan.")
    if loan.status != Loan.Status.SUBMITTED:
        raise LedgerError("loan_decided", f"Loan {loan.number} is {loan.get_status_display().lower()}: "
                                          "its documents are closed.")
    if kind not in LoanDocument.Kind.values:
        raise ValidationError({"kind": "Choose a document kind."})
    name = (getattr(file, "name", "") or "").lower()
    if not name.endswith(DOCUMENT_TYPES):
        raise ValidationError({"file": "Upload a PDF, JPEG or PNG file."})
    if not file.size or file.size > MAX_DOCUMENT_BYTES:
        raise ValidationError({"file": "The file must be between 1 byte and 5 MB."})
    with transaction.atomic():
        document = LoanDocument(loan=loan, kind=kind, file=file, uploaded_by=actor)
        document._history_user = actor
        document.save()
        record(actor, "loan.document_add", loan, request=request, kind=kind, document=document.pk)
    return document


# --- eligibility ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Rule:
    rule: str
    passed: bool
    message: str

    def __iter__(self):  # a (rule, passed, message) tuple
        return iter((self.rule, self.passed, self.message))


def eligibility(loan: Loan, amount: Decimal | None = None) -> list[Rule]:
    """Each rule, in the order an approver reads them: (rule, passed, message). `amount` is the amount
    to be approved (default: the approved amount, else the amount requested)."""
    amount = loan.principal if amount is None else amount
    member, product = loan.member, loan.product
    rules = []
    verified = member.kyc_status == Member.Kyc.VERIFIED
    rules.append(Rule("kyc_verified", verified, "KYC is verified." if verified
                      else f"The member's KYC is {member.get_kyc_status_display().lower()}, not verified."))
    savings = savings_of(member)
    multiple = product.max_savings_multiple
    if multiple is None:
        rules.append(Rule("savings_multiple", True, "The product has no savings limit."))
    else:
        limit = (savings * multiple).quantize(Decimal("0.01"))
        rules.append(Rule("savings_multiple", amount <= limit,
                          f"{format_money(amount)} against {multiple.normalize():f} × savings of "
                          f"{format_money(savings)} = {format_money(limit)}."))
    in_arrears = (Loan.objects.filter(member=member, status=Loan.Status.ACTIVE, days_in_arrears__gt=0)
                  .exclude(pk=loan.pk).order_by("-days_in_arrears").first())
    rules.append(Rule("no_arrears", in_arrears is None, "No loan of the member is in arrears." if in_arrears is None
                      else f"Loan {in_arrears.number} is {in_arrears.days_in_arrears} days in arrears."))
    limit = LoansPolicy.current().max_active_loans
    active = Loan.objects.filter(member=member, status__in=COUNTS_AS_ACTIVE).exclude(pk=loan.pk).count()
    rules.append(Rule("active_loans_limit", active < limit,
                      f"The member has {active} approved or active loan{'s' if active != 1 else ''}; "
                      f"the limit is {limit}."))
    required = product.guarantors_required
    if required == 0:
        rules.append(Rule("guarantees_accepted", True, "The product needs no guarantors."))
    else:
        accepted = [g for g in loan.guarantees.all() if g.status == LoanGuarantee.Status.ACCEPTED]
        pledged = sum((g.amount for g in accepted), ZERO)
        cover = max(amount - savings, ZERO)
        passed = len(accepted) >= required and pledged >= cover
        rules.append(Rule("guarantees_accepted", passed,
                          f"{len(accepted)} of {required} guarantor{'s' if required != 1 else ''} accepted, "
                          f"pledging {format_money(pledged)}; the part not covered by savings is "
                          f"{format_money(cover)}."))
    in_range = (product.min_amount <= amount <= product.max_amount
                and product.min_term <= loan.term <= product.max_term)
    rules.append(Rule("amount_and_term_in_range", in_range,
                      f"{format_money(amount)} over {loan.term} repayments; the product allows "
                      f"{format_money(product.min_amount)}–{format_money(product.max_amount)} over "
                      f"{product.min_term}–{product.max_term}."))
    return rules


# --- guarantees ----------------------------------------------------------------------------------

def _guarantee_locked(actor, guarantee: LoanGuarantee) -> LoanGuarantee:
    guarantee = LoanGuarantee.objects.select_for_update().select_related("loan", "guarantor").get(pk=guarantee.pk)
    if getattr(actor, "role", None) != Role.CUSTOMER or guarantee.guarantor.user_id != actor.pk:
        raise PermissionDenied("Only the guarantor may answer a guarantee request.")
    if guarantee.status != LoanGuarantee.Status.REQUESTED:
        raise LedgerError("guarantee_decided", f"This guarantee is already {guarantee.get_status_display().lower()}.")
    if guarantee.loan.status != Loan.Status.SUBMITTED:
        raise LedgerError("loan_decided",
                          f"Loan {guarantee.loan.number} is {guarantee.loan.get_status_display().lower()}.")
    return guarantee


@ledger.retry_on_conflict
def guarantee_accept(*, actor, guarantee: LoanGuarantee, account=None, request=None) -> LoanGuarantee:
    """The guarantor accepts: the pledged amount is held on their account (default: their savings
    account with the most available), so its available balance falls. Refused if short of funds."""
    with transaction.atomic():
        guarantee = _guarantee_locked(actor, guarantee)
        accounts = (Account.objects.select_related("product")
                    .filter(member=guarantee.guarantor, status=Account.Status.ACTIVE,
                            product__kind__in=SAVINGS_KINDS))
        if account is not None:
            account = accounts.filter(pk=account.pk if isinstance(account, Account) else account).first()
            if account is None:
                raise ValidationError({"account_id": "Choose one of your own active savings accounts."})
        else:
            account = max(accounts, key=lambda a: a.available_balance, default=None)
            if account is None:
                raise LedgerError("no_savings_account", "You have no active savings account to pledge from.")
        ledger.pledge_hold(actor=actor, account=account, amount=guarantee.amount,
                           reason=f"guarantee for loan {guarantee.loan.number}")
        guarantee.status, guarantee.account = LoanGuarantee.Status.ACCEPTED, account
        guarantee.decided_at = timezone.now()
        guarantee._history_user = actor
        guarantee.save()
        record(actor, "loan.guarantee_accept", guarantee.loan, request=request, guarantee=guarantee.pk,
               account=account.account_number, amount=str(guarantee.amount))
    return guarantee


def guarantee_decline(*, actor, guarantee: LoanGuarantee, request=None) -> LoanGuarantee:
    """The guarantor declines: nothing is held."""
    with transaction.atomic():
        guarantee = _guarantee_locked(actor, guarantee)
        guarantee.status, guarantee.decided_at = LoanGuarantee.Status.DECLINED, timezone.now()
        guarantee._history_user = actor
        guarantee.save()
        record(actor, "loan.guarantee_decline", guarantee.loan, request=request, guarantee=guarantee.pk)
    return guarantee


def release_guarantees(actor, loan: Loan) -> None:
    for guarantee in loan.guarantees.select_for_update().filter(
            status__in=(LoanGuarantee.Status.REQUESTED, LoanGuarantee.Status.ACCEPTED)):
        if guarantee.status == LoanGuarantee.Status.ACCEPTED and guarantee.account_id:
            ledger.pledge_release(actor=actor, account=guarantee.account_id, amount=guarantee.amount,
                                  reason=f"loan {loan.number} {loan.status}")
        guarantee.status, guarantee.decided_at = LoanGuarantee.Status.RELEASED, timezone.now()
        guarantee._history_user = actor
        guarantee.save()


# --- the four-eyes decision ----------------------------------------------------------------------

def _decision_locked(actor, loan: Loan) -> Loan:
    if not can_decide(actor):
        raise PermissionDenied("Only a manager may decide loan applications.")
    loan = Loan.objects.select_for_update().select_related("member", "product").get(pk=loan.pk)
    if loan.status != Loan.Status.SUBMITTED:
        raise LedgerError("loan_not_submitted", f"Loan {loan.number} is {loan.get_status_display().lower()}, "
                                                "not waiting for a decision.")
    return loan


@ledger.retry_on_conflict
def loan_approve(*, actor, loan: Loan, approved_amount=None, note: str = "", request=None) -> Loan:
    """A manager who neither keyed nor applied for the loan approves it, possibly for a lower amount
    (never higher than requested, never below the product's minimum). Eligibility is run again on the
    amount approved; a failed rule refuses the approval (409 naming the rule)."""
    with transaction.atomic():
        loan = _decision_locked(actor, loan)
        if actor.pk == loan.created_by_id:
            raise PermissionDenied("You keyed this application: another manager must decide it.")
        if loan.member.user_id is not None and actor.pk == loan.member.user_id:
            raise PermissionDenied("You cannot approve your own loan.")
        amount = loan.amount if approved_amount in (None, "") else _amount(approved_amount, "approved_amount")
        if amount > loan.amount:
            raise ValidationError({"approved_amount": f"Approve at most the {format_money(loan.amount)} requested."})
        if amount < loan.product.min_amount:
            raise ValidationError({"approved_amount": f"The product lends at least "
                                                      f"{format_money(loan.product.min_amount)}."})
        # Two managers approving two loans of one member at once must not both pass the active loans limit:
        # the member's row is the lock that orders them.
        list(Member.objects.select_for_update().filter(pk=loan.member_id).values_list("pk", flat=True))
        failed = [rule for rule in eligibility(loan, amount) if not rule.passed]
        if failed:
            raise LedgerError(f"ineligible_{failed[0].rule}",
                              "Not eligible: " + " ".join(f"{r.rule}: {r.message}" for r in failed))
        loan.status, loan.approved_amount = Loan.Status.APPROVED, amount
        loan.decided_by, loan.decided_at, loan.decision_note = actor, timezone.now(), (note or "").strip()
        loan.decided_on = reporting_date()
        loan._history_user = actor
        loan.save()
        record(actor, "loan.approve", loan, request=request, number=loan.number, amount=str(amount),
               requested=str(loan.amount), note=loan.decision_note)
    return loan


@ledger.retry_on_conflict
def loan_reject(*, actor, loan: Loan, reason: str, request=None) -> Loan:
    """A manager rejects the application with a reason; accepted guarantees are released (their holds
    lifted) and open requests closed."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Give the reason for rejecting the application."})
    with transaction.atomic():
        loan = _decision_locked(actor, loan)
        loan.status, loan.decided_by, loan.decided_at = Loan.Status.REJECTED, actor, timezone.now()
        loan.decided_on = reporting_date()
        loan.decision_note = reason
        loan._history_user = actor
        loan.save()
        release_guarantees(actor, loan)
        record(actor, "loan.reject", loan, request=request, number=loan.number, reason=reason)
    return loan


def open_guarantee_requests(user):
    """Guarantee requests waiting for this customer's answer."""
    return (LoanGuarantee.objects.select_related("loan", "loan__member")
            .filter(guarantor__user=user, status=LoanGuarantee.Status.REQUESTED,
                    loan__status=Loan.Status.SUBMITTED) if user.is_authenticated else LoanGuarantee.objects.none())

