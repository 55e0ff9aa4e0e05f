"""Cash operations. Every cedi that moves between the vault, a drawer, a field banker and a
member's account is a posted, balanced journal entry; these services decide when."""

from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from apps.audit.services import record
from apps.core.business_day import BusinessDayClosed, current_business_date
from apps.core.institution import institution
from apps.core.money import InvalidAmount, format_money, parse_amount
from apps.core.roles import Role
from apps.ledger import chart
from apps.ledger import services as ledger
from apps.ledger.contributions import contribution_set
from apps.ledger.errors import LedgerError
from apps.ledger.lifecycle import cycle_bounds
from apps.ledger.models import ZERO, Account, GLAccount, Posting, Product, Transaction
from apps.ledger.posting import Idempotency, Line, idempotency_key_used, idempotency_result, idempotent
from apps.members import services as member_services
from apps.members.models import Member, MemberDocument
from apps.members.selectors import can_collect_from, members_visible_to
from apps.messaging.services import notify

from .models import (
    CashDrawer,
    CashMovement,
    CashPolicy,
    ChequeDeposit,
    CollectionRun,
    Denomination,
    DrawerCount,
    FloatIssue,
)

# --- positions and counts ---------------------------------------------------------------------


def gl_balance(gl: GLAccount) -> Decimal:
    totals = Posting.objects.filter(gl_account=gl).aggregate(d=Sum("debit"), c=Sum("credit"))
    return (totals["d"] or ZERO) - (totals["c"] or ZERO)


def sub_account(parent_code: str, user, label: str) -> GLAccount:
    """The user's own cash sub-ledger (their drawer, or the cash they carry in the field)."""
    parent = GLAccount.objects.get(code=parent_code)
    account, _ = GLAccount.objects.get_or_create(
        code=f"{parent_code}-{user.pk:05d}",
        defaults={"name": f"{label} — {user.get_full_name() or user.email}", "type": parent.type, "parent": parent})
    return account


def vault_account() -> GLAccount:
    return GLAccount.objects.get(code=chart.CASH_VAULT)


def parse_counts(raw) -> tuple[dict[str, int], Decimal]:
    """Validate a denomination count: known denominations, whole non-negative numbers of each."""
    if not isinstance(raw, dict) or not raw:
        raise ValidationError({"denominations": 'Count each denomination, e.g. {"200.00": 5, "0.50": 10}.'})
    known = {f"{d.value:.2f}": d.value for d in Denomination.objects.filter(is_active=True)}
    counts, total = {}, ZERO
    for key, number in raw.items():
        try:
            value = f"{Decimal(str(key)):.2f}"
        except (InvalidOperation, ValueError):
            value = None
        if value not in known:
            raise ValidationError({"denominations": f"{key} is not a cedi denomination we count."})
        if isinstance(number, bool) or not isinstance(number, int) and not (isinstance(number, str)
                                                                            and number.isdigit()):
            raise ValidationError({"denominations": f"The count of {value} notes or coins must be a whole number."})
        number = int(number)
        if number < 0:
            raise ValidationError({"denominations": f"The count of {value} cannot be negative."})
        counts[value] = counts.get(value, 0) + number
        total += known[value] * number
    return counts, total


def _today():
    try:
        return current_business_date()
    except BusinessDayClosed as exc:
        raise LedgerError("business_day_closed", str(exc))


def _require_perm(user, perm: str, message: str) -> None:
    if not user.has_perm(perm):
        raise PermissionDenied(message)


def _lock_users(*users) -> None:
    """Take the user rows of the people a cash operation acts for, in primary-key order, before any
    drawer, run or account, as the ledger takes the initiating user's row first.

    FOR NO KEY UPDATE, not FOR UPDATE: it still waits for (and holds off) a ledger movement that
    locks the same person's row FOR UPDATE and then their drawer or run, so the two never hold one
    lock each while waiting for the other. But it does not conflict with the share lock a foreign
    key check takes on PostgreSQL (every row naming the person as created_by, counted_by or the audit
    actor takes one, at commit where the constraint is deferred), so a movement that does not lock
    the user row at all (a deposit, say) can commit while this waits for its drawer or run."""
    ids = sorted({user.pk for user in users if user is not None})
    list(get_user_model().objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk")
         .values_list("pk", flat=True))


def _post(actor, lines, description):
    return ledger.gl_entry_post(actor=actor, lines=[line for line in lines if line.debit or line.credit],
                                description=description)


@transaction.atomic
def vault_receive(*, actor, amount, note: str, request=None):
    """Cash brought into the vault from the credit union's bank account (or sent back, with a negative
    flag): the only way cash enters or leaves the branch other than over the counter."""
    _require_perm(actor, "cash.approve_drawer", "Only managers move cash between the bank and the vault.")
    try:
        amount = parse_amount(amount)
    except InvalidAmount as exc:
        raise ValidationError({"amount": str(exc)})
    if not (note or "").strip():
        raise ValidationError({"note": "Say where the cash came from (e.g. the bank withdrawal slip number)."})
    entry = _post(actor, [Line(gl=vault_account(), debit=amount),
                          Line(gl=GLAccount.objects.get(code=chart.DUE_FROM_BANKS), credit=amount)],
                  f"Cash into vault from bank: {note.strip()}")
    record(actor, "cash.vault_receive", entry, request=request, amount=amount, note=note.strip())
    return entry


def vault_balance() -> Decimal:
    return gl_balance(vault_account())


# --- floats and drawers ------------------------------------------------------------------------

@transaction.atomic
def float_issue(*, actor, cashier, amount, request=None) -> FloatIssue:
    _require_perm(actor, "cash.approve_drawer", "Only managers issue cashier floats.")
    if cashier.role != Role.CASHIER:
        raise ValidationError({"cashier_id": "Floats are issued to cashiers."})
    try:
        amount = parse_amount(amount)
    except InvalidAmount as exc:
        raise ValidationError({"amount": str(exc)})
    try:
        with transaction.atomic():
            issue = FloatIssue.objects.create(cashier=cashier, business_date=_today(), amount=amount, issued_by=actor)
    except IntegrityError:
        raise LedgerError("float_already_issued", f"{cashier.email} already has a float for today.")
    record(actor, "cash.float_issue", issue, request=request, amount=amount)
    return issue


def current_drawer(cashier) -> CashDrawer | None:
    return CashDrawer.objects.filter(cashier=cashier).exclude(status=CashDrawer.Status.CLOSED).first()


def drawer_expected(drawer: CashDrawer) -> Decimal:
    if drawer.status == CashDrawer.Status.CLOSED:
        return ZERO
    return gl_balance(drawer.gl_account)


@transaction.atomic
def drawer_open(*, actor, denominations, request=None) -> CashDrawer:
    """Open the cashier's drawer for the business day with the float issued, counted note by note."""
    if actor.role != Role.CASHIER:
        raise PermissionDenied("Only cashiers open drawers.")
    counts, total = parse_counts(denominations)
    business_date = _today()
    _lock_users(actor)
    if current_drawer(actor) is not None:
        raise LedgerError("drawer_already_open", "You already have a drawer that is not closed.")
    issue = FloatIssue.objects.select_for_update().filter(cashier=actor, business_date=business_date).first()
    if issue is None or issue.drawer_id:
        raise LedgerError("no_float", "No float has been issued to you for today. Ask a manager to issue one.")
    if total != issue.amount:
        raise ValidationError({"denominations": f"Your count comes to {total:,.2f} but the float issued is "
                                                f"{issue.amount:,.2f}. Count again."})
    vault = vault_account()
    if gl_balance(vault) < total:
        raise LedgerError("vault_short", "The vault does not hold enough cash for this float.")
    gl = sub_account(chart.CASH_DRAWERS, actor, "Drawer")
    try:
        drawer = CashDrawer.objects.create(cashier=actor, business_date=business_date, gl_account=gl,
                                           opening_balance=total)
    except IntegrityError:
        raise LedgerError("drawer_already_open", "You already have a drawer that is not closed.")
    _post(actor, [Line(gl=gl, debit=total), Line(gl=vault, credit=total)], f"Float to drawer of {actor.email}")
    DrawerCount.objects.create(drawer=drawer, purpose=DrawerCount.Purpose.OPEN, counts=counts, total=total,
                               counted_by=actor)
    issue.drawer = drawer
    issue.save(update_fields=["drawer", "updated_at"])
    record(actor, "cash.drawer_open", drawer, request=request, amount=total)
    return drawer


@transaction.atomic
def drawer_close(*, actor, drawer: CashDrawer, denominations, total=None, request=None) -> CashDrawer:
    """Count the drawer at the end of the shift; small variances settle at once, large ones wait."""
    _lock_users(actor)
    drawer = CashDrawer.objects.select_for_update().get(pk=drawer.pk)
    if drawer.cashier_id != actor.pk:
        raise PermissionDenied("You can only close your own drawer.")
    if drawer.status != CashDrawer.Status.OPEN:
        raise LedgerError("drawer_not_open", "This drawer is already closed.")
    counts, counted = parse_counts(denominations)
    if total is not None:
        try:
            entered = parse_amount(total, allow_zero=True)
        except InvalidAmount as exc:
            raise ValidationError({"total": str(exc)})
        if entered != counted:
            raise ValidationError({"total": f"The denominations add up to {counted:,.2f}, not {entered:,.2f}."})
    if CashMovement.objects.filter(drawer=drawer, status=CashMovement.Status.PENDING).exists():
        raise LedgerError("movements_pending", "A cash advance or return for this drawer is still waiting for a "
                                               "decision.")
    expected = gl_balance(drawer.gl_account)
    drawer.expected_balance, drawer.counted_balance, drawer.variance = expected, counted, counted - expected
    drawer.closed_at = timezone.now()
    DrawerCount.objects.create(drawer=drawer, purpose=DrawerCount.Purpose.CLOSE, counts=counts, total=counted,
                               counted_by=actor)
    if abs(drawer.variance) > CashPolicy.current().variance_tolerance:
        drawer.status = CashDrawer.Status.PENDING_APPROVAL
        drawer.save()
        record(actor, "cash.drawer_close_pending", drawer, request=request, variance=drawer.variance)
        _tell_drawer_variance(actor, drawer, waits=True)
        return drawer
    _settle_drawer(actor, drawer)
    record(actor, "cash.drawer_close", drawer, request=request, variance=drawer.variance)
    _tell_drawer_variance(actor, drawer, waits=False)
    return drawer


def _tell_drawer_variance(actor, drawer: CashDrawer, *, waits: bool) -> None:
    """A drawer closed over or short: tell the managers and operations managers (none for an exact count)."""
    if not drawer.variance:
        return
    over_short = "over" if drawer.variance > 0 else "short"
    name = actor.get_full_name() or actor.email
    body = (f"{name} closed the drawer for {drawer.business_date:%d %b %Y}: counted "
            f"{format_money(drawer.counted_balance)}, expected {format_money(drawer.expected_balance)}. "
            + ("It is above the tolerance and waits for a manager's sign-off." if waits
               else "It was within the tolerance and has been posted to cash over and short."))
    notify([Role.MANAGER, Role.OPERATIONS_MANAGER], "cash.drawer_variance",
           f"{name}'s drawer is {format_money(abs(drawer.variance))} {over_short}", body,
           link=reverse("admin:cash_cashdrawer_change", args=[drawer.pk]), key=f"drawer-{drawer.pk}")


def _variance_lines(gl: GLAccount, variance: Decimal) -> list[Line]:
    """Bring a cash account to what was counted; the difference goes to cash over and short."""
    over_short = GLAccount.objects.get(code=chart.CASH_VARIANCE)
    if variance > 0:
        return [Line(gl=gl, debit=variance), Line(gl=over_short, credit=variance)]
    if variance < 0:
        return [Line(gl=over_short, debit=-variance), Line(gl=gl, credit=-variance)]
    return []


def _settle_drawer(actor, drawer: CashDrawer) -> None:
    lines = _variance_lines(drawer.gl_account, drawer.variance)
    if lines:
        _post(actor, lines, f"Drawer variance, {drawer.cashier.email} {drawer.business_date}")
    if drawer.counted_balance:
        _post(actor, [Line(gl=vault_account(), debit=drawer.counted_balance),
                      Line(gl=drawer.gl_account, credit=drawer.counted_balance)],
              f"Drawer cash back to vault, {drawer.cashier.email}")
    drawer.status = CashDrawer.Status.CLOSED
    drawer.save()


@transaction.atomic
def drawer_approve_close(*, actor, drawer: CashDrawer, note: str, request=None) -> CashDrawer:
    _require_perm(actor, "cash.approve_drawer", "Only managers sign off drawer variances.")
    if not (note or "").strip():
        raise ValidationError({"reason": "Say why the variance is accepted."})
    _lock_users(actor)
    drawer = CashDrawer.objects.select_for_update().get(pk=drawer.pk)
    if drawer.status != CashDrawer.Status.PENDING_APPROVAL:
        raise LedgerError("not_pending", "This drawer is not waiting for a sign-off.")
    if drawer.cashier_id == actor.pk:
        raise LedgerError("self_approval", "Another manager must sign off your own drawer.")
    drawer.approved_by, drawer.approval_note = actor, note.strip()[:255]
    _settle_drawer(actor, drawer)
    record(actor, "cash.drawer_close_approved", drawer, request=request, variance=drawer.variance, note=note)
    return drawer


# --- the ledger's cash hooks ----------------------------------------------------------------------

def cash_account_for(*, actor, txn: Transaction) -> GLAccount:
    """The ledger's cash desk (apps.ledger.cash_desk): a cashier's cash goes through their open drawer,
    a field banker's into their own field cash account. Called under the ledger's locks."""
    if actor.role == Role.CASHIER:
        drawer = (CashDrawer.objects.select_for_update().select_related("gl_account")
                  .filter(cashier=actor, status=CashDrawer.Status.OPEN).first())
        if drawer is None:
            raise LedgerError("drawer_closed", "Open your cash drawer before taking in or paying out cash.")
        if txn.transaction_type == Transaction.Type.WITHDRAWAL:
            _check_drawer_cash(drawer, txn.amount)
        return drawer.gl_account
    if actor.role == Role.MOBILE_BANKER and txn.transaction_type == Transaction.Type.DEPOSIT:
        return collection_run_for(actor).gl_account
    raise LedgerError("no_cash_role", "Only cashiers (and field bankers collecting) handle cash.")


def cash_approval_check(*, txn: Transaction) -> None:
    """The ledger's cash desk: a pending withdrawal pays out of a drawer that is still open."""
    drawer = (CashDrawer.objects.select_for_update().filter(gl_account=txn.counterparty_gl,
                                                            status=CashDrawer.Status.OPEN).first())
    if drawer is None:
        raise LedgerError("drawer_closed", "The cashier's drawer for this withdrawal is closed; the cashier must "
                                           "post it again from an open drawer.")
    _check_drawer_cash(drawer, txn.amount)


def _check_drawer_cash(drawer: CashDrawer, amount: Decimal) -> None:
    held = gl_balance(drawer.gl_account)
    if held < amount:
        raise LedgerError("drawer_short", f"Your drawer holds {held:,.2f}; request a cash advance to pay out "
                                          f"{amount:,.2f}.")


# --- cash advances and returns ------------------------------------------------------------------

@transaction.atomic
def cash_movement_request(*, actor, kind: str, amount, reason: str, request=None) -> CashMovement:
    if actor.role != Role.CASHIER:
        raise PermissionDenied("Only cashiers request cash advances and returns.")
    if not (reason or "").strip():
        raise ValidationError({"reason": "Give a reason for the request."})
    try:
        amount = parse_amount(amount)
    except InvalidAmount as exc:
        raise ValidationError({"amount": str(exc)})
    _lock_users(actor)
    drawer = CashDrawer.objects.select_for_update().filter(cashier=actor, status=CashDrawer.Status.OPEN).first()
    if drawer is None:
        raise LedgerError("drawer_closed", "Open your drawer first.")
    if kind == CashMovement.Kind.RETURN:
        _check_drawer_cash(drawer, amount)
    movement = CashMovement.objects.create(kind=kind, drawer=drawer, amount=amount, reason=reason.strip()[:255],
                                           requested_by=actor)
    record(actor, f"cash.{kind}_request", movement, request=request, amount=amount)
    notify(Role.MANAGER, "cash.advance_waiting",
           f"{'Cash advance' if kind == CashMovement.Kind.ADVANCE else 'Return to the vault'} of "
           f"{format_money(amount)} waits for a decision",
           f"{actor.get_full_name() or actor.email} asks: {movement.reason}",
           link=reverse("admin:cash_drawer_signoffs"), key=f"movement-{movement.pk}")
    return movement


def _decide_movement(actor, movement: CashMovement) -> CashMovement:
    _require_perm(actor, "cash.approve_drawer", "Only managers decide cash advances and returns.")
    _lock_users(actor)
    movement = CashMovement.objects.select_for_update().select_related("drawer").get(pk=movement.pk)
    if movement.status != CashMovement.Status.PENDING:
        raise LedgerError("not_pending", f"This request is already {movement.get_status_display().lower()}.")
    if movement.requested_by_id == actor.pk:
        raise LedgerError("self_approval", "Another manager must decide your own request.")
    return movement


@transaction.atomic
def cash_movement_approve(*, actor, movement: CashMovement, request=None) -> CashMovement:
    movement = _decide_movement(actor, movement)
    drawer = CashDrawer.objects.select_for_update().get(pk=movement.drawer_id)
    if drawer.status != CashDrawer.Status.OPEN:
        raise LedgerError("drawer_closed", "The drawer has been closed since the request.")
    vault = vault_account()
    if movement.kind == CashMovement.Kind.ADVANCE:
        if gl_balance(vault) < movement.amount:
            raise LedgerError("vault_short", "The vault does not hold enough cash for this advance.")
        lines = [Line(gl=drawer.gl_account, debit=movement.amount), Line(gl=vault, credit=movement.amount)]
    else:
        _check_drawer_cash(drawer, movement.amount)
        lines = [Line(gl=vault, debit=movement.amount), Line(gl=drawer.gl_account, credit=movement.amount)]
    movement.entry = _post(actor, lines, f"{movement.get_kind_display()}: {movement.reason}")
    movement.status, movement.decided_by, movement.decided_at = CashMovement.Status.APPROVED, actor, timezone.now()
    movement.save()
    record(actor, f"cash.{movement.kind}_approve", movement, request=request, amount=movement.amount)
    return movement


@transaction.atomic
def cash_movement_reject(*, actor, movement: CashMovement, reason: str, request=None) -> CashMovement:
    if not (reason or "").strip():
        raise ValidationError({"reason": "Give the reason for rejecting it."})
    movement = _decide_movement(actor, movement)
    movement.status, movement.decided_by, movement.decided_at = CashMovement.Status.REJECTED, actor, timezone.now()
    movement.decision_note = reason.strip()[:255]
    movement.save()
    record(actor, f"cash.{movement.kind}_reject", movement, request=request, reason=reason)
    return movement


# --- cheques --------------------------------------------------------------------------------------

def cheque_deposit(*, actor, account: Account, amount, drawer_bank: str, cheque_number: str, image=None,
                   idempotency_key: str | None = None, request=None) -> ChequeDeposit:
    """Credit a cheque to the member's account, held until operations clears or bounces it.

    With an idempotency key (the API's Idempotency-Key header, the console form's hidden key) a
    retry of the same request returns the cheque the first one deposited and posts nothing; the
    same key with a different account, amount, bank or number is refused (`idempotency_conflict`)."""
    if actor.role != Role.CASHIER:
        raise PermissionDenied("Only cashiers take cheque deposits.")
    drawer_bank, cheque_number = (drawer_bank or "").strip(), (cheque_number or "").strip()
    if not drawer_bank:
        raise ValidationError({"drawer_bank": "Enter the bank the cheque is drawn on."})
    if not cheque_number.isdigit():
        raise ValidationError({"cheque_number": "Enter the cheque number (digits only)."})
    try:
        amount = parse_amount(amount)
    except InvalidAmount as exc:
        raise ValidationError({"amount": str(exc)})
    idempotency = Idempotency.of(idempotency_key, "cheque", account=account.pk, amount=str(amount),
                                 drawer_bank=drawer_bank.lower(), cheque_number=cheque_number)
    duplicate = LedgerError("cheque_duplicate", f"Cheque {cheque_number} from {drawer_bank} was already deposited.")

    def deposit() -> ChequeDeposit:
        _lock_users(actor)  # before cheque_credit locks the member's account
        if ChequeDeposit.objects.filter(drawer_bank__iexact=drawer_bank, cheque_number=cheque_number).exists():
            raise duplicate
        try:
            with transaction.atomic():
                txn = ledger.cheque_credit(actor=actor, account=account, amount=amount,
                                           description=f"Cheque {cheque_number} ({drawer_bank}), held until cleared")
                cheque = ChequeDeposit.objects.create(account=account, amount=txn.amount, drawer_bank=drawer_bank,
                                                      cheque_number=cheque_number, image=image or "",
                                                      transaction=txn, deposited_by=actor)
        except IntegrityError:  # a concurrent deposit of the same cheque won the race
            raise duplicate
        record(actor, "cash.cheque_deposit", cheque, request=request, amount=txn.amount)
        return cheque

    return idempotent(actor=actor, idempotency=idempotency, run=deposit, model=ChequeDeposit)


def _decide_cheque(actor, cheque: ChequeDeposit) -> ChequeDeposit:
    _require_perm(actor, "cash.clear_cheque", "Only operations managers clear or bounce cheques.")
    _lock_users(actor)
    cheque = ChequeDeposit.objects.select_for_update().select_related("transaction").get(pk=cheque.pk)
    if cheque.status != ChequeDeposit.Status.HELD:
        raise LedgerError("cheque_decided", f"This cheque is already {cheque.get_status_display().lower()}.")
    return cheque


@transaction.atomic
def cheque_clear(*, actor, cheque: ChequeDeposit, request=None) -> ChequeDeposit:
    cheque = _decide_cheque(actor, cheque)
    ledger.cheque_settle(actor=actor, txn=cheque.transaction)
    cheque.status, cheque.decided_by, cheque.decided_at = ChequeDeposit.Status.CLEARED, actor, timezone.now()
    cheque.save()
    record(actor, "cash.cheque_clear", cheque, request=request)
    _tell_depositor(cheque, "cash.cheque_cleared", f"Your cheque of {format_money(cheque.amount)} has cleared",
                    f"Cheque {cheque.cheque_number} from {cheque.drawer_bank} has cleared: the money is yours "
                    f"to use in account {cheque.account.account_number}.")
    return cheque


def _tell_depositor(cheque: ChequeDeposit, kind: str, title: str, body: str) -> None:
    """Tell the member whose account the cheque was paid into (if they have a portal login)."""
    account = Account.objects.select_related("member__user").get(pk=cheque.account_id)
    user = account.member.user
    if user is not None:
        notify(user, kind, title, body, link=reverse("portal:account", args=[account.pk]),
               key=f"cheque-{cheque.pk}")


@transaction.atomic
def cheque_bounce(*, actor, cheque: ChequeDeposit, reason: str, fee=None, request=None) -> ChequeDeposit:
    if not (reason or "").strip():
        raise ValidationError({"reason": "Give the reason the cheque was returned."})
    cheque = _decide_cheque(actor, cheque)
    ledger.cheque_return(actor=actor, txn=cheque.transaction, reason=reason.strip())
    charged, fee_pending = ZERO, ""
    if fee not in (None, "", 0, "0"):
        try:
            with transaction.atomic():
                fee_txn = ledger.fee_charge(actor=actor, account=cheque.account, amount=fee,
                                            description=f"Returned cheque fee, cheque {cheque.cheque_number}")
        except LedgerError:
            fee_txn = None  # the member cannot cover it now: the bounce still stands, without the fee
        if fee_txn is not None and fee_txn.status == Transaction.Status.COMPLETED:
            charged = fee_txn.amount
        elif fee_txn is not None:  # above the approval threshold: charged only if a manager approves it
            fee_pending = fee_txn.reference
    cheque.status, cheque.decided_by, cheque.decided_at = ChequeDeposit.Status.BOUNCED, actor, timezone.now()
    cheque.bounce_reason, cheque.bounce_fee = reason.strip()[:255], charged
    cheque.save()
    record(actor, "cash.cheque_bounce", cheque, request=request, reason=reason, fee=charged, fee_pending=fee_pending)
    _tell_depositor(cheque, "cash.cheque_bounced", f"Your cheque of {format_money(cheque.amount)} was returned",
                    f"Cheque {cheque.cheque_number} from {cheque.drawer_bank} was returned unpaid: "
                    f"{cheque.bounce_reason}. Its amount has been taken back out of account "
                    f"{cheque.account.account_number}"
                    + (f", with a returned cheque fee of {format_money(charged)}." if charged else "."))
    return cheque


# --- field collection ------------------------------------------------------------------------------

def collection_run_for(banker) -> CollectionRun:
    """Today's run for the banker, started by their first collection. Locked for the caller."""
    business_date = _today()
    runs = CollectionRun.objects.select_for_update().select_related("gl_account")
    run = runs.filter(banker=banker, business_date=business_date).first()
    if run is None:  # the first collection of the day starts the run (and the banker's field cash account)
        gl = sub_account(chart.CASH_FIELD, banker, "Field cash")
        run, _ = CollectionRun.objects.get_or_create(banker=banker, business_date=business_date,
                                                     defaults={"gl_account": gl})
        run = runs.get(pk=run.pk)
    if run.status != CollectionRun.Status.OPEN:
        raise LedgerError("run_remitted", "Today's collections are already remitted; further cash waits until the "
                                          "next business day.")
    return run


def collections_today(account: Account, business_date) -> list[Transaction]:
    """The field collections posted into the account on the business date, oldest first."""
    return list(Transaction.objects.filter(to_account=account, transaction_type=Transaction.Type.DEPOSIT,
                                           channel="field", status=Transaction.Status.COMPLETED,
                                           business_date=business_date).order_by("created_at", "id"))


def collection_sheet(banker) -> list[dict]:
    """The banker's assigned members' Daily Susu accounts with what they have paid this cycle, and
    the last collection today (amount and time) for those already paid."""
    business_date = _today()
    accounts = (Account.objects.filter(member__in=members_visible_to(banker), product__kind="daily_susu",
                                       status=Account.Status.ACTIVE)
                .select_related("member", "product").order_by("member__last_name", "member__first_name"))
    sheet = []
    for account in accounts:
        paid = (Transaction.objects.filter(to_account=account, transaction_type=Transaction.Type.DEPOSIT,
                                           status=Transaction.Status.COMPLETED,
                                           business_date__gte=cycle_bounds(account, business_date)[0])
                .aggregate(s=Sum("amount"))["s"] or ZERO)
        today = (Transaction.objects.filter(to_account=account, transaction_type=Transaction.Type.DEPOSIT,
                                            status=Transaction.Status.COMPLETED, business_date=business_date,
                                            initiated_by=banker).aggregate(s=Sum("amount"))["s"] or ZERO)
        last = collections_today(account, business_date)[-1:]
        sheet.append({"account_id": account.pk, "account_number": account.account_number,
                      "member_name": account.member.full_name, "member_phone": account.member.phone,
                      "daily_amount": account.contribution_amount or ZERO, "paid_this_cycle": paid,
                      "collected_today": today,
                      "last_collection_amount": last[0].amount if last else None,
                      "last_collection_at": (last[0].completed_at or last[0].created_at) if last else None})
    return sheet


class ConfirmationRequired(LedgerError):
    """A field collection that needs the banker's explicit confirmation (API: 409
    `confirmation_required`): the member already paid today, or the amount is above the configured
    multiple of their daily amount (then with a note saying why). Nothing was posted."""

    def __init__(self, *, reasons: list[str], note_required: bool):
        self.reasons, self.note_required = reasons, note_required
        ask = ("Confirm it, with a note saying why, to collect it." if note_required
               else "Confirm it to collect again.")
        super().__init__("confirmation_required", " ".join([*reasons, ask]))


def collection_confirmations(*, account: Account, amount: Decimal, business_date) -> tuple[list[str], bool]:
    """Why a collection needs the banker's confirmation (empty when it does not), and whether a note is
    required: a member already paid today, or an amount above CashPolicy.field_collection_multiple
    times their daily amount."""
    reasons, note_required = [], False
    name = account.member.full_name
    daily = account.contribution_amount
    multiple = CashPolicy.current().field_collection_multiple
    if daily and amount > daily * multiple:
        note_required = True
        reasons.append(f"{format_money(amount)} is more than {multiple.normalize():f} times {name}'s daily amount "
                       f"of {format_money(daily)}.")
    previous = collections_today(account, business_date)
    if previous:
        last = previous[-1]
        at = timezone.localtime(last.completed_at or last.created_at)
        reasons.append(f"{name} already paid {format_money(last.amount)} today at {at:%H:%M}.")
    return reasons, note_required


def field_collect(*, actor, account: Account, amount, confirm: bool = False, note: str = "",
                  idempotency_key: str | None = None) -> Transaction:
    """One field collection: a deposit into the member's Susu account against the banker's field cash.

    A second collection on the same business day, or an amount above the configured multiple of the
    member's daily amount, is refused with ConfirmationRequired unless `confirm` (and, above the
    multiple, a `note` saying why, kept as the collection's narration and in the audit log). A retry
    of a collection already posted under the same idempotency key returns it, unasked."""
    amount = ledger.amount_or_error(amount)
    note = (note or "").strip()
    if not isinstance(account, Account):  # an account id
        found = (Account.objects.select_related("member", "product").filter(pk=account).first()
                 if str(account).isdigit() else None)
        if found is None:
            raise ValidationError({"account_id": "No such account."})
        account = found
    # who may collect comes first: a member's payments are no business of a banker they are not assigned to
    if actor.role != Role.MOBILE_BANKER:
        raise PermissionDenied("Only mobile bankers collect in the field.")
    if not can_collect_from(actor, account.member):
        raise PermissionDenied("This member is not assigned to you.")
    reasons = []
    if not idempotency_key_used(actor=actor, key=idempotency_key):
        reasons, note_required = collection_confirmations(account=account, amount=amount, business_date=_today())
        if reasons and (not confirm or (note_required and not note)):
            raise ConfirmationRequired(reasons=reasons, note_required=note_required)
    # the confirmation's audit row is written with the collection, in its database transaction
    audit = ("cash.collection_confirmed", lambda txn: txn, {"reasons": " ".join(reasons), "note": note})
    return ledger.deposit_create(actor=actor, account=account, amount=amount,
                                 description=f"Field collection: {note}" if note else "Field collection",
                                 channel="field", idempotency_key=idempotency_key, audit=audit if reasons else None)


FIELD_REGISTER = "field_register"


def field_member_register(*, actor, member_fields: dict, id_front, id_back=None, daily_amount,
                          idempotency_key: str | None = None, request=None) -> tuple[Member, Account]:
    """A mobile banker registers a member met in the field: the member (KYC pending, assigned to the
    banker), their Ghana Card images and a Daily Susu account with the agreed daily amount — all or
    nothing, each part through its own audited service. The same form sent twice (its idempotency
    key) answers with the member the first one registered."""
    product = Product.objects.filter(kind=Product.Kind.DAILY_SUSU, is_active=True).order_by("pk").first()
    if product is None:
        raise ValidationError("Daily Susu is not offered at the moment; ask operations.")
    idempotency = Idempotency.of(idempotency_key, FIELD_REGISTER, national_id=member_fields.get("national_id"),
                                 phone=member_fields.get("phone"), daily_amount=str(daily_amount))

    def register() -> Member:
        member = member_services.member_register(actor=actor, assign_to_self=True, request=request, **member_fields)
        member_services.member_document_add(actor=actor, member=member, kind=MemberDocument.Kind.ID_FRONT,
                                            file=id_front, request=request)
        if id_back:
            member_services.member_document_add(actor=actor, member=member, kind=MemberDocument.Kind.ID_BACK,
                                                file=id_back, request=request)
        account = ledger.account_open(actor=actor, member=member, product=product, request=request)
        contribution_set(actor=actor, account=account, amount=daily_amount, request=request)
        return member

    member = idempotent(actor=actor, idempotency=idempotency, run=register, model=Member)
    return member, member.accounts.filter(product=product).order_by("pk").first()


def field_member_registered(*, actor, idempotency_key: str | None) -> Member | None:
    """The member a registration form with this key already registered (a double tap), if any."""
    return idempotency_result(actor=actor, key=idempotency_key, scope=FIELD_REGISTER, model=Member)


def receipt_text(txn: Transaction) -> str:
    """The SMS or printed receipt a member gets for a collection."""
    account = txn.to_account
    return (f"{institution().short_name}: {format_money(txn.amount)} received into {account.product.name} "
            f"{account.account_number} on {txn.business_date:%d/%m/%Y}. Ref {txn.reference}. Thank you.")


def field_cash_expected(gl: GLAccount) -> Decimal:
    """The cash a field banker must hand in: the balance of their field cash account, less the
    differences of earlier remittances still waiting for a manager (those are not theirs to bring
    again unless the manager rejects them)."""
    waiting = (CollectionRun.objects.filter(gl_account=gl, status=CollectionRun.Status.PENDING_APPROVAL)
               .aggregate(s=Sum("variance"))["s"] or ZERO)
    return gl_balance(gl) + waiting


def _signed_lines(amounts: list[tuple[GLAccount, Decimal]]) -> list[Line]:
    """(account, +debit / -credit) pairs as ledger lines, leaving out zeros."""
    return [Line(gl=gl, debit=amount) if amount > 0 else Line(gl=gl, credit=-amount)
            for gl, amount in amounts if amount]


def _lock_field_cash(run: CollectionRun) -> None:
    """Remittances and variance decisions of one banker take turns: each reads their field cash
    balance and the differences still waiting, which must not change in between."""
    GLAccount.objects.select_for_update().filter(pk=run.gl_account_id).values_list("pk", flat=True).first()


@transaction.atomic
def field_remit(*, actor, cashier, denominations, request=None) -> CollectionRun:
    """The banker hands the day's cash to a cashier, who counts it into their open drawer.

    The counted cash goes into the cashier's drawer at once, whatever the count: it is physically
    in the drawer from now on, so the drawer's expected balance must include it. The difference
    between what the ledger says the banker collected and what was counted is handled like a drawer
    close: within the cash policy's tolerance it is posted to cash over and short in the same entry
    and the run is `remitted`; above it the run is `pending_approval` and the difference stays on
    the banker's field cash account (a shortage the banker is answerable for, or an overage not yet
    explained) until a manager who neither remitted nor received the cash signs it off
    (`field_remit_approve`, posted to cash over and short) or rejects it (`field_remit_reject`, left
    with the banker: a shortage is expected with their next remittance, an overage is cleared by
    recording the collection it belongs to). Every entry balances, so the books do at every step."""
    if actor.role != Role.MOBILE_BANKER:
        raise PermissionDenied("Only mobile bankers remit field collections.")
    counts, counted = parse_counts(denominations)
    runs = _open_runs(actor)  # locked below, in turn
    if not runs:
        if CollectionRun.objects.filter(banker=actor, business_date=_today()).exists():
            raise LedgerError("already_remitted", "Today's collections were already remitted.")
        raise LedgerError("nothing_to_remit", "You have no collections to remit today.")
    if getattr(cashier, "role", None) != Role.CASHIER:
        raise LedgerError("drawer_closed", "Remit to a cashier whose drawer is open.")
    _lock_users(actor, cashier)
    locked = list(CollectionRun.objects.select_for_update().filter(
        pk__in=[r.pk for r in runs], status=CollectionRun.Status.OPEN).order_by("business_date"))
    if not locked:
        raise LedgerError("already_remitted", "Today's collections were already remitted.")
    run, earlier = locked[-1], locked[:-1]
    _lock_field_cash(run)
    drawer = CashDrawer.objects.select_for_update().filter(cashier=cashier, status=CashDrawer.Status.OPEN).first()
    if drawer is None:
        raise LedgerError("drawer_closed", "Remit to a cashier whose drawer is open.")
    expected = field_cash_expected(run.gl_account)
    variance = counted - expected
    waits = abs(variance) > CashPolicy.current().variance_tolerance
    if waits:  # the cash counted changes hands now; the difference waits on the banker's account
        amounts = [(drawer.gl_account, counted), (run.gl_account, -counted)]
    else:
        over_short = GLAccount.objects.get(code=chart.CASH_VARIANCE)
        amounts = [(drawer.gl_account, counted), (run.gl_account, -expected), (over_short, -variance)]
    lines = _signed_lines(amounts)
    if lines:
        _post(actor, lines, f"Field cash remitted by {actor.email} to {cashier.email}")
    DrawerCount.objects.create(run=run, drawer=drawer, purpose=DrawerCount.Purpose.REMITTANCE, counts=counts,
                               total=counted, counted_by=cashier)
    run.status = CollectionRun.Status.PENDING_APPROVAL if waits else CollectionRun.Status.REMITTED
    run.remitted_to, run.remitted_at = cashier, timezone.now()
    run.expected_amount, run.counted_amount, run.variance = expected, counted, variance
    run.save()
    for old in earlier:  # a day not remitted: its cash is in this count, so it is settled by it
        old.status, old.remitted_to, old.remitted_at = CollectionRun.Status.REMITTED, cashier, run.remitted_at
        old.decision_note = f"Not remitted on the day; its cash was counted in the remittance of " \
                            f"{run.business_date:%d %b %Y}."
        old.save()
    record(actor, "cash.field_remit_pending" if waits else "cash.field_remit", run, request=request,
           expected=expected, counted=counted, variance=variance, over_tolerance=waits, cashier=cashier.email,
           carried_runs=[str(old.business_date) for old in earlier])
    return run


def _open_runs(banker) -> list[CollectionRun]:
    """The banker's runs not yet remitted, oldest first (up to today)."""
    return list(CollectionRun.objects.filter(banker=banker, status=CollectionRun.Status.OPEN,
                                             business_date__lte=_today()).order_by("business_date"))


def run_to_remit(banker) -> CollectionRun | None:
    """The run the banker's next remittance settles: the latest one not yet remitted. An earlier day
    that was not remitted is carried into it (its cash is still on the banker's field cash account)."""
    runs = _open_runs(banker)
    return runs[-1] if runs else None


def _decide_remittance(actor, run: CollectionRun) -> CollectionRun:
    _require_perm(actor, "cash.approve_drawer", "Only managers decide remittance variances.")
    _lock_users(actor)
    run = CollectionRun.objects.select_for_update().get(pk=run.pk)
    if run.status != CollectionRun.Status.PENDING_APPROVAL:
        raise LedgerError("not_pending", "This remittance is not waiting for a sign-off.")
    if actor.pk in (run.banker_id, run.remitted_to_id):
        raise LedgerError("self_approval", "A manager who neither remitted nor received this cash must decide "
                                           "its variance.")
    _lock_field_cash(run)
    return run


@transaction.atomic
def field_remit_approve(*, actor, run: CollectionRun, note: str, request=None) -> CollectionRun:
    """Accept a remittance's variance: post it from the banker's field cash to cash over and short."""
    if not (note or "").strip():
        raise ValidationError({"reason": "Say why the variance is accepted."})
    run = _decide_remittance(actor, run)
    lines = _variance_lines(run.gl_account, run.variance)
    if lines:
        _post(actor, lines, f"Field remittance variance, {run.banker.email} {run.business_date}")
    run.status, run.variance_decision = CollectionRun.Status.REMITTED, CollectionRun.Decision.APPROVED
    run.decided_by, run.decided_at, run.decision_note = actor, timezone.now(), note.strip()[:255]
    run.save()
    record(actor, "cash.field_remit_approved", run, request=request, variance=run.variance, note=note.strip())
    return run


@transaction.atomic
def field_remit_reject(*, actor, run: CollectionRun, reason: str, request=None) -> CollectionRun:
    """Refuse to write a remittance's variance off. Nothing is posted: the difference stays on the
    banker's field cash account, so a shortage is expected with their next remittance and an
    overage is cleared by recording the member collection it belongs to."""
    if not (reason or "").strip():
        raise ValidationError({"reason": "Give the reason for rejecting it."})
    run = _decide_remittance(actor, run)
    run.status, run.variance_decision = CollectionRun.Status.REMITTED, CollectionRun.Decision.REJECTED
    run.decided_by, run.decided_at, run.decision_note = actor, timezone.now(), reason.strip()[:255]
    run.save()
    record(actor, "cash.field_remit_rejected", run, request=request, variance=run.variance, reason=reason.strip())
    return run


# --- end of day -----------------------------------------------------------------------------------

def end_of_day_cash(*, business_date, actor) -> dict:
    """The end-of-day summary's cash lines: what is still out of the vault when the day closes.

    It reports and changes nothing: a drawer left open or a round not remitted carries into the
    next day (the next remittance settles it), and the branch cash position page shows them."""
    drawers = list(CashDrawer.objects.exclude(status=CashDrawer.Status.CLOSED).select_related("gl_account"))
    runs = CollectionRun.objects.filter(status=CollectionRun.Status.OPEN, business_date__lte=business_date)
    field_gls = {run.gl_account for run in runs.select_related("gl_account")}
    return {
        "vault": f"{vault_balance():.2f}",
        "drawers_not_closed": len(drawers),
        "cash_in_drawers": f"{sum((gl_balance(d.gl_account) for d in drawers), ZERO):.2f}",
        "field_rounds_not_remitted": runs.count(),
        "field_cash_not_remitted": f"{sum((field_cash_expected(gl) for gl in field_gls), ZERO):.2f}",
        "remittance_variances_waiting": CollectionRun.objects.filter(
            status=CollectionRun.Status.PENDING_APPROVAL).count(),
    }
