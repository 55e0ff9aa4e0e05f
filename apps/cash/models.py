"""Vault, cashier drawers, cash advances, cheques and field collection runs.

Cash positions are never stored here: a drawer's expected balance is the balance of its GL
sub-account (one per cashier, under 1010), a field banker's uncollected cash is the balance of
theirs (under 1020). These rows record who did what; the ledger records the money.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from apps.core.models import PolicyModel, TimeStampedModel
from apps.core.money import format_money
from apps.core.roles import Role
from apps.ledger.models import MONEY, ZERO, Account, GLAccount, JournalEntry, Transaction


class Denomination(models.Model):
    class Kind(models.TextChoices):
        NOTE = "note", "Note"
        COIN = "coin", "Coin"

    value = models.DecimalField(**MONEY, unique=True)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-value"]

    def __str__(self):
        return f"{self.label} {self.get_kind_display().lower()}"

    @property
    def label(self) -> str:
        """"GH₵ 200", "GH₵ 0.50": a note or coin as printed on it (no pesewas on whole cedis)."""
        value = self.value
        shown = f"{value:.0f}" if value == value.to_integral_value() else f"{value:.2f}"
        return f"{settings.CURRENCY_SYMBOL} {shown}"


class CashPolicy(PolicyModel):
    variance_tolerance = models.DecimalField(
        **MONEY, default=Decimal("5.00"),
        help_text="A drawer or remittance short or over by more than this waits for a manager's sign-off.")
    cash_report_threshold = models.DecimalField(
        "cash transaction report threshold", **MONEY, default=Decimal("50000.00"),
        validators=[MinValueValidator(Decimal("0.01"), "The threshold must be more than zero.")],
        help_text="A cash deposit or withdrawal of this amount or more is flagged as large cash: listed for "
                  "the compliance export and shown to managers.")
    field_collection_multiple = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal("3.00"), validators=[MinValueValidator(Decimal("1.00"))],
        verbose_name="Field collection multiple",
        help_text="A field collection above this many times the member's daily amount needs the mobile "
                  "banker's explicit confirmation with a note.")

    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "cash policy"
        constraints = [
            models.CheckConstraint(condition=Q(field_collection_multiple__gte=1),
                                   name="cashpolicy_field_collection_multiple_at_least_one"),
        ]

    def __str__(self):
        return "Cash policy"


class FloatIssue(TimeStampedModel):
    """Cash a manager sets aside in the vault for a cashier's drawer; opening the drawer takes it."""

    cashier = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="float_issues",
                                limit_choices_to={"role": Role.CASHIER})
    business_date = models.DateField()
    amount = models.DecimalField(**MONEY)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    drawer = models.OneToOneField("CashDrawer", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="float_issue")

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cashier", "business_date"], name="one_float_per_cashier_per_day"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="float_positive"),
        ]

    def __str__(self):
        return f"Float {format_money(self.amount)} for {self.cashier} on {self.business_date:%d %b %Y}"


class CashDrawer(TimeStampedModel):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        PENDING_APPROVAL = "pending_approval", "Closed, variance awaiting sign-off"
        CLOSED = "closed", "Closed"

    cashier = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="drawers")
    business_date = models.DateField(db_index=True)
    gl_account = models.ForeignKey(GLAccount, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN, db_index=True)
    opening_balance = models.DecimalField(**MONEY)
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    expected_balance = models.DecimalField(**MONEY, null=True, blank=True, help_text="From the ledger, at close.")
    counted_balance = models.DecimalField(**MONEY, null=True, blank=True)
    variance = models.DecimalField(**MONEY, null=True, blank=True, help_text="Counted minus expected.")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    approval_note = models.CharField(max_length=255, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-business_date", "-opened_at"]
        constraints = [
            models.UniqueConstraint(fields=["cashier"], condition=~Q(status="closed"),
                                    name="one_unsettled_drawer_per_cashier"),
        ]
        permissions = [("approve_drawer", "Can sign off drawer variances and cash advances")]

    def __str__(self):
        return f"Drawer of {self.cashier} on {self.business_date:%d %b %Y} ({self.get_status_display()})"


class DrawerCount(models.Model):
    class Purpose(models.TextChoices):
        OPEN = "open", "Opening count"
        CLOSE = "close", "Closing count"
        REMITTANCE = "remittance", "Field remittance count"

    drawer = models.ForeignKey(CashDrawer, null=True, blank=True, on_delete=models.PROTECT, related_name="counts")
    run = models.ForeignKey("CollectionRun", null=True, blank=True, on_delete=models.PROTECT, related_name="counts")
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    counts = models.JSONField(help_text='{"200.00": 5, "0.50": 10}')
    total = models.DecimalField(**MONEY)
    counted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    counted_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.get_purpose_display()} {format_money(self.total)}"


class CashMovement(TimeStampedModel):
    """A request to move cash between the vault and a drawer; a manager approves it."""

    class Kind(models.TextChoices):
        ADVANCE = "advance", "Cash advance (vault → drawer)"
        RETURN = "return", "Return to vault (drawer → vault)"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    drawer = models.ForeignKey(CashDrawer, on_delete=models.PROTECT, related_name="movements")
    amount = models.DecimalField(**MONEY)
    reason = models.CharField(max_length=255)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING, db_index=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=255, blank=True)
    entry = models.OneToOneField(JournalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="cash_movement_positive")]

    def __str__(self):
        return f"{self.get_kind_display()} {format_money(self.amount)} ({self.get_status_display()})"


class ChequeDeposit(TimeStampedModel):
    class Status(models.TextChoices):
        HELD = "held", "Held until cleared"
        CLEARED = "cleared", "Cleared"
        BOUNCED = "bounced", "Bounced"

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="cheques")
    amount = models.DecimalField(**MONEY)
    drawer_bank = models.CharField(max_length=120)
    cheque_number = models.CharField(max_length=32)
    image = models.ImageField(upload_to="cheques/%Y/%m/", blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.HELD, db_index=True)
    transaction = models.OneToOneField(Transaction, on_delete=models.PROTECT, related_name="cheque")
    deposited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    bounce_reason = models.CharField(max_length=255, blank=True)
    bounce_fee = models.DecimalField(**MONEY, default=ZERO)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["drawer_bank", "cheque_number"], name="cheque_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="cheque_positive"),
        ]
        permissions = [("clear_cheque", "Can clear or bounce cheques")]

    def __str__(self):
        return f"Cheque {self.cheque_number} ({self.drawer_bank}) {format_money(self.amount)}"


class CollectionRun(TimeStampedModel):
    """A mobile banker's day in the field: collections post to their own cash account until remitted.

    At remittance the counted cash goes into the receiving cashier's drawer at once. A shortage or
    overage within the cash policy's tolerance is posted to cash over and short in the same entry;
    above it the run waits in `pending_approval` with the difference still on the banker's field
    cash account until a manager signs it off (posted then) or rejects it (left with the banker)."""

    class Status(models.TextChoices):
        OPEN = "open", "Collecting"
        PENDING_APPROVAL = "pending_approval", "Remitted, variance awaiting sign-off"
        REMITTED = "remitted", "Remitted"

    class Decision(models.TextChoices):
        APPROVED = "approved", "Signed off: posted to cash over and short"
        REJECTED = "rejected", "Rejected: left with the banker"

    banker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="collection_runs")
    business_date = models.DateField()
    gl_account = models.ForeignKey(GLAccount, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN, db_index=True)
    remitted_to = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    remitted_at = models.DateTimeField(null=True, blank=True)
    expected_amount = models.DecimalField(**MONEY, null=True, blank=True)
    counted_amount = models.DecimalField(**MONEY, null=True, blank=True)
    variance = models.DecimalField(**MONEY, null=True, blank=True, help_text="Counted minus expected.")
    variance_decision = models.CharField(max_length=12, choices=Decision.choices, blank=True,
                                         help_text="A manager's decision on a variance above tolerance.")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=255, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-business_date"]
        constraints = [models.UniqueConstraint(fields=["banker", "business_date"], name="one_run_per_banker_per_day")]

    def __str__(self):
        return f"Collection run of {self.banker} on {self.business_date:%d %b %Y}"


class LargeCashTransaction(Transaction):
    """Completed cash deposits and withdrawals at or above the cash transaction report threshold.

    A view on the ledger's transactions (no table of its own, nothing written when money moves):
    `selectors.large_cash_transactions` decides which rows belong here, from the current policy."""

    class Meta:
        proxy = True
        verbose_name = "large cash transaction"
        verbose_name_plural = "large cash transactions"
