"""The posting engine: the one way money enters the books.

Its public entry is `entry_post(entries=[Entry(lines, description, transaction)], actor=...,
business_date=...)`: every movement — teller, portal, API, field collection, cash, cheques, end of
day in bulk (`post_system_batch`), and loans — ends there. Around it, the engine owns the one lock
function (`lock_accounts`), the one idempotency mechanism (`idempotent`, an `IdempotencyRecord` per
user and key written in the same database transaction as what the request made) and the one
history mechanism for the rows it creates (`transactions_record`). The sign rule of a posting is
`GLAccount.balance_change`; the business rules (fees, limits, funds) live in `services.py`.

Lock order is always: the initiating user's row (for daily limits: only movements that take money
out lock it, FOR NO KEY UPDATE), then member accounts by primary key, then whatever the cash app
locks (the drawer or the field run). Every writer follows it, so two concurrent movements never
deadlock; PostgreSQL may still report a serialization failure under load, which
`retry_on_conflict` absorbs.

A single movement (`services._submit`) runs on a short path with few statements and little
ORM work (the ORM's query compilation costs more CPU than PostgreSQL takes to run these
statements): see "The hot path of one movement" below.
"""

import datetime
import functools
import hashlib
import json
import random
import secrets
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DEFAULT_DB_ALIAS, IntegrityError, OperationalError, connection, connections, models
from django.db import transaction as db_transaction
from django.db.models import F
from django.db.models.functions import Round
from django.utils import timezone

from apps.core.models import BusinessDay
from apps.members.models import Member

from .errors import LedgerError
from .models import (
    ZERO,
    Account,
    GLAccount,
    IdempotencyRecord,
    JournalEntry,
    LedgerPolicy,
    Posting,
    Product,
    ServiceCharge,
    Transaction,
)


@dataclass(frozen=True)
class Line:
    gl: GLAccount
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    account: Account | None = None


REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # 32 symbols, no 0/O or 1/I


def new_reference(prefix: str, business_date) -> str:
    # One read of the system's random source for all 8 symbols (secrets.choice reads it once per
    # symbol): 256 is a multiple of 32, so the low five bits of each byte pick every symbol equally.
    return f"{prefix}{business_date:%y%m%d}{''.join(REFERENCE_ALPHABET[b & 31] for b in secrets.token_bytes(8))}"


def balance_effect(lines: list[Line]) -> dict[int, Decimal]:
    """How much each member account's balance changes (balances are kept on the account's normal side)."""
    effect: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        if line.account is not None:
            effect[line.account.pk] += line.gl.balance_change(line.debit, line.credit)
    return dict(effect)


def holds_for(lines: list[Line]) -> dict[int, Decimal]:
    """What a pending transaction reserves on each account: whatever it would take out."""
    return {pk: -delta for pk, delta in balance_effect(lines).items() if delta < 0}


@dataclass
class Entry:
    """One balanced journal entry for `entry_post`: its lines, a description, and the transaction it
    records — a new one (created here, with its history row) or one already saved (a movement
    approved after waiting, a cheque's settlement has none)."""

    lines: list[Line]
    description: str
    transaction: Transaction | None = None
    reverses: JournalEntry | None = None


def entry_post(*, entries: list[Entry], actor, business_date) -> list[JournalEntry]:
    """The one way money enters the books: every deposit, withdrawal, transfer, fee, reversal, cash
    move, cheque, end-of-day posting (in bulk) and loan goes through here.

    For each entry: the new transaction row and its "+" history row, one balanced JournalEntry, its
    postings, and the member accounts' materialised balances moved — in bulk statements whatever the
    number of entries, inside the caller's database transaction. The member accounts the lines touch
    must already be locked with `lock_accounts` (the one lock order: the acting user's row for money
    going out, then accounts by primary key, then the cash app's rows), and the caller has checked
    the business rules under those locks. Raises ValueError on an unbalanced or empty entry."""
    entries = list(entries)
    for entry in entries:
        debits = sum((line.debit for line in entry.lines), ZERO)
        credits = sum((line.credit for line in entry.lines), ZERO)
        if debits != credits or debits <= 0:
            raise ValueError(f"Unbalanced entry: debits {debits} != credits {credits}.")
    new = [entry.transaction for entry in entries if entry.transaction is not None and entry.transaction.pk is None]
    transactions_record(new, actor=actor)
    journal = [JournalEntry(reference=new_reference("JE", business_date), transaction=entry.transaction,
                            business_date=business_date, description=entry.description[:255], created_by=actor,
                            reverses=entry.reverses) for entry in entries]
    insert_new(journal)
    insert_new([Posting(entry=journal_entry, gl_account=line.gl, account=line.account, debit=line.debit,
                        credit=line.credit)
                for entry, journal_entry in zip(entries, journal, strict=True)
                for line in entry.lines if line.debit or line.credit], returning=False)
    effect: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for entry in entries:
        for pk, delta in balance_effect(entry.lines).items():
            effect[pk] += delta
    move_balances({pk: delta for pk, delta in effect.items() if delta})
    return journal


def transactions_record(transactions: list[Transaction], *, actor) -> None:
    """Insert new Transaction rows and their "+" history rows: the engine's one history mechanism.

    The history row is the one simple-history's public bulk API (`HistoryManager.bulk_history_create`)
    makes — the history model's `tracked_fields`, `history_type` "+", the acting user, the time — built
    here and inserted with the engine's own statements, so a movement pays for no ORM compilation.
    No post_save is sent for these rows: the engine is their only writer. Later changes of a
    transaction (approved, rejected) are ordinary `save()`s that simple-history records itself.
    A balance is not a history row: the postings are the history of a balance."""
    if not transactions:
        return
    insert_new(transactions)
    if not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return
    history_model = _memo(("history", Transaction._meta.label), lambda: Transaction.history.model)
    tracked = [field.attname for field in history_model.tracked_fields]
    now = timezone.now()
    insert_new([history_model(history_date=now, history_type="+", history_user=actor, history_change_reason=None,
                              **{name: getattr(txn, name) for name in tracked}) for txn in transactions],
               returning=False)


def hold_place(*, transaction: Transaction, lines: list[Line], actor) -> None:
    """Record a movement that waits for a second person: the pending transaction (with its history
    row) and a hold on what it would take out of each account. Accounts already locked."""
    transactions_record([transaction], actor=actor)
    for pk, amount in holds_for(lines).items():
        adjust_hold(pk, amount)


def hold_release(*, lines: list[Line]) -> None:
    """Release what a pending movement held (it was approved, rejected or cancelled). Accounts already locked."""
    for pk, amount in holds_for(lines).items():
        adjust_hold(pk, -amount)


def move_balances(effect: dict[int, Decimal]) -> None:
    """Add each delta to its account's materialised balance: one UPDATE per batch of accounts (the rows
    are already locked). Plain SQL, like an F() update: no signal, no history — the postings are the
    history of a balance."""
    ids = sorted(effect)
    for start in range(0, len(ids), MAX_ROWS_PER_UPDATE):
        chunk = ids[start:start + MAX_ROWS_PER_UPDATE]
        sql = _statement(("balances", len(chunk)), functools.partial(_balances_sql, len(chunk)))
        params = [value for pk in chunk for value in (pk, effect[pk])] + chunk
        with ledger_cursor() as cursor:
            cursor.execute(sql, params)


MAX_ROWS_PER_UPDATE = 300  # 3 parameters per account: within SQLite's smallest limit of 999


def _balances_sql(count: int) -> str:
    cases = " ".join(f"WHEN {_qn('id')} = %s THEN CAST(%s AS NUMERIC)" for _ in range(count))
    # ROUND to the pesewa: SQLite keeps money as binary floats, where 53.91 - 53.91 can be -7e-15;
    # PostgreSQL's exact numeric is unchanged by it.
    return (f"UPDATE {_qn(Account._meta.db_table)} SET {_qn('balance')} = "
            f"ROUND({_qn('balance')} + CASE {cases} END, 2) WHERE {_qn('id')} IN ({', '.join(['%s'] * count)})")


def adjust_hold(account_id: int, delta: Decimal) -> None:
    """Add `delta` (negative to release) to an account's held balance; the row is already locked.
    Rounded to the pesewa in the database, as move_balances is: on SQLite a hold of 20.00 + 33.91
    released by 53.91 could otherwise come out as -7e-15, which the held_balance >= 0 constraint refuses."""
    Account.objects.filter(pk=account_id).update(held_balance=Round(F("held_balance") + delta, 2))


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


# --- idempotency: one mechanism for every request that makes something -----------------------------

@dataclass(frozen=True)
class Idempotency:
    """A request's idempotency key (the API's Idempotency-Key header, a form's hidden field) and a
    hash of what it asked for, so a retry is recognised and a reused key with another request refused."""

    key: str | None
    scope: str
    request_hash: str

    @classmethod
    def of(cls, key: str | None, scope: str, **request) -> "Idempotency":
        payload = json.dumps({"scope": scope, **request}, sort_keys=True, default=str)
        return cls((key or "").strip() or None, scope, hashlib.sha256(payload.encode()).hexdigest())


def idempotent_replay(*, actor, idempotency: Idempotency, model=Transaction):
    """What the first request with this key made (a `model` row), or None if the key is new. Raises
    LedgerError `idempotency_conflict` when the key was used for a different request."""
    if not idempotency.key:
        return None
    found = IdempotencyRecord.objects.filter(user=actor, key=idempotency.key).select_related("transaction").first()
    if found is None:
        return None
    if found.request_hash != idempotency.request_hash:
        raise LedgerError("idempotency_conflict",
                          "This Idempotency-Key was already used for a different request. Use a new key.")
    if model is Transaction:
        return found.transaction
    return model._default_manager.get(pk=found.result_id)


def idempotency_result(*, actor, key: str | None, scope: str, model):
    """What a form with this one-time key already made in `scope`, before its fields are checked again
    (a double tap on a form whose fields are unique, such as a registration, would otherwise be
    refused as a duplicate instead of showing what the first tap did)."""
    found = (IdempotencyRecord.objects.filter(user=actor, key=key, scope=scope).first() if key else None)
    if found is None:
        return None
    return found.transaction if model is Transaction else model._default_manager.filter(pk=found.result_id).first()


def idempotency_key_used(*, actor, key: str | None) -> bool:
    """Whether `actor` already made something with this key (a retry is coming in)."""
    return bool(key) and IdempotencyRecord.objects.filter(user=actor, key=key).exists()


def idempotent(*, actor, idempotency: Idempotency, run: Callable, model=Transaction):
    """Run `run()` once per key: in one database transaction with the IdempotencyRecord of its result.

    The key is looked up only when `run` fails: a retry of a request that was done either fails on
    the record's (user, key) unique constraint (inserted last) or earlier on a rule the first result
    now breaks (the money is gone); both roll back everything and answer with the first result. A new
    key, the usual case, costs no extra query. Inside a caller's transaction the record commits
    with it."""
    try:
        with db_transaction.atomic():
            result = run()
            if idempotency.key:
                insert_new([IdempotencyRecord(
                    user=actor, key=idempotency.key, scope=idempotency.scope, request_hash=idempotency.request_hash,
                    transaction=result if model is Transaction else None,
                    result_id=None if model is Transaction else result.pk)])
            return result
    except (LedgerError, ValidationError, PermissionDenied, IntegrityError):
        replayed = idempotent_replay(actor=actor, idempotency=idempotency, model=model)
        if replayed is None:
            raise
        return replayed


@dataclass(frozen=True)
class SystemItem:
    """One bank-initiated movement for `post_system_batch`: credit or debit `amount` to a member account."""

    account_id: int
    amount: Decimal
    description: str


def _refuses_system_item(account: Account, item: SystemItem, member_side: str) -> bool:
    """Nothing reaches a closed account, and nothing leaves one beyond its available funds. A frozen
    or dormant account still pays what the bank has earned under the product's terms (a Susu
    cycle's commission on its own contributions): a freeze stops the member's movements, not the
    product's; callers that must skip such accounts (scheduled fees) choose active ones."""
    if account.status == Account.Status.CLOSED:
        return True
    return member_side == "debit" and account.balance - account.held_balance < item.amount


def post_system_batch(*, actor, business_date, txn_type: str, counterparty: GLAccount, member_side: str,
                      items: list[SystemItem], chunk: int = 1000) -> tuple[dict[int, Transaction], list[int]]:
    """Post bank-initiated movements (interest, commission, fees, dividends), one or thousands at once.

    Same rules as a movement a person makes — each is its own transaction and balanced entry, member
    accounts are locked in primary-key order and debits need available funds — posted through
    `entry_post` in chunks, so end of day for thousands of accounts takes seconds. Runs inside the
    caller's transaction. Returns the transactions by account id and the account ids refused
    (closed, or short of funds)."""
    posted: dict[int, Transaction] = {}
    refused: list[int] = []
    items = sorted((item for item in items if item.amount > 0), key=lambda item: item.account_id)
    now = timezone.now()
    for start in range(0, len(items), chunk):
        batch = items[start:start + chunk]
        accounts = lock_accounts([item.account_id for item in batch])
        entries = []
        for item in batch:
            account = accounts[item.account_id]
            if _refuses_system_item(account, item, member_side):
                refused.append(item.account_id)
                continue
            member = Line(gl=account.product.control_account, account=account)
            other = Line(gl=counterparty)
            if member_side == "credit":
                lines = [replace(other, debit=item.amount), replace(member, credit=item.amount)]
            else:
                lines = [replace(member, debit=item.amount), replace(other, credit=item.amount)]
            txn = Transaction(transaction_type=txn_type, status=Transaction.Status.COMPLETED, amount=item.amount,
                              from_account=account if member_side == "debit" else None,
                              to_account=account if member_side == "credit" else None, counterparty_gl=counterparty,
                              description=item.description[:255], channel="system", business_date=business_date,
                              initiated_by=actor, reference=new_reference("TX", business_date), completed_at=now)
            entries.append(Entry(lines=lines, description=txn.description, transaction=txn))
            posted[item.account_id] = txn
        entry_post(entries=entries, actor=actor, business_date=business_date)
    return posted, refused


# --- The hot path of one movement -------------------------------------------------------------------
#
# A deposit, withdrawal or transfer used to cost about 17 statements and 6-7 ms of Python CPU, most of
# it in Django compiling queries. Here each read the hot path makes is one plain SQL statement whose
# text is built once per process; rows become model instances with the backend's own converters,
# exactly as the ORM would make them. The reads are:
#
# 1. `movement_context`: the open business date, a stamp of the reference tables and, for money
#    going out, the initiating user's row locked FOR UPDATE (with their current daily limit): one
#    statement.
# 2. `lock_for_movement`: the member accounts, locked FOR UPDATE in primary-key order, with the
#    member fields the checks read (not the encrypted national ID, which would be decrypted on load).
#    Products and their control GL accounts come from the reference cache.
# 3. `outgoing_today`: the user's and the account's outgoing total for the business date, in one
#    SUM over the Transaction indexes (initiated_by, business_date) and (from_account, business_date),
#    after both locks.
#
# Reference rows (the chart of accounts, products and their rules, service charges, the four-eyes
# threshold) change rarely but are money rules, so a cache with a time-to-live would be wrong, and so
# would invalidation by signals (queryset.update(), raw SQL, the admin of another process and data
# migrations send none). Each process keeps one copy and checks, in statement 1 of every movement, a
# stamp of those four tables computed by the database from their contents:
#
# - PostgreSQL: md5 of every row's text, in primary-key order, per table (32 characters each; the
#   database hashes a few kilobytes). Row versions (xmin) would be cheaper but miss a second change
#   made by the same transaction.
# - SQLite (and anything else): the rows' text itself, concatenated in the database; a few
#   kilobytes, compared in memory.
#
# Any write — committed by anyone, or made earlier in the same transaction — changes the stamp, and a
# rolled-back one leaves it as it was. A movement therefore sees exactly the reference rows a fresh
# query at that statement would have seen. A table whose stamp changed is read again together with
# its stamp in one statement (one snapshot), and cached under that stamp: cached rows always match
# the stamp they are kept under, even if the table changed again in between.

REFERENCE_MODELS = (GLAccount, Product, ServiceCharge, LedgerPolicy)
MEMBER_FIELDS = ("id", "first_name", "other_names", "last_name", "kyc_status", "status", "user",
                 "assigned_banker")
_cache_lock = threading.Lock()
_references: dict[str, "Reference"] = {}
_statements: dict[tuple, object] = {}


def _qn(name: str) -> str:
    return connection.ops.quote_name(name)


def ledger_cursor():
    """A cursor for the ledger's own plain-SQL statements, wrapped like connection.cursor() (errors,
    query logging, execute wrappers). On PostgreSQL with psycopg 3 it binds parameters on the server
    and the connection prepares each statement the first time it runs it: PostgreSQL then parses and
    plans the hot statements once per connection instead of on every movement, which halves its CPU
    per transfer (planning these joins and inserts over tables with many indexes cost more than running
    them). The rest of the application keeps Django's client-side binding, which never prepares.

    Settings: DATABASES OPTIONS `server_side_binding` True (the whole application binds on the server)
    or an explicit `prepare_threshold` are left as they are; LEDGER_PREPARED_STATEMENTS = False turns
    this off (a connection pooler in transaction mode that cannot keep prepared statements, say)."""
    db = connections[DEFAULT_DB_ALIAS]
    options = db.settings_dict.get("OPTIONS", {})
    if (db.vendor != "postgresql" or not getattr(settings, "LEDGER_PREPARED_STATEMENTS", True)
            or options.get("server_side_binding") is True):
        return db.cursor()
    from django.db.backends.postgresql import base as postgresql

    if not postgresql.is_psycopg3:
        return db.cursor()
    db.ensure_connection()
    db.validate_thread_sharing()
    if "prepare_threshold" not in options:
        db.connection.prepare_threshold = 0  # only server-binding cursors (these) ever prepare
    with db.wrap_database_errors:
        raw = postgresql.ServerBindingCursor(db.connection)
    return db.make_debug_cursor(raw) if db.queries_logged else db.make_cursor(raw)


def _memo(key, build):
    """Per-process memo of things derived from the models and the database backend."""
    key = (connection.vendor, *key)  # `connection`: the default database, the only one the ledger uses
    try:
        return _statements[key]
    except KeyError:
        value = _statements[key] = build()
        return value


MEMO_MAX_ROWS = 8


def _statement(key, build):
    """SQL for a statement whose text depends on a row count (key[1]): kept per process for the few
    counts single movements use, built afresh for the many counts of bulk work."""
    return _memo(key, build) if key[1] <= MEMO_MAX_ROWS else build()


class _Reader:
    """Columns of one model in a SELECT, turned back into a model instance the way the ORM does it
    (the backend's and the fields' converters applied, unselected fields deferred)."""

    def __init__(self, model, alias: str, field_names=None):
        opts = model._meta
        self.model = model
        wanted = {opts.get_field(name) for name in field_names} if field_names else None
        # in the model's field order: Model.from_db() matches values to fields in that order
        self.fields = [field for field in opts.concrete_fields if wanted is None or field in wanted]
        self.names = [field.attname for field in self.fields]
        self.sql = ", ".join(f"{alias}.{_qn(field.column)}" for field in self.fields)
        self.converters = []
        for index, field in enumerate(self.fields):
            column = field.get_col(alias)
            funcs = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
            if funcs:
                self.converters.append((index, column, funcs))

    def __len__(self):
        return len(self.fields)

    def make(self, values):
        values = list(values)
        for index, column, funcs in self.converters:
            for func in funcs:
                values[index] = func(values[index], column, connection)
        return self.model.from_db(connection.alias, self.names, values)


def _table_stamp_sql(model, alias: str) -> str:
    """A scalar sub-select: the stamp of one reference table (see the comment above)."""
    table, pk = _qn(model._meta.db_table), _qn(model._meta.pk.column)
    if connection.vendor == "postgresql":
        return f"(SELECT md5(string_agg({alias}::text, ',' ORDER BY {alias}.{pk})) FROM {table} {alias})"
    row = " || ',' || ".join(f"quote({alias}.{_qn(f.column)})" for f in model._meta.concrete_fields)
    return f"(SELECT group_concat(r, ';') FROM (SELECT {row} AS r FROM {table} {alias} ORDER BY {alias}.{pk}))"


def _stamp_sql() -> str:
    return ", ".join(_table_stamp_sql(model, f"s{i}") for i, model in enumerate(REFERENCE_MODELS))


def _load_table(model) -> tuple[str | None, list]:
    """Every row of a reference table and its stamp, read by one statement (so from one snapshot)."""
    def build():
        reader = _Reader(model, "r")
        sql = (f"SELECT {_table_stamp_sql(model, 's')}, {reader.sql} FROM {_qn(model._meta.db_table)} r "
               f"ORDER BY r.{_qn(model._meta.pk.column)}")
        return sql, reader

    sql, reader = _memo(("table", model._meta.label), build)
    with ledger_cursor() as cursor:
        cursor.execute(sql)
        rows = cursor.fetchall()
    return (rows[0][0] if rows else None), [reader.make(row[1:]) for row in rows]


class Reference:
    """The reference rows one movement uses: the four tables as they were when their stamps were read.
    Instances handed out are fresh copies, so a caller that changes one (and perhaps saves it) never
    changes what another movement sees."""

    def __init__(self, tables: dict):
        self.stamp = tuple(tables[model][0] for model in REFERENCE_MODELS)
        self.tables = tables
        gl_names = [f.attname for f in GLAccount._meta.concrete_fields]
        product_names = [f.attname for f in Product._meta.concrete_fields]
        self._gl = {gl.pk: tuple(getattr(gl, name) for name in gl_names) for gl in tables[GLAccount][1]}
        self._gl_code = {gl.code: gl.pk for gl in tables[GLAccount][1]}
        self._products = {p.pk: tuple(getattr(p, name) for name in product_names) for p in tables[Product][1]}
        self._control = Product._meta.get_field("control_account")
        self.charges = [(c.transaction_type, c.product_id, c.kind, c.amount, c.rate, c.minimum, c.maximum)
                        for c in tables[ServiceCharge][1] if c.is_active]
        # LedgerPolicy.current(): the first row by pk (the table is read in pk order)
        self.approval_threshold = tables[LedgerPolicy][1][0].approval_threshold

    def gl(self, pk: int) -> GLAccount:
        return GLAccount.from_db(connection.alias, None, self._gl[pk])

    def gl_code(self, code: str) -> GLAccount:
        return self.gl(self._gl_code[code])

    def product(self, pk: int) -> Product:
        product = Product.from_db(connection.alias, None, self._products[pk])
        self._control.set_cached_value(product, self.gl(product.control_account_id))
        return product


def _reference_now() -> "Reference":
    return reference()


def reference_stamp() -> tuple:
    sql = _memo(("stamp",), lambda: f"SELECT {_stamp_sql()}")
    with ledger_cursor() as cursor:
        cursor.execute(sql)
        return tuple(cursor.fetchone())


def reference(stamp: tuple | None = None) -> Reference:
    """The reference rows for this stamp (read now when not given). A table whose stamp differs from
    the cached copy's is read again, with its stamp, in one statement; the cache keeps what was read
    under the stamp read with it, so it never holds rows under a stamp they do not have."""
    if stamp is None:
        stamp = reference_stamp()
    cached = _references.get(connection.alias)
    if cached is not None and cached.stamp == stamp:
        return cached
    tables = dict(cached.tables) if cached is not None else {}
    for model, table_stamp in zip(REFERENCE_MODELS, stamp, strict=True):
        if model not in tables or tables[model][0] != table_stamp:
            tables[model] = _load_table(model)
    if not tables[LedgerPolicy][1]:
        LedgerPolicy.current()  # creates the bank's policy row with its defaults, as it always has
        tables[LedgerPolicy] = _load_table(LedgerPolicy)
    fresh = Reference(tables)
    with _cache_lock:
        _references[connection.alias] = fresh
    return fresh


@dataclass
class MovementContext:
    business_date: datetime.date | None  # None: no day is open (core.business_day says why)
    reference: Reference
    user_limit: Decimal | None = None  # the locked user's daily limit, when a user row was locked


def _context_sql(lock_user: bool) -> tuple[str, list]:
    day = BusinessDay._meta
    sql = (f"SELECT (SELECT {_qn(day.get_field('date').column)} FROM {_qn(day.db_table)} "
           f"WHERE {_qn(day.get_field('status').column)} = %s ORDER BY {_qn(day.get_field('date').column)} DESC "
           f"LIMIT 1), {_stamp_sql()}")
    if not lock_user:
        return sql, [_Reader(BusinessDay, "d", ["date"])]
    user = get_user_model()._meta
    limit = user.get_field("daily_transaction_limit")
    sql += (f", u.{_qn(limit.column)} FROM {_qn(user.db_table)} u WHERE u.{_qn(user.pk.column)} = %s")
    # FOR NO KEY UPDATE: it serialises this user's outgoing movements (and the cash services' work
    # for them, which takes the same lock), but not the key-share lock PostgreSQL's foreign-key
    # checks take on the user's row when a deposit they make commits. With FOR UPDATE a deposit
    # (holding its account) and a withdrawal by the same cashier (holding the user row, waiting
    # for the account) deadlock at the deposit's COMMIT.
    if connection.features.has_select_for_no_key_update:
        sql += " FOR NO KEY UPDATE OF u"
    elif connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    return sql, [_Reader(BusinessDay, "d", ["date"]), _Reader(get_user_model(), "u", ["daily_transaction_limit"])]


def movement_context(*, lock_user_id: int | None = None) -> MovementContext:
    """Statement 1 of a movement: the open business date and the reference stamp, and with
    `lock_user_id` that user's row locked (it serialises their daily-limit checks)."""
    sql, readers = _memo(("context", lock_user_id is not None), lambda: _context_sql(lock_user_id is not None))
    params = [BusinessDay.Status.OPEN] + ([lock_user_id] if lock_user_id is not None else [])
    with ledger_cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        raise get_user_model().DoesNotExist("The user who started this movement no longer exists.")
    n = len(REFERENCE_MODELS)
    business_date = readers[0].make([row[0]]).date if row[0] is not None else None
    user_limit = readers[1].make([row[-1]]).daily_transaction_limit if lock_user_id is not None else None
    return MovementContext(business_date=business_date, reference=reference(tuple(row[1:1 + n])),
                           user_limit=user_limit)


def _lock_sql(count: int, with_member: bool):
    account = _Reader(Account, "a")
    member = _Reader(Member, "m", MEMBER_FIELDS) if with_member else None
    columns = account.sql + (f", {member.sql}" if member else "")
    joins = (f" INNER JOIN {_qn(Member._meta.db_table)} m ON m.{_qn('id')} = a.{_qn('member_id')}"
             if member else "")
    sql = (f"SELECT {columns} FROM {_qn(Account._meta.db_table)} a{joins} "
           f"WHERE a.{_qn('id')} IN ({', '.join(['%s'] * count)}) ORDER BY a.{_qn('id')}")
    if connection.features.has_select_for_update_of:
        sql += " FOR UPDATE OF a"
    elif connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    return sql, account, member


def lock_accounts(account_ids, *, reference: "Reference | None" = None,
                  with_member: bool = False) -> dict[int, Account]:
    """The one way to lock member accounts: FOR UPDATE, in primary-key order (statement 2 of a
    movement). Each account comes with its product (and the product's control GL account) from
    `reference` (read now when not given), and with the member's names, KYC and status when
    `with_member` (other member fields load on first use)."""
    ids = sorted({pk for pk in account_ids if pk is not None})
    if not ids:
        return {}
    if reference is None:
        reference = _reference_now()
    sql, account_reader, member_reader = _statement(("lock", len(ids), with_member),
                                                    lambda: _lock_sql(len(ids), with_member))
    with ledger_cursor() as cursor:
        cursor.execute(sql, ids)
        rows = cursor.fetchall()
    product_field = Account._meta.get_field("product")
    member_field = Account._meta.get_field("member")
    split = len(account_reader)
    locked = {}
    for row in rows:
        account = account_reader.make(row[:split])
        product_field.set_cached_value(account, reference.product(account.product_id))
        if member_reader is not None:
            member_field.set_cached_value(account, member_reader.make(row[split:]))
        locked[account.pk] = account
    return locked


def _outgoing_sql(with_account: bool, n_types: int, n_statuses: int):
    t = Transaction._meta
    col = {name: f"t.{_qn(t.get_field(name).column)}" for name in
           ("amount", "initiated_by", "from_account", "business_date", "transaction_type", "status")}
    where = (f"{col['business_date']} = %s AND {col['transaction_type']} IN ({', '.join(['%s'] * n_types)}) "
             f"AND {col['status']} IN ({', '.join(['%s'] * n_statuses)})")
    if with_account:
        sql = (f"SELECT SUM(CASE WHEN {col['initiated_by']} = %s THEN {col['amount']} ELSE 0 END), "
               f"SUM(CASE WHEN {col['from_account']} = %s THEN {col['amount']} ELSE 0 END) "
               f"FROM {_qn(t.db_table)} t WHERE {where} "
               f"AND ({col['initiated_by']} = %s OR {col['from_account']} = %s)")
    else:
        sql = f"SELECT SUM({col['amount']}) FROM {_qn(t.db_table)} t WHERE {where} AND {col['initiated_by']} = %s"
    return sql, _Reader(Transaction, "t", ["amount"])


def outgoing_today(*, business_date, user_id: int, account_id: int | None,
                   types, statuses) -> tuple[Decimal, Decimal | None]:
    """Statement 3: what `user_id` (and, when given, what left `account_id`) moved out on the business
    date, counting transactions of `types` in `statuses`. Run it after the user and account locks."""
    types, statuses = list(types), list(statuses)
    with_account = account_id is not None
    sql, reader = _memo(("outgoing", with_account, len(types), len(statuses)),
                        lambda: _outgoing_sql(with_account, len(types), len(statuses)))
    params = [connection.ops.adapt_datefield_value(business_date), *types, *statuses]
    params = [user_id, account_id, *params, user_id, account_id] if with_account else [*params, user_id]
    with ledger_cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    sums = [reader.make([value]).amount if value is not None else ZERO for value in row]
    return sums[0], (sums[1] if with_account else None)


PEEK_FIELDS = ("id", "account_number", "member", "product", "status")


def _peek_sql(n_pks: int, n_numbers: int, with_member: bool):
    account = _Reader(Account, "a", PEEK_FIELDS)
    member = _Reader(Member, "m", MEMBER_FIELDS) if with_member else None
    columns = account.sql + (f", {member.sql}" if member else "")
    joins = (f" INNER JOIN {_qn(Member._meta.db_table)} m ON m.{_qn('id')} = a.{_qn('member_id')}"
             if member else "")
    where = []
    if n_pks:
        where.append(f"a.{_qn('id')} IN ({', '.join(['%s'] * n_pks)})")
    if n_numbers:
        where.append(f"a.{_qn('account_number')} IN ({', '.join(['%s'] * n_numbers)})")
    sql = f"SELECT {columns} FROM {_qn(Account._meta.db_table)} a{joins} WHERE {' OR '.join(where)}"
    return sql, account, member


def peek_accounts(*, pks=(), numbers=(), with_member: bool = False) -> list[Account]:
    """Accounts named by a request, read before the movement's transaction without locking: only
    their number, member, product and status are loaded (balances and rules are read again under
    the lock), and the member's names, KYC, status, user and banker when `with_member`. Any other
    field loads on first use."""
    pks, numbers = [pk for pk in pks if pk is not None], [n for n in numbers if n]
    if not pks and not numbers:
        return []
    sql, account_reader, member_reader = _memo(("peek", len(pks), len(numbers), with_member),
                                               lambda: _peek_sql(len(pks), len(numbers), with_member))
    with ledger_cursor() as cursor:
        cursor.execute(sql, [*pks, *numbers])
        rows = cursor.fetchall()
    member_field = Account._meta.get_field("member")
    split = len(account_reader)
    found = []
    for row in rows:
        account = account_reader.make(row[:split])
        if member_reader is not None:
            member_field.set_cached_value(account, member_reader.make(row[split:]))
        found.append(account)
    return found


# --- writes without the ORM's per-call compilation --------------------------------------------------

_PLAIN_TYPES = {  # fields whose get_db_prep_save() returns a value of this type (or None) unchanged
    models.CharField: str, models.TextField: str, models.BooleanField: bool, models.DecimalField: Decimal,
    models.IntegerField: int, models.BigIntegerField: int, models.PositiveIntegerField: int,
    models.PositiveSmallIntegerField: int, models.SmallIntegerField: int,
}
_PLAIN_KEYS = (models.AutoField, models.BigAutoField, models.IntegerField, models.BigIntegerField)


class _NoneOnly:
    """For fields that store None as None but prepare any other value (dates, times)."""


def _plain_type(field):
    """The value type that field.get_db_prep_save(field.pre_save(obj, add=True)) passes through as it is,
    for fields of exactly these classes (a subclass may prepare values its own way), else None."""
    if type(field) in (models.ForeignKey, models.OneToOneField):
        return int if type(field.target_field) in _PLAIN_KEYS else None
    if type(field) in (models.DateTimeField, models.DateField):  # auto_now ones get their value in pre_save()
        return None if field.auto_now or field.auto_now_add else _NoneOnly
    return _PLAIN_TYPES.get(type(field))


def _insert_sql(model, rows: int, returning: bool):
    """What Model._do_insert() sends for `rows` new rows: every local concrete field but the auto pk."""
    opts = model._meta
    fields = [field for field in opts.local_concrete_fields if field is not opts.auto_field]
    row = f"({', '.join(['%s'] * len(fields))})"
    sql = (f"INSERT INTO {_qn(opts.db_table)} ({', '.join(_qn(field.column) for field in fields)}) "
           f"VALUES {', '.join([row] * rows)}")
    if returning:
        sql += " " + connection.ops.return_insert_columns([opts.pk])[0]
    return sql, [(field, field.attname, _plain_type(field)) for field in fields]


MAX_INSERT_PARAMETERS = 999  # SQLite's smallest limit on parameters per statement; PostgreSQL allows 65535


def insert_new(objs: list, *, returning: bool = True) -> None:
    """Insert new instances of one model, as bulk_create() would — each field's pre_save() (auto_now
    timestamps) and get_db_prep_save(), no signals — in as few statements as the database's parameter
    limit allows, from SQL built once per process for the row counts single movements use. With
    `returning`, each object gets its new primary key."""
    if not objs:
        return
    model = type(objs[0])
    db = connections[DEFAULT_DB_ALIAS]  # what `connection` stands for, without its per-attribute look-up
    n_fields = len(model._meta.local_concrete_fields)
    many_rows = db.features.can_return_rows_from_bulk_insert or not returning
    per_statement = max(1, MAX_INSERT_PARAMETERS // n_fields) if many_rows else 1
    for start in range(0, len(objs), per_statement):
        _insert_rows(db, model, objs[start:start + per_statement], returning)


def _insert_rows(db, model, objs: list, returning: bool) -> None:
    with_returning = returning and db.features.can_return_columns_from_insert
    sql, fields = _statement(("insert", len(objs), model, with_returning),
                             lambda: _insert_sql(model, len(objs), with_returning))
    params = []
    for obj in objs:
        values = obj.__dict__
        for field, attname, plain in fields:
            value = values.get(attname, field) if plain is not None else field
            if value is None or type(value) is plain:
                params.append(value)  # what the line below would give, without its layers of calls
            else:
                params.append(field.get_db_prep_save(field.pre_save(obj, True), db))
    with ledger_cursor() as cursor:
        cursor.execute(sql, params)
        if with_returning:
            for obj, row in zip(objs, cursor.fetchall(), strict=True):
                obj.pk = row[0]
        elif returning:
            objs[0].pk = db.ops.last_insert_id(cursor, model._meta.db_table, model._meta.pk.column)
    for obj in objs:
        obj._state.adding, obj._state.db = False, db.alias
