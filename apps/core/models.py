"""Base models shared by every app."""

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class BusinessDay(models.Model):
    """A business date: open while postings are taken, closed after end of day."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSING = "closing", "Closing"
        CLOSED = "closed", "Closed"

    date = models.DateField(unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    opened_at = models.DateTimeField(auto_now_add=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")

    history = HistoricalRecords()

    class Meta:
        ordering = ["-date"]

    def __str__(self):
        return f"{self.date:%d %b %Y} ({self.get_status_display()})"


class CloseOverride(models.Model):
    """An operations manager's decision to close the business day with one checklist item still open,
    and why. Kept for good: the audit log and this table say who accepted what."""

    business_date = models.DateField(db_index=True)
    item_key = models.CharField(max_length=100)
    item_text = models.CharField(max_length=255, help_text="The item as the checklist showed it.")
    reason = models.TextField()
    overridden_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    overridden_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["business_date", "overridden_at"]
        verbose_name = "closing checklist override"
        constraints = [models.UniqueConstraint(fields=["business_date", "item_key"],
                                               name="one_override_per_item_per_day")]

    def __str__(self):
        return f"Override on {self.business_date:%d %b %Y}: {self.item_text}"


class EndOfDayRun(models.Model):
    """One end-of-day chain for a business date. Steps run in order; a failed step stops the chain
    and the run can be resumed, skipping the steps already done."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        FAILED = "failed", "Failed"
        COMPLETED = "completed", "Completed"

    business_date = models.DateField(unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-business_date"]
        verbose_name = "end-of-day run"

    def __str__(self):
        return f"End of day {self.business_date:%d %b %Y} ({self.get_status_display()})"


class EndOfDayStep(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    run = models.ForeignKey(EndOfDayRun, on_delete=models.CASCADE, related_name="steps")
    name = models.CharField(max_length=64)
    position = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["run", "position"]
        constraints = [models.UniqueConstraint(fields=["run", "name"], name="eod_step_once_per_run")]

    def __str__(self):
        return f"{self.name} ({self.get_status_display()})"
