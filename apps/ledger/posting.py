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
from django.db.models import F

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


def lock_accounts(account_ids) -> dict[int, Account]:
    ids = sorted({pk for pk in account_ids if pk is not None})
    locked = (Account.objects.select_for_update(of=("self",)).select_related("product", "member")
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
    for pk, delta in balance_effect(lines).items():
        if delta:
            Account.objects.filter(pk=pk).update(balance=F("balance") + delta)
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
