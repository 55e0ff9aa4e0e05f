"""Cash under concurrency on PostgreSQL: mobile bankers collecting in the field (two phones each,
retrying with the same Idempotency-Key), remitting to cashiers (twice at once, racing their own
collections) while the cashiers take deposits and pay withdrawals from the same drawers; then the
managers sign off the remittance variances, also twice at once.

Afterwards nothing is lost: each run's expected amount is exactly what its banker collected, each
run is remitted once, every drawer holds what the ledger says went through it, the branch's cash
moved by exactly what came in and went out, and verify_ledger finds no difference.

Runs only on PostgreSQL (DATABASE_URL=postgres://...); on SQLite it is skipped.
"""

import random
import threading
from collections import defaultdict
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import F, Q, Sum

from apps.audit.models import AuditEvent
from apps.cash import services as cash
from apps.cash.models import CollectionRun, DrawerCount
from apps.demo.cash_desk import count_for
from apps.ledger import chart, services
from apps.ledger.errors import LedgerError
from apps.ledger.management.commands.verify_ledger import find_differences
from apps.ledger.models import Account, GLAccount, Transaction
from apps.ledger.selectors import posted_balance
from apps.members.services import member_assign

from .factories import fund, make_member, open_account, open_drawer
from .test_concurrency_pg import cash_position, reference_data, run_threads  # noqa: F401 - reference_data is autouse

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="needs PostgreSQL row locks and concurrent connections (set DATABASE_URL)"),
    pytest.mark.django_db(transaction=True),
]

BANKERS = 4
PHONES = 2  # collecting threads per banker
MEMBERS_PER_BANKER = 3
COLLECTIONS = 24  # per phone; half the keys are shared with the banker's other phone (a retry)
REMIT_AFTER = 12  # collections (counting replays) before the banker's two remittance attempts start
CASHIERS = 2
CASHIER_OPERATIONS = 30
FLOAT = Decimal("100000.00")
BIG_LIMIT = Decimal("10000000.00")


def collection(banker_index: int, phone: int, i: int, accounts: list[Account]) -> tuple[str, int, Decimal]:
    """(idempotency key, account, amount) of one collection: even i are the same request on both phones."""
    if i % 2 == 0:
        key, rng = f"b{banker_index}-shared-{i}", random.Random(f"{banker_index}-{i}")
    else:
        key, rng = f"b{banker_index}-p{phone}-{i}", random.Random(f"{banker_index}-{phone}-{i}")
    return key, rng.choice(accounts).pk, Decimal(rng.choice([5, 10, 10, 20, 25, 50]))


def test_collections_remittances_and_counter_cash_at_once_keep_the_books(make_user):
    manager_a, manager_b = make_user("manager"), make_user("manager")
    ops = make_user("operations_manager")
    cashiers = [make_user("cashier", daily_transaction_limit=BIG_LIMIT) for _ in range(CASHIERS)]
    drawers = [open_drawer(cashier, FLOAT) for cashier in cashiers]
    bankers = [make_user("mobile_banker") for _ in range(BANKERS)]
    susu: dict[int, list[Account]] = {}
    for b, banker in enumerate(bankers):
        susu[b] = []
        for m in range(MEMBERS_PER_BANKER):
            member = make_member(registrar=cashiers[0], verifier=ops, first_name=f"Field{b}x{m}")
            member_assign(actor=manager_a, member=member, banker=banker)
            susu[b].append(open_account(actor=cashiers[0], member=member))
    counter = []  # the accounts the cashiers serve over the counter
    for first in ("Ama", "Kojo", "Efua"):
        member = make_member(registrar=cashiers[0], verifier=ops, first_name=first)
        counter.append(fund(open_account(actor=cashiers[0], member=member, kind="monthly_contribution"),
                            Decimal("2000.00"), cashier=cashiers[0]))
    drawer_before = {d.pk: cash.drawer_expected(d) for d in drawers}
    cash_before = cash_position()
    member_before = {a.pk: a.balance for a in Account.objects.all()}
    # A banker remits once about a third of their round is in, while both phones are still collecting.
    halfway = [threading.Event() for _ in bankers]
    progress, progress_lock = defaultdict(int), threading.Lock()

    def collector(b, phone):
        outcome = {"txns": {}, "refused": 0, "errors": []}
        for i in range(COLLECTIONS):
            key, account, amount = collection(b, phone, i, susu[b])
            try:
                # the round collects some members more than once a day: each repeat is confirmed
                txn = cash.field_collect(actor=bankers[b], account=account, amount=amount, confirm=True,
                                         idempotency_key=key)
                outcome["txns"][txn.pk] = txn.amount
                with progress_lock:
                    progress[b] += 1
                    if progress[b] >= REMIT_AFTER:
                        halfway[b].set()
            except LedgerError as exc:
                if exc.code != "run_remitted":
                    outcome["errors"].append(f"{exc.code}: {exc.message}")
                outcome["refused"] += 1
            except Exception as exc:  # a deadlock or a lost race must never reach the banker
                outcome["errors"].append(repr(exc))
        return outcome

    def remitter(b, attempt):
        """Count what the banker holds now and hand it in; collections may still land in between."""
        halfway[b].wait(timeout=60)
        cashier = cashiers[(b + attempt) % CASHIERS]
        try:
            run = CollectionRun.objects.get(banker=bankers[b])
            held = cash.field_cash_expected(run.gl_account)
            run = cash.field_remit(actor=bankers[b], cashier=cashier, denominations=count_for(held))
            return {"run": run.pk, "cashier": cashier.pk, "counted": run.counted_amount}
        except LedgerError as exc:
            return {"refused": exc.code}
        except Exception as exc:
            return {"error": repr(exc)}

    def teller(c):
        rng = random.Random(f"teller-{c}")
        outcome = {"in": Decimal("0"), "out": Decimal("0"), "errors": []}
        for _ in range(CASHIER_OPERATIONS):
            account = rng.choice(counter)
            amount = Decimal(rng.randint(100, 40000)) / 100
            try:
                if rng.random() < 0.5:
                    services.deposit_create(actor=cashiers[c], account=account.pk, amount=amount)
                    outcome["in"] += amount
                else:
                    services.withdrawal_create(actor=cashiers[c], account=account.pk, amount=amount)
                    outcome["out"] += amount
            except LedgerError as exc:
                if exc.code not in ("insufficient_funds", "drawer_short"):
                    outcome["errors"].append(f"{exc.code}: {exc.message}")
            except Exception as exc:
                outcome["errors"].append(repr(exc))
        return outcome

    jobs = ([("collect", b, p) for b in range(BANKERS) for p in range(PHONES)]
            + [("remit", b, attempt) for b in range(BANKERS) for attempt in range(2)]
            + [("teller", c, None) for c in range(CASHIERS)])

    def work(index):
        kind, who, extra = jobs[index]
        if kind == "collect":
            return collector(who, extra)
        if kind == "remit":
            return remitter(who, extra)
        return teller(who)

    results = run_threads(len(jobs), work)

    crashed = [r for r in results if isinstance(r, BaseException)]
    assert not crashed, crashed
    by_kind = defaultdict(list)
    for (kind, who, _), result in zip(jobs, results, strict=True):
        by_kind[kind].append((who, result))
    errors = [e for _, r in by_kind["collect"] + by_kind["teller"] for e in r["errors"]]
    errors += [r["error"] for _, r in by_kind["remit"] if "error" in r]
    assert errors == [], errors[:5]

    # Each banker's run was remitted exactly once; the other attempt was told so.
    remits = defaultdict(list)
    for b, result in by_kind["remit"]:
        remits[b].append(result)
    collected = {b: {} for b in range(BANKERS)}
    for b, result in by_kind["collect"]:
        collected[b].update(result["txns"])
    received = defaultdict(lambda: Decimal("0"))
    for b in range(BANKERS):
        done = [r for r in remits[b] if "run" in r]
        assert len(done) == 1, remits[b]
        assert [r["refused"] for r in remits[b] if "refused" in r] == ["already_remitted"]
        run = CollectionRun.objects.get(pk=done[0]["run"])
        assert run.status in (CollectionRun.Status.REMITTED, CollectionRun.Status.PENDING_APPROVAL)
        assert DrawerCount.objects.filter(run=run, purpose=DrawerCount.Purpose.REMITTANCE).count() == 1
        assert AuditEvent.objects.filter(action__startswith="cash.field_remit", target_id=str(run.pk)).count() == 1
        # no lost update: the run expected exactly the collections that got in before it, and none after
        assert set(collected[b]) == set(Transaction.objects.filter(initiated_by=bankers[b]).exclude(
            status=Transaction.Status.FAILED).values_list("pk", flat=True))
        assert run.expected_amount == sum(collected[b].values(), Decimal("0")), f"banker {b}"
        assert run.variance == run.counted_amount - run.expected_amount
        # what is still on the banker's field cash is exactly the difference waiting for a manager
        waiting = -run.variance if run.status == CollectionRun.Status.PENDING_APPROVAL else Decimal("0")
        assert cash.gl_balance(run.gl_account) == waiting
        received[done[0]["cashier"]] += run.counted_amount

    # Every drawer holds what went through it: its float, counter cash and the remittances counted in.
    tellers = {cashiers[c].pk: r for c, r in by_kind["teller"]}
    for drawer in drawers:
        teller_result = tellers[drawer.cashier_id]
        expected = drawer_before[drawer.pk] + teller_result["in"] - teller_result["out"] + received[drawer.cashier_id]
        assert cash.drawer_expected(drawer) == expected, f"drawer of cashier {drawer.cashier_id}"
        drawer.refresh_from_db()
        assert drawer.status == "open"

    # The managers sign off what waits, two at once for each: each variance is posted once.
    pending = list(CollectionRun.objects.filter(status=CollectionRun.Status.PENDING_APPROVAL))
    if pending:
        decisions = run_threads(len(pending) * 2, lambda i: _sign_off(pending[i // 2], (manager_a, manager_b)[i % 2]))
        for i, run in enumerate(pending):
            pair = decisions[2 * i: 2 * i + 2]
            assert sorted(str(d) for d in pair) == ["not_pending", "ok"], (run, pair)
    over_short = cash.gl_balance(GLAccount.objects.get(code=chart.CASH_VARIANCE))
    runs = list(CollectionRun.objects.all())
    assert {run.status for run in runs} == {CollectionRun.Status.REMITTED}
    assert over_short == -sum((run.variance for run in runs), Decimal("0"))
    for run in runs:
        assert cash.gl_balance(run.gl_account) == 0

    # Members got every collection once; counter accounts moved by exactly the tellers' cash.
    for b in range(BANKERS):
        for account in Account.objects.filter(pk__in=[a.pk for a in susu[b]]).select_related(
                "product__control_account"):
            paid = (Transaction.objects.filter(to_account=account, initiated_by=bankers[b])
                    .exclude(status=Transaction.Status.FAILED)
                    .aggregate(s=Sum(F("amount") - F("fee")))["s"] or Decimal("0"))
            assert account.balance == member_before[account.pk] + paid == posted_balance(account)
    total_collected = sum((sum(c.values(), Decimal("0")) for c in collected.values()), Decimal("0"))
    counter_in = sum((r["in"] for r in tellers.values()), Decimal("0"))
    counter_out = sum((r["out"] for r in tellers.values()), Decimal("0"))
    counter_after = sum(Account.objects.filter(pk__in=[a.pk for a in counter]).values_list("balance", flat=True))
    fees = (Transaction.objects.filter(Q(to_account__in=counter) | Q(from_account__in=counter),
                                       initiated_by__in=cashiers).exclude(status=Transaction.Status.FAILED)
            .aggregate(s=Sum("fee"))["s"] or Decimal("0"))
    assert counter_after == sum(member_before[a.pk] for a in counter) + counter_in - counter_out - fees
    # The branch's cash moved by what came in and went out, plus the count differences written off.
    assert cash_position() - cash_before == total_collected + counter_in - counter_out + sum(
        (run.variance for run in runs), Decimal("0"))
    assert find_differences() == []


def _sign_off(run, manager) -> str:
    try:
        cash.field_remit_approve(actor=manager, run=run, note="Recounted at the branch")
        return "ok"
    except LedgerError as exc:
        return exc.code
