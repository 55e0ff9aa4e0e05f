"""The posting engine: turns a transaction into balanced postings under row locks.

Lock order is always: the initiating user's row (for daily limits), then member accounts by
primary key. Every writer follows it, so two concurrent movements never deadlock; PostgreSQL
may still report a serialization failure under load, which `retry_on_conflict` absorbs.
"""

import functools
import random
import secrets
import time
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import OperationalError, connection
from django.db.models import Case, DecimalField, F, Value, When

from .models import ZERO, Account, GLAccount, JournalEntry, Posting, Transaction


@dataclass(frozen=True)
class Line:
    gl: GLAccount
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    account: Account | None = None


def new_reference(prefix: str, business_date) -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return f"{prefix}{business_date:%y%m%d}{''.join(secrets.choice(alphabet) for _ in range(8))}"


def balance_effect(lines: list[Line]) -> dict[int, Decimal]:
    """How much each member account's balance changes (balances are kept on the account's normal side)."""
    effect: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        if line.account is not None:
            sign = 1 if line.gl.debit_normal else -1
            effect[line.account.pk] += sign * (line.debit - line.credit)
    return dict(effect)


def holds_for(lines: list[Line]) -> dict[int, Decimal]:
    """What a pending transaction reserves on each account: whatever it would take out."""
    return {pk: -delta for pk, delta in balance_effect(lines).items() if delta < 0}


def lock_accounts(account_ids, *, with_member: bool = True) -> dict[int, Account]:
    ids = sorted({pk for pk in account_ids if pk is not None})
    # The product's control GL account comes in the same query: plan_lines needs it for every line.
    # The member (KYC, names) only when the caller checks it: money paid in does not need it.
    related = ("product__control_account", "member") if with_member else ("product__control_account",)
    locked = (Account.objects.select_for_update(of=("self",)).select_related(*related)
              .filter(pk__in=ids).order_by("pk"))
    return {account.pk: account for account in locked}


def write_entry(*, lines: list[Line], business_date, description: str, created_by, transaction=None,
                reverses=None) -> JournalEntry:
    """Append one balanced entry and move the materialised balances. Accounts must already be locked."""
    debits = sum((line.debit for line in lines), ZERO)
    credits = sum((line.credit for line in lines), ZERO)
    if debits != credits or debits <= 0:
        raise ValueError(f"Unbalanced entry: debits {debits} != credits {credits}.")
    entry = JournalEntry.objects.create(
        reference=new_reference("JE", business_date), transaction=transaction, business_date=business_date,
        description=description[:255], created_by=created_by, reverses=reverses,
    )
    Posting.objects.bulk_create([
        Posting(entry=entry, gl_account=line.gl, account=line.account, debit=line.debit, credit=line.credit)
        for line in lines if line.debit or line.credit
    ])
    effect = {pk: delta for pk, delta in balance_effect(lines).items() if delta}
    if len(effect) == 1:
        [(pk, delta)] = effect.items()
        Account.objects.filter(pk=pk).update(balance=F("balance") + delta)
    elif effect:  # one UPDATE for every account the entry moves (the rows are already locked)
        Account.objects.filter(pk__in=sorted(effect)).update(balance=F("balance") + Case(
            *[When(pk=pk, then=Value(delta)) for pk, delta in effect.items()],
            output_field=DecimalField(max_digits=18, decimal_places=2)))
    return entry


def _is_conflict(exc: OperationalError) -> bool:
    sqlstate = getattr(getattr(exc, "__cause__", None), "sqlstate", None)
    if sqlstate in ("40P01", "40001"):  # deadlock detected, serialization failure
        return True
    return "database is locked" in str(exc)


def retry_on_conflict(func=None, *, attempts: int = 6):
    """Retry the whole atomic operation when the database reports a deadlock or serialization
    failure, so people never see one. Inside an outer transaction it cannot retry, and re-raises."""
    if func is None:
        return functools.partial(retry_on_conflict, attempts=attempts)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        for attempt in range(1, attempts + 1):
            try:
                return func(*args, **kwargs)
            except OperationalError as exc:
                if connection.in_atomic_block or attempt == attempts or not _is_conflict(exc):
                    raise
                time.sleep(random.uniform(0, 0.02 * 2 ** attempt))
        raise AssertionError("unreachable")

    return wrapper


__all__ = ["Line", "Transaction", "balance_effect", "holds_for", "lock_accounts", "new_reference",
           "retry_on_conflict", "write_entry"]


@dataclass(frozen=True)
class SystemItem:
    """One bank-initiated movement for `post_system_batch`: credit or debit `amount` to a member account."""

    account_id: int
    amount: Decimal
    description: str


def post_system_batch(*, actor, business_date, txn_type: str, counterparty: GLAccount, member_side: str,
                      items: list[SystemItem], chunk: int = 1000) -> tuple[dict[int, Transaction], list[int]]:
    """Post many bank-initiated movements (interest, commission, fees, dividends) at once.

    Same rules as one at a time — each movement is its own transaction and balanced entry, member
    accounts are locked in primary-key order and debits need available funds — but written with
    bulk inserts, so end of day for thousands of accounts takes seconds. Runs inside the caller's
    transaction. Returns the transactions by account id and the account ids refused for lack of funds.
    """
    from django.utils import timezone

    posted: dict[int, Transaction] = {}
    refused: list[int] = []
    items = sorted((item for item in items if item.amount > 0), key=lambda item: item.account_id)
    for start in range(0, len(items), chunk):
        batch = items[start:start + chunk]
        accounts = lock_accounts([item.account_id for item in batch])
        ready = []
        for item in batch:
            account = accounts[item.account_id]
            if account.status == Account.Status.CLOSED or (
                    member_side == "debit" and account.balance - account.held_balance < item.amount):
                refused.append(item.account_id)
                continue
            sign = 1 if member_side == "credit" else -1
            sign = -sign if account.product.control_account.debit_normal else sign
            account.balance += sign * item.amount
            ready.append((item, account))
        now = timezone.now()
        txns = Transaction.objects.bulk_create([
            Transaction(transaction_type=txn_type, status=Transaction.Status.COMPLETED, amount=item.amount,
                        from_account=account if member_side == "debit" else None,
                        to_account=account if member_side == "credit" else None, counterparty_gl=counterparty,
                        description=item.description[:255], channel="system", business_date=business_date,
                        initiated_by=actor, reference=new_reference("TX", business_date), completed_at=now)
            for item, account in ready])
        entries = JournalEntry.objects.bulk_create([
            JournalEntry(reference=new_reference("JE", business_date), transaction=txn, business_date=business_date,
                         description=txn.description, created_by=actor) for txn in txns])
        postings = []
        for (item, account), entry in zip(ready, entries, strict=True):
            member = Posting(entry=entry, gl_account=account.product.control_account, account=account)
            other = Posting(entry=entry, gl_account=counterparty)
            if member_side == "credit":
                member.credit, other.debit = item.amount, item.amount
            else:
                member.debit, other.credit = item.amount, item.amount
            postings += [member, other]
        Posting.objects.bulk_create(postings, batch_size=2000)
        Account.objects.bulk_update([account for _, account in ready], ["balance"], batch_size=1000)
        posted.update({item.account_id: txn for (item, _), txn in zip(ready, txns, strict=True)})
    return posted, refused
