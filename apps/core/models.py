"""Base models shared by every app."""

import base64
import mimetypes

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting

from .storage import private_storage


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class PolicyModel(models.Model):
    """A settings table of one row (a policy operations change in the console): `current()` is that
    row, made with the fields' defaults the first time it is asked for."""

    class Meta:
        abstract = True

    @classmethod
    def current(cls):
        return cls.objects.order_by("pk").first() or cls.objects.create()


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


class Holiday(models.Model):
    """A day the institution does not work (a public holiday, a branch closure). Repayment due dates
    that fall on one move to the next working day. None is configured until operations adds one."""

    date = models.DateField(unique=True)
    name = models.CharField(max_length=120)

    history = HistoricalRecords()

    class Meta:
        ordering = ["date"]

    def __str__(self):
        return f"{self.date:%d %b %Y} {self.name}"


class NonWorkingWeekday(models.Model):
    """A day of the week the institution does not work (say Sunday). Due dates move off it, as off a
    holiday. None is configured until operations adds one (as in Fineract's working days)."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices, unique=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["weekday"]
        verbose_name = "non-working day of the week"

    def __str__(self):
        return self.get_weekday_display()


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


# Job results are private files (storage.py); the name stays for the migrations.
job_result_storage = private_storage


class JobRun(models.Model):
    """One long background job (end of day, an export, statements, ...) and how far it has got. The
    service functions in apps/core/jobs.py are the only writers; see that module for the rules."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=48, db_index=True)
    title = models.CharField(max_length=120, blank=True, help_text="What the job's page calls it, e.g. Members export.")
    # A job queued with jobs.job_queue names its django-q2 function (called with the job's id) and the
    # plain-JSON parameters it reads, so "Restart" can queue the very same work again. Blank for jobs
    # that restart their own way (an end-of-day run is resumed from its page).
    task = models.CharField(max_length=200, blank=True)
    params = models.JSONField(default=dict, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    current = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(null=True, blank=True)
    message = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    result_file = models.FileField(upload_to="jobs/%Y/%m/", storage=job_result_storage, blank=True)
    result_url = models.CharField(max_length=500, blank=True, help_text="A permission-checked page with the result.")
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "background job"
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="job_status_heartbeat")]

    def __str__(self):
        return f"{self.kind} #{self.pk} ({self.get_status_display()})"

    @property
    def percent(self) -> int | None:
        if not self.total:
            return 100 if self.status == self.Status.DONE else None
        return min(100, int(self.current * 100 / self.total))


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
    job = models.OneToOneField(JobRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="end_of_day_run")

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


@register_setting(icon="site")
class InstitutionSettings(BaseSiteSetting):
    """The institution's own details, in one place: the console header, the portal, receipts,
    statements, e-mails and the authenticator app all read them (`apps.core.institution`).
    Edited in Wagtail (/cms/ → Settings → Institution)."""

    name = models.CharField(max_length=120, default="Coastal Credit Union",
                            help_text="The full name, as on statements, receipts and the portal.")
    short_name = models.CharField(max_length=40, default="Coastal",
                                  help_text="Where space is short: the console header, text messages, the "
                                            "authenticator app.")
    address = models.TextField(blank=True, default="Harbour Road, Cape Coast, Ghana")
    phone = models.CharField(max_length=40, blank=True, default="+233 30 000 0000")
    email = models.EmailField(blank=True, default="hello@coastal.example")
    website = models.URLField(blank=True, default="")
    registration_number = models.CharField(
        "registration or licence number", max_length=80, blank=True, default="",
        help_text="Printed as typed on statements and in the portal footer, e.g. 'Licensed by the Bank of Ghana, "
                  "CU/0123'.")
    logo = models.ForeignKey("wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+", help_text="Shown in the console, the portal and on statements.")
    statement_footer = models.TextField(blank=True, default="Please report any error within 30 days.",
                                        help_text="Printed at the foot of every statement page.")

    select_related = ["logo"]

    panels = [
        MultiFieldPanel([FieldPanel("name"), FieldPanel("short_name"), FieldPanel("registration_number"),
                         FieldPanel("logo")], heading="Name"),
        MultiFieldPanel([FieldPanel("address"), FieldPanel("phone"), FieldPanel("email"), FieldPanel("website")],
                        heading="Contacts"),
        FieldPanel("statement_footer"),
    ]

    class Meta:
        verbose_name = "institution"

    @property
    def logo_url(self) -> str:
        return self.logo.file.url if self.logo_id else ""

    @property
    def logo_data_uri(self) -> str:
        """The logo inlined as a data: address, for the PDF renderer (whatever the file storage);
        empty without a logo or when its file cannot be read."""
        if not self.logo_id:
            return ""
        kind = mimetypes.guess_type(self.logo.file.name)[0] or "image/png"
        try:
            with self.logo.file.open("rb") as file:
                return f"data:{kind};base64,{base64.b64encode(file.read()).decode('ascii')}"
        except OSError:
            return ""
