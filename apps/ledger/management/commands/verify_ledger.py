"""Prove the books: every materialised balance equals its postings, every entry balances,
and the trial balance is zero. Exits 1 with a report on any difference."""

from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.db.models import F, Q, Sum

from apps.ledger.models import ZERO, Account, GLAccount, JournalEntry, Posting

HALF_PESEWA = Decimal("0.005")


def find_differences() -> list[str]:
    problems = []
    sums = dict(
        Posting.objects.filter(account__isnull=False).values("account")
        .annotate(net=Sum(GLAccount.balance_change_expression()))
        .values_list("account", "net")
    )
    for pk, number, balance in Account.objects.values_list("pk", "account_number", "balance").iterator():
        posted = sums.get(pk) or ZERO
        if posted != balance:
            problems.append(f"account {number}: balance {balance:.2f} but postings sum to {posted:.2f}")
    # A difference of less than half a pesewa is SQLite's floating point, not money (PostgreSQL is exact).
    # Grouped by the postings' entry alone (not by every column of the entry): it runs at every end of day.
    unbalanced = dict((entry, (debit, credit)) for entry, debit, credit in (
        Posting.objects.values("entry").annotate(d=Sum("debit"), c=Sum("credit")).annotate(gap=F("d") - F("c"))
        .filter(Q(gap__gte=HALF_PESEWA) | Q(gap__lte=-HALF_PESEWA)).values_list("entry", "d", "c")))
    references = dict(JournalEntry.objects.filter(pk__in=list(unbalanced)).values_list("pk", "reference"))
    for entry, (debit, credit) in sorted(unbalanced.items()):
        problems.append(f"entry {references[entry]}: debits {debit or 0:.2f} != credits {credit or 0:.2f}")
    totals = Posting.objects.aggregate(d=Sum("debit"), c=Sum("credit"))
    debit, credit = totals["d"] or ZERO, totals["c"] or ZERO
    if debit != credit:
        problems.append(f"trial balance: total debits {debit:.2f} != total credits {credit:.2f}")
    return problems


class Command(BaseCommand):
    help = "Check every account balance against its postings and that the trial balance is zero."

    def handle(self, *args, **options):
        problems = find_differences()
        accounts = Account.objects.count()
        entries = JournalEntry.objects.count()
        if problems:
            for line in problems:
                self.stderr.write(line)
            raise CommandError(f"Ledger check FAILED: {len(problems)} difference(s) "
                               f"({accounts} accounts, {entries} entries checked).")
        self.stdout.write(self.style.SUCCESS(
            f"Ledger OK: {accounts} account balances match their postings; {entries} entries balance; "
            "trial balance is zero."))
