"""Reads the staff console needs on top of `selectors`: account look-up for the teller screens,
balances at a point in the ledger (receipts), and statement lines with a running balance."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, Sum

from .models import ZERO, Account, JournalEntry, Posting, Transaction
from .selectors import account_movements, accounts_visible_to


def account_lookup(user, query: str, *, limit: int = 10, kind: str | None = None):
    """Accounts this user may see whose number starts with the query, or whose member's number or
    names match it (every word must match a name). Closed accounts are left out; with `kind`, only
    accounts of that product kind (the shares pay-out looks up Shares accounts)."""
    query = (query or "").strip()
    accounts = accounts_visible_to(user).exclude(status=Account.Status.CLOSED).select_related(
        "member", "product")
    if kind:
        accounts = accounts.filter(product__kind=kind)
    if not query:
        return accounts.none()
    if query.replace(" ", "").isdigit():
        return accounts.filter(account_number__startswith=query.replace(" ", "")).order_by("account_number")[:limit]
    condition = Q(member__member_number__iexact=query)
    words = query.split()
    names = Q()
    for word in words:
        names &= (Q(member__first_name__icontains=word) | Q(member__last_name__icontains=word)
                  | Q(member__other_names__icontains=word))
    return (accounts.filter(condition | names)
            .order_by("member__last_name", "member__first_name", "account_number")[:limit])


def _signed(posting: Posting, account: Account) -> Decimal:
    """What a posting did to the member's balance (balances are kept on the control account's side)."""
    return account.product.control_account.balance_change(posting.debit, posting.credit)


def balance_after(account: Account, entry: JournalEntry) -> Decimal:
    """The account's balance right after this entry was posted. Entries touching one account are
    written under that account's row lock, so their ids follow the order they were posted in."""
    totals = Posting.objects.filter(account=account, entry_id__lte=entry.pk).aggregate(d=Sum("debit"),
                                                                                       c=Sum("credit"))
    return account.product.control_account.balance_change(totals["d"] or ZERO, totals["c"] or ZERO)


@dataclass
class Movement:
    posting: Posting
    entry: JournalEntry
    transaction: Transaction | None
    money_in: Decimal
    money_out: Decimal
    balance: Decimal
    label: str


def recent_movements(account: Account, *, limit: int = 20) -> list[Movement]:
    """The last `limit` postings on the account, newest first, each with the balance after it."""
    running = account.balance
    postings = list(account_movements(account, limit=limit))
    first_in_entry = {}
    for posting in postings:  # a fee is a second posting on the account in the same entry
        first_in_entry[posting.entry_id] = min(first_in_entry.get(posting.entry_id, posting.pk), posting.pk)
    rows = []
    for posting in postings:
        signed = _signed(posting, account)
        txn = posting.entry.transaction
        is_fee = posting.pk != first_in_entry[posting.entry_id] and txn is not None and txn.fee
        label = "Service charge" if is_fee else posting.entry.description
        rows.append(Movement(posting=posting, entry=posting.entry, transaction=txn, label=label,
                             money_in=signed if signed > 0 else ZERO, money_out=-signed if signed < 0 else ZERO,
                             balance=running))
        running -= signed
    return rows
