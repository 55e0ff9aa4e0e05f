"""Loan products: the terms a loan is made on, and the ledger accounts its movements post to.

The fields follow `POST /api/loan-products/` in API.md, and the meaning of each follows Apache
Fineract's loan product (interest method, amortization, rate period, interest calculation period,
days in year, repayment every/frequency, grace, rounding by decimal places, currency multiple and
instalment multiple ("installmentAmountInMultiplesOf")).
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from apps.core import storage
from apps.core.models import PolicyModel, TimeStampedModel

from .arrears import BUCKET_CODES, delinquency_bucket

ZERO = Decimal("0.00")
RATE_PLACES = 6
MAX_RATE = Decimal("1000")


def decimal_places(value) -> int:
    """How many decimal places a value really has (2.500000 has 1)."""
    return max(0, -Decimal(value).normalize().as_tuple().exponent)


def rate_field(verbose_name, help_text, **kwargs):
    return models.DecimalField(verbose_name, max_digits=12, decimal_places=RATE_PLACES, help_text=help_text,
                               validators=[MinValueValidator(Decimal("0"), "A rate cannot be negative."),
                                           MaxValueValidator(MAX_RATE, f"A rate cannot be more than {MAX_RATE} %%.")],
                               **kwargs)


def money_field(verbose_name, help_text="", **kwargs):
    return models.DecimalField(verbose_name, max_digits=18, decimal_places=2, help_text=help_text, **kwargs)


class LoanProduct(TimeStampedModel):
    """A loan product (Fineract: loan product). Loans copy its terms when they are made."""

    class InterestMethod(models.TextChoices):
        FLAT = "flat", "Flat"
        DECLINING_BALANCE = "declining_balance", "Declining balance"

    class Amortization(models.TextChoices):
        EQUAL_INSTALMENTS = "equal_instalments", "Equal instalments"
        EQUAL_PRINCIPAL = "equal_principal", "Equal principal"

    class RatePeriod(models.TextChoices):
        MONTH = "month", "Per month"
        YEAR = "year", "Per year"

    class InterestCalculation(models.TextChoices):
        PERIOD = "period", "Per repayment period"
        DAILY = "daily", "Daily"

    class DaysInYear(models.TextChoices):
        ACTUAL = "actual", "Actual"
        DAYS_360 = "360", "360 days"
        DAYS_365 = "365", "365 days"

    class Frequency(models.TextChoices):
        WEEK = "week", "Weeks"
        MONTH = "month", "Months"

    code = models.CharField(max_length=20, unique=True,
                            help_text="A short code for the product, e.g. SALARY. Cannot be changed once loans use it.")
    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)

    interest_method = models.CharField(max_length=20, choices=InterestMethod.choices)
    amortization = models.CharField(max_length=20, choices=Amortization.choices,
                                    default=Amortization.EQUAL_INSTALMENTS)
    interest_rate = rate_field("interest rate (%)", "The nominal rate in percent, e.g. 2.5 for 2.5 %. "
                               "0 is an interest-free product.")
    interest_rate_period = models.CharField(max_length=8, choices=RatePeriod.choices, default=RatePeriod.MONTH)
    interest_calculation = models.CharField(max_length=8, choices=InterestCalculation.choices,
                                            default=InterestCalculation.PERIOD,
                                            help_text="Interest per repayment period, or for the days in each "
                                                      "period (daily).")
    days_in_year = models.CharField(max_length=8, choices=DaysInYear.choices, default=DaysInYear.ACTUAL)
    repayment_every = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1, "Repayments must come every 1 or more periods.")],
        help_text="A repayment every this many weeks or months.")
    repayment_frequency = models.CharField(max_length=8, choices=Frequency.choices, default=Frequency.MONTH)

    min_term = models.PositiveSmallIntegerField(
        "shortest term", validators=[MinValueValidator(1, "The shortest term is at least 1 repayment.")],
        help_text="The fewest repayments a loan may have.")
    max_term = models.PositiveSmallIntegerField(
        "longest term", validators=[MinValueValidator(1, "The longest term is at least 1 repayment.")],
        help_text="The most repayments a loan may have.")
    min_amount = money_field("smallest amount")
    max_amount = money_field("largest amount")

    currency_decimals = models.PositiveSmallIntegerField(
        default=2, help_text="Decimal places every amount of the schedule is rounded to (0, 1 or 2).")
    currency_multiple = money_field("round amounts to a multiple of", "Optional, e.g. 0.05.", null=True, blank=True)
    instalment_multiple = money_field("round instalments to a multiple of", "Optional, e.g. 1.00.", null=True,
                                      blank=True)
    grace_on_principal = models.PositiveSmallIntegerField(
        default=0, help_text="The first this many repayments pay no principal.")
    grace_on_interest = models.PositiveSmallIntegerField(
        default=0, help_text="The first this many repayments pay no interest (it is paid later).")

    penalty_rate = rate_field("penalty rate (%)", "Percent of the overdue amount charged as a penalty.",
                              default=ZERO)
    penalty_grace_days = models.PositiveSmallIntegerField(
        default=0, help_text="Days an instalment may be overdue before the penalty is charged.")
    max_savings_multiple = models.DecimalField(
        "largest loan as a multiple of savings", max_digits=6, decimal_places=2, null=True, blank=True,
        help_text="E.g. 2 lends up to twice the member's savings. Empty: no savings limit.")
    guarantors_required = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True, help_text="Only active products take new loans.")

    loans_receivable_account = models.ForeignKey("ledger.GLAccount", on_delete=models.PROTECT, related_name="+")
    interest_income_account = models.ForeignKey("ledger.GLAccount", on_delete=models.PROTECT, related_name="+")
    interest_receivable_account = models.ForeignKey("ledger.GLAccount", on_delete=models.PROTECT, related_name="+")
    fee_income_account = models.ForeignKey("ledger.GLAccount", on_delete=models.PROTECT, related_name="+")
    penalty_income_account = models.ForeignKey("ledger.GLAccount", on_delete=models.PROTECT, related_name="+")
    provision_account = models.ForeignKey("ledger.GLAccount", on_delete=models.PROTECT, related_name="+")
    write_off_account = models.ForeignKey("ledger.GLAccount", on_delete=models.PROTECT, related_name="+",
                                          verbose_name="write-off expense account")
    recoveries_account = models.ForeignKey("ledger.GLAccount", on_delete=models.PROTECT, related_name="+",
                                           verbose_name="recoveries income account")

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.code})"

    GL_FIELDS = {
        "loans_receivable_account": ("asset",),
        "interest_income_account": ("income",),
        "interest_receivable_account": ("asset",),
        "fee_income_account": ("income",),
        "penalty_income_account": ("income",),
        "provision_account": ("liability", "asset"),
        "write_off_account": ("expense",),
        "recoveries_account": ("income",),
    }

    def clean(self):
        errors: dict[str, list[str]] = {}

        def add(field, message):
            errors.setdefault(field, []).append(message)

        for field in ("interest_rate", "penalty_rate"):
            value = getattr(self, field)
            if value is not None and decimal_places(value) > RATE_PLACES:
                add(field, f"Give the rate with at most {RATE_PLACES} decimal places.")
        if self.min_term and self.max_term and self.min_term > self.max_term:
            add("max_term", "The longest term must not be shorter than the shortest term.")
        for field in ("min_amount", "max_amount"):
            value = getattr(self, field)
            if value is not None and value <= 0:
                add(field, "The amount must be more than zero.")
        if self.min_amount and self.max_amount and self.min_amount > self.max_amount:
            add("max_amount", "The largest amount must not be smaller than the smallest amount.")
        if self.currency_decimals is not None and self.currency_decimals > 2:
            add("currency_decimals", "Amounts are kept to at most 2 decimal places.")
        for field in ("currency_multiple", "instalment_multiple"):
            value = getattr(self, field)
            if value is not None and value <= 0:
                add(field, "A rounding multiple must be more than zero (or left empty).")
        if self.max_savings_multiple is not None and self.max_savings_multiple <= 0:
            add("max_savings_multiple", "The savings multiple must be more than zero (or left empty).")
        if self.max_term and self.grace_on_principal is not None and self.grace_on_principal >= self.max_term:
            add("grace_on_principal", "Grace on principal must be shorter than the longest term.")
        if self.max_term and self.grace_on_interest is not None and self.grace_on_interest >= self.max_term:
            add("grace_on_interest", "Grace on interest must be shorter than the longest term.")
        for field, types in self.GL_FIELDS.items():
            gl = getattr(self, field, None) if getattr(self, f"{field}_id", None) else None
            if gl is not None and gl.type not in types:
                add(field, f"Choose a GL account of type {' or '.join(types)}.")
        if errors:
            raise ValidationError(errors)


class LoanProductFee(models.Model):
    """A charge of a loan product (Fineract: a charge with time "disbursement"). Deducted from the amount
    paid out at disbursal, or capitalised (added to the principal owed)."""

    class Kind(models.TextChoices):
        FLAT = "flat", "Flat amount"
        PERCENT = "percent", "Percent of the principal"

    class When(models.TextChoices):
        DISBURSEMENT = "disbursement", "Deducted at disbursal"
        CAPITALISED = "capitalised", "Capitalised (added to the loan)"

    product = models.ForeignKey(LoanProduct, on_delete=models.CASCADE, related_name="fees")
    name = models.CharField(max_length=80)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    amount = models.DecimalField(max_digits=18, decimal_places=RATE_PLACES,
                                 help_text="Cedis for a flat fee, percent of the principal for a percent fee.")

    when = models.CharField(max_length=16, choices=When.choices, default=When.DISBURSEMENT)

    history = HistoricalRecords()

    class Meta:
        ordering = ["pk"]
        verbose_name = "loan product fee"

    def __str__(self):
        return self.name

    def clean(self):
        if self.amount is None:
            return
        if self.amount <= 0:
            raise ValidationError({"amount": "A fee must be more than zero."})
        places = decimal_places(self.amount)
        if self.kind == self.Kind.FLAT and places > 2:
            raise ValidationError({"amount": "A flat fee has at most 2 decimal places."})
        if self.kind == self.Kind.PERCENT:
            if places > RATE_PLACES:
                raise ValidationError({"amount": f"A percent has at most {RATE_PLACES} decimal places."})
            if self.amount > 100:
                raise ValidationError({"amount": "A percent fee cannot be more than 100 %."})


# --- applications ------------------------------------------------------------------------------

# Loan documents are private files (apps/core/storage.py); the name stays for the migrations.
private_storage = storage.private_storage


class LoansPolicy(PolicyModel):
    """Lending settings operations may change (one row, `LoansPolicy.current()`)."""

    max_active_loans = models.PositiveSmallIntegerField(
        default=2, help_text="Most loans a member may have approved or active at once.")
    # Provisioning: percent of the outstanding principal set aside for loans in each arrears bucket
    # (Bank of Ghana's prudential norms for credit unions: current 1 %, then 5, 25, 50, 100).
    provision_current = rate_field("provision, current (%)", "", default=Decimal("1"))
    provision_1_30 = rate_field("provision, 1–30 days (%)", "", default=Decimal("5"))
    provision_31_60 = rate_field("provision, 31–60 days (%)", "", default=Decimal("25"))
    provision_61_90 = rate_field("provision, 61–90 days (%)", "", default=Decimal("50"))
    provision_91_180 = rate_field("provision, 91–180 days (%)", "", default=Decimal("100"))
    provision_over_180 = rate_field("provision, over 180 days (%)", "", default=Decimal("100"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = "loans policy"
        verbose_name_plural = "loans policy"

    def __str__(self):
        return "Loans policy"

    def clean(self):
        for code in BUCKET_CODES:
            value = getattr(self, self.provision_field(code))
            if value is not None and value > 100:
                raise ValidationError({self.provision_field(code): "A provision is at most 100 % of the principal."})

    @staticmethod
    def provision_field(bucket: str) -> str:
        return "provision_" + bucket.replace("-", "_")

    def provision_rates(self) -> dict[str, Decimal]:
        """{bucket code: percent} for `arrears.provision_for`."""
        return {code: Decimal(getattr(self, self.provision_field(code))) for code in BUCKET_CODES}


class Loan(TimeStampedModel):
    """A loan, from its application on. The product's terms are copied when the member applies
    (`terms`, `interest_rate`, `interest_rate_period`), so a later change to the product changes no loan."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Submitted"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        ACTIVE = "active", "Active"
        CLOSED = "closed", "Closed"
        WRITTEN_OFF = "written_off", "Written off"

    number = models.CharField(max_length=16, unique=True, editable=False)
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="loans")
    product = models.ForeignKey(LoanProduct, on_delete=models.PROTECT, related_name="loans")
    account = models.ForeignKey("ledger.Account", on_delete=models.PROTECT, related_name="loans",
                                help_text="The member's account the loan is paid into and repaid from.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SUBMITTED, db_index=True)
    amount = money_field("amount requested")
    approved_amount = money_field("approved amount", null=True, blank=True)
    term = models.PositiveSmallIntegerField(help_text="Number of repayments.")
    purpose = models.CharField(max_length=255)
    interest_rate = rate_field("interest rate (%)", "Copied from the product at application.")
    interest_rate_period = models.CharField(max_length=8, choices=LoanProduct.RatePeriod.choices)
    terms = models.JSONField(default=dict, editable=False,
                             help_text="The product's terms and fees when the member applied.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   help_text="Who keyed the application: the member, a mobile banker or a cashier.")
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="loans_officered", help_text="The member's mobile banker.")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_on = models.DateField(null=True, blank=True, help_text="The business date of the decision.")
    decision_note = models.TextField(blank=True)
    disbursed_on = models.DateField(null=True, blank=True)
    disbursed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    closed_on = models.DateField(null=True, blank=True)
    written_off_on = models.DateField(null=True, blank=True)
    days_in_arrears = models.PositiveIntegerField(
        default=0, help_text="Days the oldest unpaid instalment is overdue (set by end of day on active loans).")
    non_performing = models.BooleanField(
        default=False, help_text="More than 90 days in arrears: interest is no longer accrued to income.")
    standing_instruction = models.BooleanField(
        default=True, help_text="Pay each instalment from the member's account at end of day on its due date, "
                                "when the funds are there.")
    # Interest accounting (see apps/loans/servicing.py): what the loan has recognised as income so far
    # (by accrual or paid ahead of it) and what of that is still owed on interest receivable.
    interest_recognised = money_field("interest recognised", default=ZERO, editable=False)
    interest_receivable = money_field("interest receivable", default=ZERO, editable=False)
    provision = money_field("provision held", default=ZERO, editable=False)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        permissions = [("approve_loan", "Can approve or reject loan applications")]

    def __str__(self):
        return f"{self.number} {self.member}"

    @property
    def delinquency_bucket(self) -> str:
        return delinquency_bucket(self.days_in_arrears) if self.status == self.Status.ACTIVE else "current"

    @property
    def decimals(self) -> int:
        return int(self.terms.get("currency_decimals", 2))

    @property
    def principal(self) -> Decimal:
        return self.approved_amount if self.approved_amount is not None else self.amount


class LoanGuarantee(TimeStampedModel):
    """A member's pledge to stand for part of a loan. Accepted, the pledged amount is held on the
    guarantor's account (its available balance falls) until the loan is rejected or closes."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        RELEASED = "released", "Released"

    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, related_name="guarantees")
    guarantor = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="guarantees")
    account = models.ForeignKey("ledger.Account", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+", help_text="The guarantor's account the pledge is held on.")
    amount = money_field("amount pledged")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.REQUESTED, db_index=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["loan", "guarantor"], name="one_guarantee_per_member")]

    def __str__(self):
        return f"{self.guarantor} for {self.loan.number}"


class LoanDocument(models.Model):
    class Kind(models.TextChoices):
        PAYSLIP = "payslip", "Payslip"
        BANK_STATEMENT = "bank_statement", "Bank statement"
        BUSINESS = "business", "Business record"
        COLLATERAL = "collateral", "Collateral"
        OTHER = "other", "Other"

    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    file = models.FileField(upload_to="loans/documents/%Y/%m/", storage=private_storage)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.loan.number}"


# --- servicing: the fixed schedule and what happened to it ---------------------------------------

class LoanInstalment(models.Model):
    """One instalment of a disbursed loan's schedule, fixed at disbursal, with what has been paid on
    each component. Penalties are added by end of day (`LoanPenalty`); nothing else changes the dues."""

    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, related_name="instalments")
    number = models.PositiveSmallIntegerField()
    from_date = models.DateField(help_text="Start of the repayment period (the disbursal date for the first).")
    due_date = models.DateField(db_index=True)
    principal = money_field("principal")
    interest = money_field("interest")
    fees = money_field("fees", default=ZERO)
    penalties = money_field("penalties", default=ZERO)
    principal_paid = money_field("principal paid", default=ZERO)
    interest_paid = money_field("interest paid", default=ZERO)
    fees_paid = money_field("fees paid", default=ZERO)
    penalties_paid = money_field("penalties paid", default=ZERO)
    paid_on = models.DateField(null=True, blank=True, help_text="When it was fully paid.")

    class Meta:
        ordering = ["loan", "number"]
        constraints = [models.UniqueConstraint(fields=["loan", "number"], name="one_instalment_number_per_loan")]

    def __str__(self):
        return f"{self.loan.number} #{self.number} due {self.due_date}"

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.fees + self.penalties

    @property
    def total_paid(self) -> Decimal:
        return self.principal_paid + self.interest_paid + self.fees_paid + self.penalties_paid

    @property
    def outstanding(self) -> Decimal:
        return self.total - self.total_paid


class LoanTransaction(models.Model):
    """Something that moved money on a loan: its disbursal, a repayment (with how it was allocated),
    a penalty charged, a write-off, a recovery, or the reversal of a disbursal. `journal_entry` is the
    ledger entry it posted; `transaction` the member-facing ledger transaction, when there is one."""

    class Kind(models.TextChoices):
        DISBURSAL = "disbursal", "Disbursal"
        REPAYMENT = "repayment", "Repayment"
        PENALTY = "penalty", "Penalty"
        WRITE_OFF = "write_off", "Write-off"
        RECOVERY = "recovery", "Recovery"
        DISBURSAL_REVERSAL = "disbursal_reversal", "Disbursal reversed"

    class Channel(models.TextChoices):
        CASH = "cash", "Cash at the teller"
        ACCOUNT = "account", "From the member's account"
        FIELD = "field", "Field collection"
        STANDING_INSTRUCTION = "standing_instruction", "Standing instruction"
        SYSTEM = "system", "End of day"

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="transactions")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    channel = models.CharField(max_length=24, choices=Channel.choices, default=Channel.SYSTEM)
    value_date = models.DateField(help_text="The date it counts from (a backdated repayment's own date).")
    business_date = models.DateField(help_text="The business date it was posted on.")
    amount = money_field("amount")
    principal = money_field("principal", default=ZERO)
    interest = money_field("interest", default=ZERO)
    fees = money_field("fees", default=ZERO)
    penalties = money_field("penalties", default=ZERO)
    per_instalment = models.JSONField(default=list, blank=True,
                                      help_text="[{number, penalties, fees, interest, principal}] it paid.")
    transaction = models.ForeignKey("ledger.Transaction", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="loan_transactions")
    journal_entry = models.ForeignKey("ledger.JournalEntry", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+")
    reversed = models.BooleanField(default=False)
    note = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["value_date", "pk"]
        indexes = [models.Index(fields=["loan", "kind"])]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount} on {self.loan.number}"


class LoanPenalty(models.Model):
    """A penalty charged by end of day on an overdue instalment, once per instalment and period:
    the unique constraint is what makes a re-run of end of day charge nothing twice."""

    instalment = models.ForeignKey(LoanInstalment, on_delete=models.PROTECT, related_name="penalty_charges")
    period = models.PositiveSmallIntegerField(help_text="0 for the first charge, 1 for a repayment period later...")
    charged_on = models.DateField()
    amount = money_field("amount")
    waived = models.BooleanField(default=False, help_text="Waived when a backdated repayment shows it was not due.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["instalment", "period"], name="one_penalty_per_period")]

    def __str__(self):
        return f"Penalty {self.amount} on {self.instalment}"


class LoanProvision(models.Model):
    """The loan-loss provision end of day set for one product and bucket on one business date."""

    business_date = models.DateField(db_index=True)
    product = models.ForeignKey(LoanProduct, on_delete=models.PROTECT, related_name="+")
    bucket = models.CharField(max_length=10)
    loans = models.PositiveIntegerField()
    outstanding_principal = money_field("outstanding principal")
    rate = rate_field("rate (%)", "")
    amount = money_field("provision")

    class Meta:
        ordering = ["-business_date", "product", "bucket"]
        constraints = [models.UniqueConstraint(fields=["business_date", "product", "bucket"],
                                               name="one_provision_per_day_product_bucket")]

    def __str__(self):
        return f"{self.product.code} {self.bucket} {self.business_date}: {self.amount}"


class LoanRequest(TimeStampedModel):
    """An act on a loan that a second person must approve (four eyes): undoing a disbursal, a backdated
    repayment, a write-off. Nothing is posted until a different manager approves it."""

    class Kind(models.TextChoices):
        DISBURSAL_REVERSAL = "disbursal_reversal", "Reverse the disbursal"
        BACKDATED_REPAYMENT = "backdated_repayment", "Backdated repayment"
        WRITE_OFF = "write_off", "Write-off"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for approval"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="requests")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    reason = models.CharField(max_length=255)
    amount = money_field("amount", null=True, blank=True)
    value_date = models.DateField(null=True, blank=True)
    channel = models.CharField(max_length=24, blank=True)
    from_account = models.ForeignKey("ledger.Account", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=255, blank=True)
    result = models.ForeignKey(LoanTransaction, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["loan", "kind"], condition=models.Q(status="pending"),
                                               name="one_pending_request_per_kind")]

    def __str__(self):
        return f"{self.get_kind_display()} of {self.loan.number}"
