"""Products, member accounts and the double-entry ledger.

Every money movement is one JournalEntry whose postings balance (debits == credits). A
posting hits a general-ledger account and, when it concerns a member account, names that
account too: the member account is a sub-ledger of its product's control GL account.
Entries and postings are append-only; mistakes are corrected by reversal entries.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Case, F, Q, When
from simple_history.models import HistoricalRecords

from apps.core.models import PolicyModel, TimeStampedModel

MONEY = {"max_digits": 18, "decimal_places": 2}
ZERO = Decimal("0.00")


class AppendOnlyQuerySet(models.QuerySet):
    """The ledger's books are append-only: no bulk change or removal either (the database refuses
    them too, migration 0012)."""

    def update(self, **kwargs):
        raise ValueError(f"{self.model._meta.verbose_name} is append-only: post a reversal instead.")

    def delete(self):
        raise ValueError(f"{self.model._meta.verbose_name} is append-only: post a reversal instead.")


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValueError(f"{self._meta.verbose_name} is append-only: post a reversal instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError(f"{self._meta.verbose_name} is append-only: post a reversal instead.")


class GLAccount(models.Model):
    """An account in the chart of accounts."""

    class Type(models.TextChoices):
        ASSET = "asset", "Asset"
        LIABILITY = "liability", "Liability"
        EQUITY = "equity", "Equity"
        INCOME = "income", "Income"
        EXPENSE = "expense", "Expense"

    code = models.CharField(max_length=10, unique=True)
    name = models.CharField(max_length=120)
    type = models.CharField(max_length=16, choices=Type.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children",
                               help_text="Sub-ledgers (each drawer, each field banker) roll up to their parent.")
    is_active = models.BooleanField(default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name = "GL account"

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def debit_normal(self) -> bool:
        return self.type in DEBIT_NORMAL_TYPES

    def balance_change(self, debit, credit):
        """The sign rule of a posting, its one home: what `debit` and `credit` on this account do to a
        balance kept on its normal side (assets and expenses grow by debits, the rest by credits)."""
        return debit - credit if self.debit_normal else credit - debit

    @staticmethod
    def balance_change_expression(gl_account: str = "gl_account"):
        """balance_change as a database expression over Posting rows (`gl_account`: the path to the GL account)."""
        return Case(When(**{f"{gl_account}__type__in": DEBIT_NORMAL_TYPES}, then=F("debit") - F("credit")),
                    default=F("credit") - F("debit"), output_field=models.DecimalField(max_digits=20, decimal_places=2))


# Assets and expenses grow by debits; liabilities, equity and income by credits.
DEBIT_NORMAL_TYPES = (GLAccount.Type.ASSET, GLAccount.Type.EXPENSE)


class Product(TimeStampedModel):
    """An account kind a member can hold, with its rules."""

    class Kind(models.TextChoices):
        DAILY_SUSU = "daily_susu", "Daily Susu"
        SHARES = "shares", "Shares"
        MONTHLY_CONTRIBUTION = "monthly_contribution", "Monthly Contribution"

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    control_account = models.ForeignKey(GLAccount, on_delete=models.PROTECT, related_name="products",
                                        help_text="The GL account member balances of this product roll up to.")
    minimum_balance = models.DecimalField(**MONEY, default=ZERO)
    allows_withdrawal = models.BooleanField(
        default=True, help_text="Shares: off — withdrawn only on exit, with a manager's approval.")
    daily_withdrawal_limit = models.DecimalField(**MONEY, null=True, blank=True,
                                                 help_text="Most that may leave one account per business day.")
    cycle_days = models.PositiveSmallIntegerField(default=31, help_text="Daily Susu: days in a contribution cycle.")
    commission_mode = models.CharField(
        max_length=12, default="first_day", choices=[("first_day", "One day's contribution"),
                                                     ("percent", "A percentage of the cycle's contributions")],
        help_text="Daily Susu: the collector's commission at the end of each cycle.")
    commission_rate = models.DecimalField(max_digits=7, decimal_places=4, default=Decimal("0"),
                                          help_text="Daily Susu, percentage mode: e.g. 3.2258 for 1/31.")
    early_withdrawal = models.CharField(
        max_length=12, default="commission", choices=[("refuse", "Refused until the cycle ends"),
                                                      ("commission", "Allowed, commission taken first")],
        help_text="Daily Susu: withdrawals before the cycle ends.")
    interest_rate = models.DecimalField(max_digits=7, decimal_places=4, default=Decimal("0"),
                                        help_text="Annual interest %, accrued daily (actual/365), posted monthly.")
    dormancy_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Days without a member-initiated movement before the account turns "
                                         "dormant. Empty: never.")
    share_price = models.DecimalField(**MONEY, null=True, blank=True, help_text="Shares: price of one share.")
    dividend_destination = models.CharField(
        max_length=12, default="shares", choices=[("shares", "Buy more shares"),
                                                  ("savings", "Pay into the member's Monthly Contribution")],
        help_text="Shares: where declared dividends are paid.")
    is_active = models.BooleanField(default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(minimum_balance__gte=0), name="product_min_balance_not_negative"),
        ]

    def __str__(self):
        return self.name


class Account(TimeStampedModel):
    """A member's account. `balance` is materialised from the postings, in the same transaction."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        FROZEN = "frozen", "Frozen"
        DORMANT = "dormant", "Dormant"
        CLOSED = "closed", "Closed"

    account_number = models.CharField(max_length=12, unique=True, editable=False)
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="accounts")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="accounts")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE, db_index=True)
    status_reason = models.CharField(max_length=255, blank=True)
    balance = models.DecimalField(**MONEY, default=ZERO, editable=False)
    held_balance = models.DecimalField(**MONEY, default=ZERO, editable=False,
                                       help_text="Funds on hold (uncleared cheques): in the balance, not available.")
    contribution_amount = models.DecimalField(
        **MONEY, null=True, blank=True,
        help_text="Daily Susu: the fixed daily amount; Monthly Contribution: the fixed monthly amount.")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    # The business date it was opened on: Susu cycles and monthly schedules count from it (not from
    # created_at, the moment the row was written, which differs for history loaded from elsewhere).
    opened_on = models.DateField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["balance", "held_balance", "updated_at"])

    class Meta:
        ordering = ["account_number"]
        constraints = [
            models.CheckConstraint(condition=Q(held_balance__gte=0), name="account_hold_not_negative"),
        ]
        permissions = [("freeze_account", "Can freeze and unfreeze accounts")]

    def __str__(self):
        return f"{self.account_number} {self.product.name}"

    @property
    def available_balance(self) -> Decimal:
        available = self.balance - self.held_balance - self.product.minimum_balance
        return max(available, ZERO)

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def share_count(self) -> int | None:
        price = self.product.share_price
        return int(self.balance // price) if price else None


class Transaction(TimeStampedModel):
    """A customer-facing money movement; once completed it has exactly one journal entry."""

    class Type(models.TextChoices):
        DEPOSIT = "deposit", "Deposit"
        WITHDRAWAL = "withdrawal", "Withdrawal"
        TRANSFER = "transfer", "Transfer"
        PAYMENT = "payment", "Payment"
        FEE = "fee", "Fee"
        REVERSAL = "reversal", "Reversal"
        INTEREST = "interest", "Interest"
        COMMISSION = "commission", "Susu commission"
        DIVIDEND = "dividend", "Dividend"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending approval"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    reference = models.CharField(max_length=24, unique=True, editable=False)
    transaction_type = models.CharField(max_length=16, choices=Type.choices)  # indexed in Meta
    status = models.CharField(max_length=16, choices=Status.choices)  # indexed in Meta
    amount = models.DecimalField(**MONEY)
    fee = models.DecimalField(**MONEY, default=ZERO)
    from_account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.PROTECT, related_name="outgoing",
                                     db_index=False)  # (from_account, business_date) serves it
    to_account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.PROTECT, related_name="incoming")
    counterparty_gl = models.ForeignKey(GLAccount, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                        help_text="The other side when money enters or leaves the members' books "
                                                  "(cash, payments clearing, fee income).")
    description = models.CharField(max_length=255, blank=True)
    channel = models.CharField(max_length=16, default="admin")
    purpose = models.CharField(max_length=16, blank=True,
                               help_text="member_exit: a share redemption, allowed only on exit with approval.")
    reason = models.CharField(max_length=255, blank=True,
                              help_text="Why staff asked for it (a reversal, a member's exit), as they gave it.")
    business_date = models.DateField(db_index=True)
    initiated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     db_index=False)  # (initiated_by, business_date) serves it
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=255, blank=True)
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="reversal")
    completed_at = models.DateTimeField(null=True, blank=True)

    # Every movement writes a history row: its table keeps only the indexes history is read by (the
    # transaction's id, history_date, history_user), not copies of the transaction's own, which cost
    # each movement nine index insertions nobody reads.
    history = HistoricalRecords(no_db_index=["reference", "from_account", "to_account", "counterparty_gl",
                                             "initiated_by", "approved_by", "reverses", "business_date",
                                             "created_at"])

    @property
    def refusal_reason(self) -> str:
        """Why a FAILED movement was refused, in words (decision_note keeps "code: message")."""
        if self.status != self.Status.FAILED:
            return ""
        return self.decision_note.split(": ", 1)[-1]

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="transaction_amount_positive"),
            models.CheckConstraint(condition=Q(fee__gte=0), name="transaction_fee_not_negative"),
            models.CheckConstraint(condition=~Q(from_account=models.F("to_account")) | Q(from_account__isnull=True),
                                   name="transaction_not_to_same_account"),
        ]
        # Every movement inserts a row here and one in the history table (which copies db_index, not
        # Meta.indexes): only indexes that queries use. The two composites also serve look-ups by
        # their first column; status and type need no LIKE (varchar_pattern_ops) twins.
        indexes = [
            models.Index(fields=["initiated_by", "business_date"]),
            models.Index(fields=["from_account", "business_date"]),
            models.Index(fields=["status"], name="ledger_txn_status_idx"),
            models.Index(fields=["transaction_type"], name="ledger_txn_type_idx"),
        ]
        permissions = [("approve_transaction", "Can approve or reject transactions waiting for a second person")]

    def __str__(self):
        return f"{self.reference} {self.get_transaction_type_display()} {self.amount}"

    @property
    def is_reversed(self) -> bool:
        return hasattr(self, "reversal") and self.reversal.status == self.Status.COMPLETED


class JournalEntry(AppendOnlyModel):
    reference = models.CharField(max_length=24, unique=True)
    transaction = models.OneToOneField(Transaction, null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="entry")
    business_date = models.DateField(db_index=True)
    description = models.CharField(max_length=255)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="reversed_by")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "journal entries"

    def __str__(self):
        return f"{self.reference} {self.description}"


class Posting(AppendOnlyModel):
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="postings")
    gl_account = models.ForeignKey(GLAccount, on_delete=models.PROTECT, related_name="postings")
    account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.PROTECT, related_name="postings",
                                db_index=False)  # Index(account, entry) serves it
    debit = models.DecimalField(**MONEY, default=ZERO)
    credit = models.DecimalField(**MONEY, default=ZERO)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(debit__gt=0) & Q(credit=0)) | (Q(credit__gt=0) & Q(debit=0)),
                name="posting_debit_xor_credit",
            ),
        ]
        indexes = [models.Index(fields=["account", "entry"])]

    def __str__(self):
        side = f"Dr {self.debit}" if self.debit else f"Cr {self.credit}"
        return f"{self.gl_account.code} {side}"


class IdempotencyRecord(models.Model):
    """The first result of a money-moving request, so a retry with the same key posts nothing new."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                             db_index=False)  # the (user, key) unique constraint serves it
    key = models.CharField(max_length=128)
    scope = models.CharField(max_length=64)
    request_hash = models.CharField(max_length=64)
    # What the first request made: a transaction, or (for requests whose result is another row, a
    # cheque deposit or a member registered in the field) that row's primary key in `result_id`.
    transaction = models.ForeignKey(Transaction, on_delete=models.CASCADE, related_name="+", null=True, blank=True)
    result_id = models.PositiveBigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_per_user")]

    def __str__(self):
        return f"{self.key} → {self.transaction_id or self.result_id}"


class ServiceCharge(TimeStampedModel):
    """A fee charged with a transaction type (optionally only for one product)."""

    class Kind(models.TextChoices):
        FLAT = "flat", "Flat amount"
        PERCENT = "percent", "Percentage"

    name = models.CharField(max_length=120)
    transaction_type = models.CharField(max_length=16, choices=Transaction.Type.choices[:4])  # the movements
    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.PROTECT,
                                help_text="Leave empty to charge it on every product.")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.FLAT)
    amount = models.DecimalField(**MONEY, default=ZERO, help_text="Flat fee.")
    rate = models.DecimalField(max_digits=7, decimal_places=4, default=Decimal("0"),
                               help_text="Percentage of the amount, e.g. 1.5 for 1.5%.")
    minimum = models.DecimalField(**MONEY, null=True, blank=True)
    maximum = models.DecimalField(**MONEY, null=True, blank=True)
    is_active = models.BooleanField(default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["transaction_type", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0) & Q(rate__gte=0) & Q(rate__lte=100),
                                   name="service_charge_sane"),
            models.CheckConstraint(condition=Q(minimum__isnull=True) | Q(maximum__isnull=True)
                                   | Q(minimum__lte=models.F("maximum")), name="service_charge_min_le_max"),
        ]

    def __str__(self):
        return self.name


class LedgerPolicy(PolicyModel):
    """Bank-wide rules staff can change: the four-eyes threshold."""

    approval_threshold = models.DecimalField(
        **MONEY, default=Decimal("10000.00"),
        help_text="Withdrawals, transfers, payments and fees above this wait for a second person's approval.")
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "ledger policy"
        verbose_name_plural = "ledger policy"

    def __str__(self):
        return "Ledger policy"


# --- product life cycles ------------------------------------------------------------------------

class InterestAccrual(models.Model):
    """One day's interest on the end-of-day balance, actual/365, kept to six places until posted."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="accruals")
    date = models.DateField()
    balance = models.DecimalField(**MONEY)
    rate = models.DecimalField(max_digits=7, decimal_places=4)
    amount = models.DecimalField(max_digits=20, decimal_places=6)

    class Meta:
        ordering = ["account", "date"]
        constraints = [models.UniqueConstraint(fields=["account", "date"], name="one_accrual_per_day")]

    def __str__(self):
        return f"{self.account} {self.date} {self.amount}"


class InterestPosting(models.Model):
    """A month's accrued interest posted to the account, rounded half-even; the residue carries forward."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="interest_postings")
    period_end = models.DateField()
    accrued = models.DecimalField(max_digits=20, decimal_places=6, help_text="This month's accruals + carried residue.")
    posted = models.DecimalField(**MONEY)
    residue = models.DecimalField(max_digits=20, decimal_places=6, help_text="Carried into next month.")
    transaction = models.OneToOneField(Transaction, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["account", "period_end"]
        constraints = [models.UniqueConstraint(fields=["account", "period_end"], name="one_interest_posting_per_month")]

    def __str__(self):
        return f"{self.account} interest to {self.period_end}: {self.posted}"


class SusuCycle(models.Model):
    """A closed Daily Susu cycle: what was expected, paid, missed, and the collector's commission."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="susu_cycles")
    start = models.DateField()
    end = models.DateField()
    daily_amount = models.DecimalField(**MONEY)
    contributions = models.DecimalField(**MONEY)
    days_paid = models.PositiveSmallIntegerField()
    days_missed = models.PositiveSmallIntegerField()
    days_in_advance = models.PositiveSmallIntegerField(default=0)
    commission = models.DecimalField(**MONEY)
    commission_transaction = models.OneToOneField(Transaction, null=True, blank=True, on_delete=models.PROTECT,
                                                  related_name="+")
    closed = models.BooleanField(default=False, help_text="The cycle's statement is final.")

    class Meta:
        ordering = ["account", "-start"]
        constraints = [models.UniqueConstraint(fields=["account", "start"], name="one_susu_cycle_per_start")]

    def __str__(self):
        return f"{self.account} cycle {self.start}–{self.end}"


class ScheduledFee(TimeStampedModel):
    """A recurring charge (monthly maintenance, SMS alerts) taken by the end-of-day chain at month end."""

    name = models.CharField(max_length=120)
    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.PROTECT,
                                help_text="Leave empty to charge every product.")
    amount = models.DecimalField(**MONEY)
    is_active = models.BooleanField(default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="scheduled_fee_positive")]

    def __str__(self):
        return f"{self.name} ({self.amount}/month)"


class FeeCharge(models.Model):
    """A scheduled fee for one account and period: charged, or skipped when the balance could not cover it."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="fee_charges")
    fee = models.ForeignKey(ScheduledFee, on_delete=models.PROTECT, related_name="charges")
    period = models.DateField(help_text="First day of the month charged.")
    amount = models.DecimalField(**MONEY)
    status = models.CharField(max_length=10, choices=[("charged", "Charged"), ("skipped", "Skipped")])
    transaction = models.OneToOneField(Transaction, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "fee", "period"], name="fee_once_per_period")]

    def __str__(self):
        return f"{self.fee.name} {self.period:%b %Y} {self.account}"


class DividendDeclaration(TimeStampedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", "Previewed"
        POSTED = "posted", "Posted"

    period_start = models.DateField()
    period_end = models.DateField()
    rate = models.DecimalField(max_digits=7, decimal_places=4, help_text="Annual % on the average share balance.")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFT)
    declared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    posted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    posted_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-period_end"]
        constraints = [
            models.CheckConstraint(condition=Q(rate__gte=0) & Q(rate__lte=100), name="dividend_rate_sane"),
            models.CheckConstraint(condition=Q(period_start__lte=models.F("period_end")), name="dividend_period"),
        ]
        permissions = [("declare_dividend", "Can declare and post dividends")]

    def __str__(self):
        return f"Dividend {self.rate}% for {self.period_start}–{self.period_end}"


class DividendLine(models.Model):
    declaration = models.ForeignKey(DividendDeclaration, on_delete=models.CASCADE, related_name="lines")
    shares_account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    average_balance = models.DecimalField(**MONEY)
    amount = models.DecimalField(**MONEY)
    paid_to = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    transaction = models.OneToOneField(Transaction, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["declaration", "shares_account"], name="dividend_once")]

    def __str__(self):
        return f"{self.shares_account}: {self.amount}"
