"""Every write to accounts and the ledger. The admin, the portal, the API and jobs call these.

Each money-moving service is one database transaction: validate, lock, post (or hold and wait
for a second person), record the idempotency key. Amounts are parsed with
`apps.core.money.parse_amount`, so a float never reaches the ledger.

With `review=True` a money-moving service posts nothing: it checks the request exactly as posting
would (`movement_check`) and returns what would happen (a MovementCheck: fee, balances after,
whether it waits for approval) or raises the refusal posting would raise. Review and confirm pages
call it before they show the confirm button.
"""

import random
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.audit.services import record
from apps.core.business_day import BusinessDayClosed, current_business_date
from apps.core.money import InvalidAmount, format_money, parse_amount, quantize
from apps.core.roles import Role
from apps.members.models import Member
from apps.members.selectors import can_collect_from

from . import cash_desk, chart
from .errors import ApprovalError, LedgerError
from .models import (
    ZERO,
    Account,
    GLAccount,
    LedgerPolicy,
    Product,
    ServiceCharge,
    Transaction,
)
from .posting import (
    Entry,
    Idempotency,
    Line,
    Reference,
    adjust_hold,
    balance_effect,
    entry_post,
    hold_place,
    hold_release,
    holds_for,
    idempotent,
    idempotent_replay,
    lock_accounts,
    movement_context,
    new_reference,
    outgoing_today,
    peek_accounts,
    reference,
    retry_on_conflict,
    transactions_record,
)

T = Transaction.Type
OUTGOING = (T.WITHDRAWAL, T.TRANSFER, T.PAYMENT)
# Money a member's account loses: above the approval threshold it waits for a second person. A fee
# staff charge counts (it is not the member's own outgoing, so not their KYC or daily limits).
HELD_ABOVE_THRESHOLD = (*OUTGOING, T.FEE)
PAYMENT_ROLES = (Role.CASHIER, Role.MANAGER)
FEE_ROLES = (Role.CASHIER, Role.MANAGER, Role.OPERATIONS_MANAGER)
CASH_TYPES = (T.DEPOSIT, T.WITHDRAWAL)
MEMBER_EXIT = "member_exit"
# Staff who deal with members at the counter start a member's exit (a manager then approves it).
SHARES_REDEEM_ROLES = (Role.CASHIER, Role.MANAGER, Role.OPERATIONS_MANAGER)
DEPOSIT_ROLES = (Role.CASHIER, Role.MOBILE_BANKER)


# --- helpers ---------------------------------------------------------------------------------

def gl(code: str) -> GLAccount:
    return GLAccount.objects.get(code=code)


def amount_or_error(raw, field: str = "amount") -> Decimal:
    try:
        return parse_amount(raw)
    except InvalidAmount as exc:
        raise ValidationError({field: str(exc)})


def compute_fee(*, transaction_type: str, product: Product, amount: Decimal,
                rules: Reference | None = None) -> Decimal:
    """The one fee function: the sum of the active service charges for this type, product-specific
    ones and bank-wide ones. A movement passes the reference rows it read in its first statement
    (`rules`); without them they are read now."""
    rules = rules or reference()
    total = ZERO
    for type_, product_id, kind, flat, rate, minimum, maximum in rules.charges:
        if type_ != transaction_type or product_id not in (product.pk, None):
            continue
        fee = flat if kind == ServiceCharge.Kind.FLAT else quantize(amount * rate / 100)
        if minimum is not None:
            fee = max(fee, minimum)
        if maximum is not None:
            fee = min(fee, maximum)
        total += fee
    return total


def plan_lines(txn: Transaction, rules: Reference | None = None) -> list[Line]:
    """The postings a transaction makes, derived only from the transaction row."""
    lines: list[Line] = []
    src, dst, amount, fee = txn.from_account, txn.to_account, txn.amount, txn.fee
    kind = txn.transaction_type
    if kind == T.REVERSAL:
        original = txn.reverses.entry
        return [Line(gl=p.gl_account, account=p.account, debit=p.credit, credit=p.debit)
                for p in original.postings.select_related("gl_account", "account__product")]
    if kind == T.DEPOSIT:
        lines += [Line(gl=txn.counterparty_gl, debit=amount), Line(gl=dst.product.control_account, account=dst,
                                                                    credit=amount)]
    elif kind == T.TRANSFER:
        lines += [Line(gl=src.product.control_account, account=src, debit=amount),
                  Line(gl=dst.product.control_account, account=dst, credit=amount)]
    elif kind in (T.WITHDRAWAL, T.PAYMENT, T.FEE):
        lines += [Line(gl=src.product.control_account, account=src, debit=amount),
                  Line(gl=txn.counterparty_gl, credit=amount)]
    if fee:
        payer = src or dst
        income = (rules or reference()).gl_code(chart.FEE_INCOME)
        lines += [Line(gl=payer.product.control_account, account=payer, debit=fee), Line(gl=income, credit=fee)]
    return lines


def _check_accounts(lines: list[Line], accounts: dict[int, Account], *, release: dict[int, Decimal] | None = None):
    """Every account touched must be active, and none may go below what it must keep."""
    release = release or {}
    for pk, delta in balance_effect(lines).items():
        account = accounts[pk]
        _check_status(account)
        if delta < 0:
            other_holds = account.held_balance - release.get(pk, ZERO)
            available = account.balance - other_holds - account.product.minimum_balance
            if available + delta < 0:
                raise LedgerError("insufficient_funds",
                                  f"Insufficient funds in {account.account_number}: available "
                                  f"{max(available, ZERO):,.2f}, needed {-delta:,.2f}.")


def _check_status(account: Account, *, actor=None) -> None:
    """An account that is not active takes part in no movement. Staff hear why (frozen, closed,
    dormant, and the reason given); someone who does not own the account hears only that it cannot
    receive transfers: its status and the reason for a freeze are its owner's business."""
    messages = {
        Account.Status.FROZEN: ("account_frozen", "is frozen"),
        Account.Status.CLOSED: ("account_closed", "is closed"),
        Account.Status.DORMANT: ("account_dormant", "is dormant: a manager must reactivate it first"),
    }
    if account.status in messages:
        if actor is not None and not _may_know(actor, account):
            raise LedgerError("cannot_receive", f"Account {account.account_number} cannot receive transfers.")
        code, text = messages[account.status]
        reason = f" ({account.status_reason})" if account.status_reason else ""
        raise LedgerError(code, f"Account {account.account_number} {text}{reason}.")


def _may_know(actor, account: Account) -> bool:
    """Whether `actor` may be told an account's status, product rules and balances: staff may (the
    back office sees every account it may touch), a member only for their own accounts."""
    if getattr(actor, "is_staff", False):
        return True
    return account.member.user_id is not None and account.member.user_id == actor.pk


def _check_limits(*, actor, txn: Transaction, business_date, user_limit: Decimal) -> None:
    """Run under the user's and the account's row locks: the sums then include every movement that
    could have been counted before this one."""
    if txn.transaction_type not in OUTGOING:
        return
    account = txn.from_account
    limit = account.product.daily_withdrawal_limit
    # One statement sums both: what this user moved out today and what left this account today.
    by_user, by_account = outgoing_today(business_date=business_date, user_id=actor.pk,
                                         account_id=account.pk if limit is not None else None, types=OUTGOING,
                                         statuses=(Transaction.Status.PENDING, Transaction.Status.COMPLETED))
    if limit is not None and by_account + txn.amount > limit:
        raise LedgerError("limit_exceeded",
                          f"This would take {account.account_number} past its daily limit of {limit:,.2f} "
                          f"({by_account:,.2f} already today).")
    if by_user + txn.amount > user_limit:
        raise LedgerError("limit_exceeded",
                          f"This would take you past your daily limit of {user_limit:,.2f} "
                          f"({by_user:,.2f} already today).")


def _check_source(*, txn: Transaction) -> None:
    """Money leaves a member's account only when their KYC is verified and the product allows it."""
    if txn.transaction_type not in OUTGOING:
        return
    account = txn.from_account
    if account.member.kyc_status != Member.Kyc.VERIFIED:
        raise LedgerError("kyc_not_verified",
                          f"{account.member.full_name}'s KYC is {account.member.get_kyc_status_display().lower()}: "
                          "money can be paid in, but not taken out, until it is verified.")
    if not account.product.allows_withdrawal and txn.purpose != MEMBER_EXIT:
        raise LedgerError("withdrawal_not_allowed",
                          f"{account.product.name} can only be withdrawn when the member exits, with a manager's "
                          "approval.")


def _check_product_rules(*, actor, txn: Transaction, business_date) -> None:
    """Shares are bought in whole shares; Susu money leaves mid-cycle only as the product allows."""
    target = txn.to_account
    if target is not None and target.product.share_price and txn.transaction_type in (T.DEPOSIT, T.TRANSFER):
        if txn.amount % target.product.share_price and not _may_know(actor, target):
            raise LedgerError("cannot_receive", f"Account {target.account_number} cannot receive this amount.")
        if txn.amount % target.product.share_price:
            raise ValidationError({"amount": f"Shares are bought in whole shares of "
                                             f"{format_money(target.product.share_price)}; {txn.amount:,.2f} is not a "
                                             "whole number of shares."})
    source = txn.from_account
    if source is None or source.product.kind != Product.Kind.DAILY_SUSU or txn.transaction_type not in OUTGOING:
        return
    from .lifecycle import cycle_bounds, take_early_commission

    _, cycle_end = cycle_bounds(source, business_date)
    if business_date >= cycle_end or not source.contribution_amount:
        return
    if source.product.early_withdrawal == "refuse":
        raise LedgerError("susu_cycle_locked", f"Daily Susu savings can be withdrawn when the cycle ends on "
                                               f"{cycle_end:%d %b %Y}.")
    take_early_commission(account=source, business_date=business_date, actor=actor)
    source.refresh_from_db(fields=["balance", "held_balance"])


def _needs_approval(txn: Transaction, threshold: Decimal | None = None) -> bool:
    if txn.transaction_type == T.REVERSAL or txn.purpose == MEMBER_EXIT:
        return True
    if threshold is None:
        threshold = LedgerPolicy.current().approval_threshold
    return txn.transaction_type in HELD_ABOVE_THRESHOLD and txn.amount > threshold


# --- submitting a movement -------------------------------------------------------------------

@retry_on_conflict
def _submit(*, actor, txn: Transaction, idempotency: Idempotency, audit: tuple | None = None) -> Transaction:
    """Post (or hold for approval) one movement, once per idempotency key (`posting.idempotent`).
    `audit` (action, target, details) is recorded in the same database transaction. A refusal by a
    business rule is kept on record (`_record_refusal`)."""
    try:
        return idempotent(actor=actor, idempotency=idempotency,
                          run=lambda: _submit_locked(actor=actor, txn=txn, audit=audit))
    except LedgerError as exc:
        if exc.code != "idempotency_conflict":
            _record_refusal(actor=actor, txn=txn, error=exc)
        raise


def _record_refusal(*, actor, txn: Transaction, error: LedgerError) -> None:
    """Keep a movement a business rule refused (insufficient funds, a limit, a frozen account...) as a
    FAILED transaction: no postings, no hold, no balance change, no idempotency record (a retry is
    tried afresh), but on record for staff and fraud checks, with the reason. Bad input and missing
    rights are not recorded: nothing was attempted. Inside a caller's transaction the record goes
    with it when the refusal rolls that back."""
    if txn.business_date is None:  # refused before a business date was known (the day is closed)
        return
    failed = Transaction(
        transaction_type=txn.transaction_type, status=Transaction.Status.FAILED, amount=txn.amount,
        fee=txn.fee or ZERO, from_account_id=txn.from_account_id, to_account_id=txn.to_account_id,
        counterparty_gl_id=txn.counterparty_gl_id, description=txn.description, channel=txn.channel,
        purpose=txn.purpose, business_date=txn.business_date, initiated_by=actor,
        reference=new_reference("TX", txn.business_date), decision_note=f"{error.code}: {error.message}"[:255])
    with transaction.atomic():
        transactions_record([failed], actor=actor)


@dataclass
class MovementCheck:
    """What a movement will do if it is posted now: its fee, its postings, whether it waits for a
    second person, and each member account's balance after it."""

    txn: Transaction
    lines: list[Line]
    needs_approval: bool
    approval_threshold: Decimal

    @property
    def fee(self) -> Decimal:
        return self.txn.fee or ZERO

    def balance_after(self, account: Account) -> Decimal:
        return account.balance + balance_effect(self.lines).get(account.pk, ZERO)


def movement_check(*, actor, txn: Transaction, accounts: dict[int, Account], business_date,
                   reference: Reference, user_limit: Decimal | None) -> MovementCheck:
    """Every business rule a movement must pass, the one place they are written. The posting runs it
    under its row locks; review and confirm pages run it through `_review` (the same statements in
    a transaction that is rolled back), so a confirm page never promises what posting refuses.

    The order is the order a person should hear about a problem: an account that cannot take part
    (frozen, closed, dormant: a member hears only what is theirs to know about someone else's),
    the source member's KYC and the product's rules, then funds (available balance less holds and
    the product's minimum balance, fee included), then the daily limits, then the cash drawer.
    Raises LedgerError (or ValidationError for a shares amount that is not whole shares)."""
    outgoing = txn.transaction_type in OUTGOING
    if txn.transaction_type != T.FEE:
        payer = txn.from_account or txn.to_account
        txn.fee = compute_fee(transaction_type=txn.transaction_type, product=payer.product, amount=txn.amount,
                              rules=reference)
    if txn.from_account is not None:
        _check_status(txn.from_account)
    if txn.to_account is not None:
        _check_status(txn.to_account, actor=actor)
    _check_source(txn=txn)
    _check_product_rules(actor=actor, txn=txn, business_date=business_date)
    _check_accounts(plan_lines(txn, reference), accounts)  # funds: the cash side is not needed for them
    if outgoing:
        _check_limits(actor=actor, txn=txn, business_date=business_date, user_limit=user_limit)
    if txn.transaction_type in CASH_TYPES:
        txn.counterparty_gl = cash_desk.cash_account_for(actor=actor, txn=txn)
    lines = plan_lines(txn, reference)
    return MovementCheck(txn=txn, lines=lines, needs_approval=_needs_approval(txn, reference.approval_threshold),
                         approval_threshold=reference.approval_threshold)


def _prepare(*, actor, txn: Transaction) -> MovementCheck:
    """Lock what the movement touches and run movement_check. Inside the caller's transaction."""
    outgoing = txn.transaction_type in OUTGOING
    # Statement 1: the business date and the reference stamp; for money going out, this user's row is
    # locked too (it serialises their daily-limit checks) and their current limit read with it.
    context = movement_context(lock_user_id=actor.pk if outgoing else None)
    business_date, ref = context.business_date, context.reference
    if business_date is None:
        try:
            business_date = current_business_date()  # says why (or opens the first day of a new install)
        except BusinessDayClosed as exc:
            raise LedgerError("business_day_closed", str(exc))
    # Statement 2: the accounts, locked in pk order; the member only when a check reads it.
    accounts = lock_accounts([txn.from_account_id, txn.to_account_id], reference=ref,
                             with_member=outgoing or not actor.is_staff)
    for field, pk in (("from_account", txn.from_account_id), ("to_account", txn.to_account_id)):
        if pk is not None and pk not in accounts:
            raise ValidationError({f"{field}_id": "No such account."})
    txn.from_account = accounts.get(txn.from_account_id)
    txn.to_account = accounts.get(txn.to_account_id)
    txn.business_date, txn.initiated_by = business_date, actor
    txn.reference = new_reference("TX", business_date)
    return movement_check(actor=actor, txn=txn, accounts=accounts, business_date=business_date, reference=ref,
                          user_limit=context.user_limit)


class _Reviewed(Exception):
    def __init__(self, check: MovementCheck):
        self.check = check


def _review(*, actor, txn: Transaction) -> MovementCheck:
    """What posting `txn` now would do, or the refusal posting would raise; nothing is written. The
    same locks and checks as posting, in a transaction that is always rolled back (a Susu withdrawal's
    early commission, say, is worked out and undone), so the answer is the posting's own."""
    try:
        with transaction.atomic():
            raise _Reviewed(_prepare(actor=actor, txn=txn))
    except _Reviewed as done:
        return done.check


def _submit_locked(*, actor, txn, audit: tuple | None) -> Transaction:
    check = _prepare(actor=actor, txn=txn)
    if check.needs_approval:
        txn.status = Transaction.Status.PENDING
        hold_place(transaction=txn, lines=check.lines, actor=actor)
        _tell_approvers(txn, actor)
    else:
        txn.status, txn.completed_at = Transaction.Status.COMPLETED, timezone.now()
        entry_post(entries=[Entry(lines=check.lines, description=txn.description or txn.get_transaction_type_display(),
                                  transaction=txn)], actor=actor, business_date=txn.business_date)
    if audit is not None:
        action, target, details = audit
        record(actor, action, target(txn) if callable(target) else target,
               **{key: value(txn) if callable(value) else value for key, value in details.items()})
    return txn


def _tell_approvers(txn: Transaction, actor) -> None:
    """A movement now waits for a second person: tell the managers (bell; e-mail and SMS by choice)."""
    from django.urls import reverse

    from apps.messaging.services import notify

    notify(Role.MANAGER, "ledger.approvals_waiting",
           f"{txn.get_transaction_type_display()} of {format_money(txn.amount)} waits for approval",
           f"{txn.reference}, started by {actor.get_full_name() or actor.email}"
           + (f": {txn.description}" if txn.description else "."),
           link=reverse("admin:ledger_approvals"), key=f"transaction-{txn.pk}")


def _account(account_or_id, field: str, *, member: bool = False, reuse: bool = False) -> Account:
    """The account named by the caller. Balances and the product's rules are read again under the row
    lock, so only the account's number, member, product and status are read here (peek_accounts), and
    the member only for checks that look at it. With `reuse`, an account the caller already read from
    the database is used as it is (only its pk matters before the lock), which saves a query."""
    if reuse and isinstance(account_or_id, Account) and not account_or_id._state.adding and (
            not member or Account.member.is_cached(account_or_id)):
        return account_or_id
    found = peek_accounts(pks=[_pk(account_or_id, field)], with_member=member)
    if not found:
        raise ValidationError({field: "No such account."})
    return found[0]


def _pk(account_or_id, field: str) -> int:
    try:
        return int(account_or_id.pk if isinstance(account_or_id, Account) else account_or_id)
    except (TypeError, ValueError):
        raise ValidationError({field: "No such account."})


def deposit_create(*, actor, account, amount, description: str = "", channel: str = "admin",
                   idempotency_key: str | None = None, review: bool = False,
                   audit: tuple | None = None) -> Transaction | MovementCheck:
    """Cash paid in at a teller (cashier) or to a field banker (mobile banker, assigned members only).
    `audit` (action, target, details): an audit row the caller wants written with the deposit."""
    amount = amount_or_error(amount)
    account = _account(account, "account_id", member=actor.role == Role.MOBILE_BANKER, reuse=True)
    if actor.role not in DEPOSIT_ROLES:
        raise PermissionDenied("Only cashiers and mobile bankers take cash deposits.")
    if actor.role == Role.MOBILE_BANKER and not can_collect_from(actor, account.member):
        raise PermissionDenied("This member is not assigned to you.")
    txn = Transaction(transaction_type=T.DEPOSIT, amount=amount, to_account=account,
                      description=description or "Cash deposit", channel=channel)
    if review:
        return _review(actor=actor, txn=txn)
    return _submit(actor=actor, txn=txn, audit=audit,
                   idempotency=Idempotency.of(idempotency_key, "deposit",
                                              account=account.pk, amount=str(amount), description=description))


def withdrawal_create(*, actor, account, amount, description: str = "", channel: str = "admin",
                      idempotency_key: str | None = None,
                      review: bool = False) -> Transaction | MovementCheck:
    amount = amount_or_error(amount)
    account = _account(account, "account_id", reuse=True)
    if actor.role != Role.CASHIER:
        raise PermissionDenied("Only cashiers pay out cash withdrawals.")
    txn = Transaction(transaction_type=T.WITHDRAWAL, amount=amount, from_account=account,
                      description=description or "Cash withdrawal", channel=channel)
    if review:
        return _review(actor=actor, txn=txn)
    return _submit(actor=actor, txn=txn,
                   idempotency=Idempotency.of(idempotency_key, "withdrawal",
                                              account=account.pk, amount=str(amount), description=description))


def transfer_create(*, actor, from_account, to_account_number: str, amount, description: str = "",
                    channel: str = "admin", idempotency_key: str | None = None,
                    review: bool = False) -> Transaction | MovementCheck:
    """A customer moves money from their own account; staff (cashier, manager) for any member."""
    amount = amount_or_error(amount)
    number = (to_account_number or "").strip()
    member = actor.role == Role.CUSTOMER
    # Only pks, numbers and (for a customer) the source's owner are needed here: both accounts are read
    # again, with their products, under the lock. One statement finds the target and, unless the
    # caller already holds it, the source.
    if isinstance(from_account, Account) and not from_account._state.adding and (
            not member or Account.member.is_cached(from_account)):
        source, found = from_account, peek_accounts(numbers=[number])
    else:
        source_pk = _pk(from_account, "from_account_id")
        found = peek_accounts(pks=[source_pk], numbers=[number], with_member=member)
        source = next((a for a in found if a.pk == source_pk), None)
        if source is None:
            raise ValidationError({"from_account_id": "No such account."})
    target = next((a for a in found if a.account_number == number), None)
    if target is None:
        raise ValidationError({"to_account_number": "No account has that number."})
    if target.pk == source.pk:
        raise ValidationError({"to_account_number": "Choose a different account to transfer to."})
    if actor.role == Role.CUSTOMER:
        if source.member.user_id != actor.pk:
            raise PermissionDenied("You can only transfer from your own accounts.")
    elif actor.role not in (Role.CASHIER, Role.MANAGER):
        raise PermissionDenied("Your role may not make transfers.")
    txn = Transaction(transaction_type=T.TRANSFER, amount=amount, from_account=source, to_account=target,
                      description=description or f"Transfer to {target.account_number}", channel=channel)
    if review:
        return _review(actor=actor, txn=txn)
    return _submit(actor=actor, txn=txn,
                   idempotency=Idempotency.of(idempotency_key, "transfer", **{
                       "from": source.pk, "to": target.pk, "amount": str(amount), "description": description}))


def payment_create(*, actor, account, amount, description: str, channel: str = "admin",
                   idempotency_key: str | None = None,
                   review: bool = False) -> Transaction | MovementCheck:
    """Money paid from a member account to an outside payee, through the payments clearing account."""
    if not (description or "").strip():
        raise ValidationError({"description": "Say who the payment is to."})
    amount = amount_or_error(amount)
    account = _account(account, "account_id")
    if actor.role not in PAYMENT_ROLES:
        raise PermissionDenied("Only cashiers and managers record payments.")
    txn = Transaction(transaction_type=T.PAYMENT, amount=amount, from_account=account,
                      counterparty_gl=gl(chart.PAYMENTS_CLEARING), description=description.strip(), channel=channel)
    if review:
        return _review(actor=actor, txn=txn)
    return _submit(actor=actor, txn=txn,
                   idempotency=Idempotency.of(idempotency_key, "payment",
                                              account=account.pk, amount=str(amount), description=description))


def fee_charge(*, actor, account, amount, description: str, channel: str = "admin",
               idempotency_key: str | None = None,
               review: bool = False) -> Transaction | MovementCheck:
    """A one-off service charge taken from a member account into fee income."""
    if not (description or "").strip():
        raise ValidationError({"description": "Say what the fee is for; the member sees it on their statement."})
    amount = amount_or_error(amount)
    account = _account(account, "account_id")
    if actor.role not in FEE_ROLES:
        raise PermissionDenied("Only cashiers, managers and operations managers charge fees.")
    txn = Transaction(transaction_type=T.FEE, amount=amount, from_account=account,
                      counterparty_gl=gl(chart.FEE_INCOME), description=description.strip(), channel=channel)
    if review:
        return _review(actor=actor, txn=txn)
    return _submit(actor=actor, txn=txn,
                   idempotency=Idempotency.of(idempotency_key, "fee",
                                              account=account.pk, amount=str(amount), description=description))


def reversal_request(*, actor, original: Transaction, reason: str, request=None) -> Transaction:
    """Ask to reverse a completed transaction. It waits for a different person's approval."""
    if not (reason or "").strip():
        raise ValidationError({"reason": "Give the reason for the reversal."})
    if not actor.is_staff:
        raise PermissionDenied("Only staff may request reversals.")
    original = Transaction.objects.select_related("from_account", "to_account").get(pk=original.pk)
    if original.status != Transaction.Status.COMPLETED:
        raise LedgerError("not_reversible", "Only completed transactions can be reversed.")
    if original.transaction_type == T.REVERSAL:
        raise LedgerError("not_reversible", "A reversal cannot itself be reversed; post a new transaction.")
    if Transaction.objects.filter(reverses=original).exists():
        raise LedgerError("already_reversed", f"{original.reference} already has a reversal.")
    txn = Transaction(transaction_type=T.REVERSAL, amount=original.amount, fee=original.fee,
                      from_account=original.to_account, to_account=original.from_account, reverses=original,
                      description=f"Reversal of {original.reference}: {reason.strip()}"[:255], channel="admin",
                      reason=reason.strip()[:255])
    audit = ("transaction.reversal_requested", original,
             {"request": request, "reversal": lambda result: result.reference, "reason": reason.strip()})
    try:
        return _submit(actor=actor, txn=txn, idempotency=Idempotency.of(None, "reversal", original=original.pk),
                       audit=audit)
    except IntegrityError:
        raise LedgerError("already_reversed", f"{original.reference} already has a reversal.")


# --- four eyes ---------------------------------------------------------------------------------

def _decide_checks(actor, txn: Transaction) -> None:
    if not actor.has_perm("ledger.approve_transaction"):
        raise ApprovalError("forbidden", "Only managers approve transactions.")
    if txn.status != Transaction.Status.PENDING:
        raise LedgerError("not_pending", f"{txn.reference} is {txn.get_status_display().lower()}, not pending.")
    if txn.initiated_by_id == actor.pk:
        raise ApprovalError("self_approval", "A second person must decide: you started this transaction.")


@retry_on_conflict
def transaction_approve(*, actor, txn: Transaction, request=None) -> Transaction:
    with transaction.atomic():
        txn = Transaction.objects.select_for_update().get(pk=txn.pk)
        _decide_checks(actor, txn)
        try:
            business_date = current_business_date()
        except BusinessDayClosed as exc:
            raise LedgerError("business_day_closed", str(exc))
        rules = reference()
        accounts = lock_accounts([txn.from_account_id, txn.to_account_id], reference=rules)
        txn.from_account, txn.to_account = accounts.get(txn.from_account_id), accounts.get(txn.to_account_id)
        if txn.transaction_type in CASH_TYPES:
            cash_desk.cash_approval_check(txn=txn)
        lines = plan_lines(txn, rules)
        _check_accounts(lines, accounts, release=holds_for(lines))
        hold_release(lines=lines)
        txn.status, txn.approved_by = Transaction.Status.COMPLETED, actor
        txn.decided_at = txn.completed_at = timezone.now()
        txn.save(update_fields=["status", "approved_by", "decided_at", "completed_at", "updated_at"])
        entry_post(entries=[Entry(lines=lines, description=txn.description, transaction=txn,
                                  reverses=txn.reverses.entry if txn.reverses_id else None)],
                   actor=actor, business_date=business_date)
        record(actor, "transaction.approve", txn, request=request)
        return txn


@retry_on_conflict
def transaction_reject(*, actor, txn: Transaction, reason: str, request=None) -> Transaction:
    if not (reason or "").strip():
        raise ValidationError({"reason": "Give the reason for rejecting it."})
    with transaction.atomic():
        txn = Transaction.objects.select_for_update().get(pk=txn.pk)
        _decide_checks(actor, txn)
        rules = reference()
        accounts = lock_accounts([txn.from_account_id, txn.to_account_id], reference=rules)
        txn.from_account, txn.to_account = accounts.get(txn.from_account_id), accounts.get(txn.to_account_id)
        hold_release(lines=plan_lines(txn, rules))
        txn.status, txn.approved_by, txn.decided_at = Transaction.Status.CANCELLED, actor, timezone.now()
        txn.decision_note = reason.strip()[:255]
        txn.save(update_fields=["status", "approved_by", "decided_at", "decision_note", "updated_at"])
        record(actor, "transaction.reject", txn, request=request, reason=reason.strip())
        return txn


# --- accounts ----------------------------------------------------------------------------------

ACCOUNT_NUMBER_PREFIX = "10"


def luhn_check_digit(digits: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return str((10 - total % 10) % 10)


def is_valid_account_number(number: str) -> bool:
    return number.isdigit() and len(number) == 10 and luhn_check_digit(number[:-1]) == number[-1]


def _new_account_number() -> str:
    while True:
        body = ACCOUNT_NUMBER_PREFIX + f"{random.randrange(10**7):07d}"
        number = body + luhn_check_digit(body)
        if not Account.objects.filter(account_number=number).exists():
            return number


@transaction.atomic
def account_open(*, actor, member: Member, product: Product, request=None) -> Account:
    if not product.is_active:
        raise ValidationError({"account_type": f"{product.name} is not offered at the moment."})
    if member.status != Member.Status.ACTIVE:
        raise ValidationError({"member_id": "This member has exited the credit union."})
    if actor.role == Role.MOBILE_BANKER and not can_collect_from(actor, member):
        raise PermissionDenied("This member is not assigned to you.")
    if Account.objects.filter(member=member, product=product).exclude(status=Account.Status.CLOSED).exists():
        raise LedgerError("account_exists", f"{member.full_name} already has a {product.name} account.")
    account = Account.objects.create(account_number=_new_account_number(), member=member, product=product,
                                     opened_by=actor, opened_on=_opening_date())
    record(actor, "account.open", account, request=request)
    return account


def _opening_date():
    """The business date an account opens on: the open day, or today while the day is closed (an
    account may be opened after close; it takes part in no movement until a day opens)."""
    try:
        return current_business_date()
    except BusinessDayClosed:
        return timezone.localdate()


@transaction.atomic
def account_set_status(*, actor, account: Account, status: str, reason: str, request=None) -> Account:
    """Freeze, unfreeze, reactivate a dormant account, or close one (only at zero balance)."""
    if not actor.has_perm("ledger.freeze_account"):
        raise PermissionDenied("Only managers and operations managers change an account's status.")
    if not (reason or "").strip():
        raise ValidationError({"reason": "Give the reason; it is shown to staff and kept in the history."})
    account = Account.objects.select_for_update().get(pk=account.pk)
    if account.status == Account.Status.CLOSED:
        raise LedgerError("account_closed", "A closed account cannot be changed.")
    if status == Account.Status.CLOSED and (account.balance != ZERO or account.held_balance != ZERO):
        raise LedgerError("balance_not_zero", "Pay out or transfer the balance before closing the account.")
    old = account.status
    account.status = status
    account.status_reason = "" if status == Account.Status.ACTIVE else reason.strip()[:255]
    account.closed_at = timezone.now() if status == Account.Status.CLOSED else None
    account.save(update_fields=["status", "status_reason", "closed_at", "updated_at"])
    record(actor, "account.status", account, request=request, old=old, new=status, reason=reason.strip())
    return account


# --- cheques: credited at once, held until cleared ------------------------------------------------

def cheque_credit(*, actor, account, amount, description: str) -> Transaction:
    """Credit a cheque to the member's account and hold it: in the balance, not available. Call it
    inside the caller's transaction (the cash app's cheque deposit, which makes it idempotent)."""
    amount = amount_or_error(amount)
    account = _account(account, "account_id")
    business_date = _open_business_date()
    rules = reference()
    account = lock_accounts([account.pk], reference=rules)[account.pk]
    txn = Transaction(transaction_type=T.DEPOSIT, amount=amount, to_account=account, channel="admin",
                      counterparty_gl=rules.gl_code(chart.CHEQUES_CLEARING), description=description[:255],
                      business_date=business_date, initiated_by=actor, reference=new_reference("TX", business_date))
    lines = plan_lines(txn, rules)
    _check_accounts(lines, {account.pk: account})
    txn.status, txn.completed_at = Transaction.Status.COMPLETED, timezone.now()
    entry_post(entries=[Entry(lines=lines, description=txn.description, transaction=txn)], actor=actor,
               business_date=business_date)
    adjust_hold(account.pk, amount)
    return txn


def cheque_settle(*, actor, txn: Transaction) -> None:
    """The cheque cleared: release the hold and move the money from clearing to the settlement bank.
    Call inside the caller's transaction (the cheque row is locked there)."""
    rules = reference()
    lock_accounts([txn.to_account_id], reference=rules)
    adjust_hold(txn.to_account_id, -txn.amount)
    gl_entry_post(actor=actor, description=f"Cheque cleared: {txn.reference}",
                  lines=[Line(gl=rules.gl_code(chart.DUE_FROM_BANKS), debit=txn.amount),
                         Line(gl=rules.gl_code(chart.CHEQUES_CLEARING), credit=txn.amount)])


def cheque_return(*, actor, txn: Transaction, reason: str) -> Transaction:
    """The cheque bounced: remove the hold and take the credit back (a completed reversal).
    Call inside the caller's transaction (the cheque row is locked there)."""
    business_date = _open_business_date()
    accounts = lock_accounts([txn.to_account_id])
    adjust_hold(txn.to_account_id, -txn.amount)
    accounts[txn.to_account_id].refresh_from_db(fields=["balance", "held_balance"])
    reversal = Transaction(transaction_type=T.REVERSAL, amount=txn.amount, from_account=txn.to_account,
                           reverses=txn, description=f"Cheque returned unpaid: {reason}"[:255], channel="admin",
                           reason=reason[:255], business_date=business_date, initiated_by=actor, approved_by=actor,
                           reference=new_reference("TX", business_date))
    lines = plan_lines(reversal)
    _check_accounts(lines, accounts)
    reversal.status, reversal.completed_at = Transaction.Status.COMPLETED, timezone.now()
    entry_post(entries=[Entry(lines=lines, description=reversal.description, transaction=reversal,
                              reverses=txn.entry)], actor=actor, business_date=business_date)
    return reversal


def gl_entry_post(*, actor, lines: list[Line], description: str):
    """A movement between GL accounts only (vault, drawers, field cash, variance, clearing) on the open
    business date. Call it inside the caller's transaction, after locking the cash rows it concerns."""
    return entry_post(entries=[Entry(lines=lines, description=description)], actor=actor,
                      business_date=_open_business_date())[0]


def _open_business_date():
    try:
        return current_business_date()
    except BusinessDayClosed as exc:
        raise LedgerError("business_day_closed", str(exc))


def shares_redeem(*, actor, shares_account, to_account_number: str, reason: str, request=None,
                  idempotency_key: str | None = None, review: bool = False) -> Transaction | MovementCheck:
    """A member leaving the credit union takes their shares out: a transfer that always waits for
    a manager's approval (four eyes), the only way money leaves a Shares account. One exit waits at
    a time per account; a retry with the same idempotency key answers with the first request."""
    if not (reason or "").strip():
        raise ValidationError({"reason": "Record why the member is exiting."})
    if not actor.is_staff or getattr(actor, "role", None) not in SHARES_REDEEM_ROLES:
        raise PermissionDenied("Only a cashier, a manager or an operations manager starts a member's exit.")
    source = _account(shares_account, "account_id")
    target = Account.objects.filter(account_number=(to_account_number or "").replace(" ", "").strip()).first()
    if target is None or target.member_id != source.member_id or target.pk == source.pk:
        raise ValidationError({"to_account_number": "Pay shares out to another account of the same member."})
    idempotency = Idempotency.of(idempotency_key, "shares_redeem", **{"from": source.pk, "to": target.pk})
    if not review:  # a double submit or a reload: the request already made
        replayed = idempotent_replay(actor=actor, idempotency=idempotency)
        if replayed is not None:
            return replayed
    waiting = Transaction.objects.filter(from_account=source, purpose=MEMBER_EXIT,
                                         status=Transaction.Status.PENDING).only("reference").first()
    if waiting is not None:
        raise LedgerError("exit_pending", f"A pay-out of these shares ({waiting.reference}) is already waiting for "
                                          "a manager's approval. Ask a manager to approve or reject it first.")
    if source.balance <= 0:
        raise LedgerError("nothing_to_redeem", "This shares account holds nothing to redeem.")
    txn = Transaction(transaction_type=T.TRANSFER, amount=source.balance, from_account=source, to_account=target,
                      purpose=MEMBER_EXIT, description=f"Share redemption on exit: {reason.strip()}"[:255],
                      reason=reason.strip()[:255])
    if review:
        return _review(actor=actor, txn=txn)
    return _submit(actor=actor, txn=txn, idempotency=idempotency,
                   audit=("shares.redeem_requested", source,
                          {"request": request, "transaction": lambda result: result.reference}))


# --- pledges: money held on an account for another party (a loan guarantee) -----------------------

def pledge_hold(*, actor, account, amount, reason: str) -> Account:
    """Hold `amount` on a member's account (a guarantor's pledge): it stays in the balance but is no
    longer available. Refused (LedgerError) if the account is not active or its available balance
    (balance less holds less the product's minimum) is short. Call inside the caller's transaction;
    the caller audits (the pledge is its decision, e.g. a guarantee accepted)."""
    amount = amount_or_error(amount)
    pk = _pk(account, "account_id")
    account = lock_accounts([pk])[pk]
    _check_status(account)
    available = account.balance - account.held_balance - account.product.minimum_balance
    if available < amount:
        raise LedgerError("insufficient_funds",
                          f"Insufficient funds in {account.account_number} to hold {format_money(amount)} "
                          f"({reason}): available {format_money(max(available, ZERO))}.")
    adjust_hold(pk, amount)
    account.refresh_from_db(fields=["balance", "held_balance"])
    return account


def pledge_release(*, actor, account, amount, reason: str) -> Account:
    """Release a pledge placed by `pledge_hold` (never below zero held). Call inside the caller's
    transaction."""
    amount = amount_or_error(amount)
    pk = _pk(account, "account_id")
    account = lock_accounts([pk])[pk]
    adjust_hold(pk, -min(amount, account.held_balance))
    account.refresh_from_db(fields=["balance", "held_balance"])
    return account
