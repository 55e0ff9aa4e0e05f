"""Service requests: what a member asks the credit union for (a statement, a cheque book, a card, a
change of address, phone or next of kin, a complaint, a refund, anything else), each with a service
level that sets when it is due, a reference, notes (public or internal), attachments and a history of
every status change. Text is stored plain; templates escape it on output."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from apps.messaging.models import private_storage

MAX_SUBJECT_CHARS = 200
MAX_BODY_CHARS = 4000
MAX_NOTE_CHARS = 4000


class Kind(models.TextChoices):
    STATEMENT = "statement", "Statement request"
    CHEQUE_BOOK = "cheque_book", "Cheque book"
    CARD = "card", "Card"
    ACCOUNT_CHANGE = "account_change", "Account change"
    COMPLAINT = "complaint", "Complaint"
    REFUND = "refund", "Refund"
    OTHER = "other", "Other"


class Status(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    WAITING_CUSTOMER = "waiting_customer", "Waiting for the member"
    RESOLVED = "resolved", "Resolved"
    REJECTED = "rejected", "Rejected"


CLOSED = (Status.RESOLVED, Status.REJECTED)

# The service level of each kind when operations has not set one: (days, working days only).
DEFAULT_SERVICE_LEVELS = {
    Kind.STATEMENT: (1, True),
    Kind.CHEQUE_BOOK: (3, True),
    Kind.CARD: (5, True),
    Kind.ACCOUNT_CHANGE: (2, True),
    Kind.COMPLAINT: (10, False),
    Kind.REFUND: (5, True),
    Kind.OTHER: (3, True),
}


class ServiceLevel(models.Model):
    """How long the credit union gives itself for one kind of request."""

    kind = models.CharField(max_length=20, choices=Kind.choices, unique=True)
    days = models.PositiveSmallIntegerField(help_text="Days from the request to its due-by time.")
    working_days = models.BooleanField(default=True,
                                       help_text="Count only working days (holidays and closed weekdays skipped).")

    class Meta:
        ordering = ["kind"]

    def __str__(self):
        unit = "working day" if self.working_days else "day"
        return f"{self.get_kind_display()}: {self.days} {unit}{'' if self.days == 1 else 's'}"


class ServiceRequest(models.Model):
    class Channel(models.TextChoices):
        PORTAL = "portal", "Member portal"
        API = "api", "App or API"
        BRANCH = "branch", "Branch (staff for the member)"
        PHONE = "phone", "Phone"

    class RefundState(models.TextChoices):
        NONE = "", "—"
        WAITING = "waiting", "Waiting for a second approver"
        POSTED = "posted", "Posted"

    reference = models.CharField(max_length=20, unique=True, editable=False)
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="service_requests")
    kind = models.CharField(max_length=20, choices=Kind.choices, db_index=True)
    subject = models.CharField(max_length=MAX_SUBJECT_CHARS)
    body = models.TextField()
    account = models.ForeignKey("ledger.Account", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True,
                                 help_text="A refund's amount.")
    # An account change: the member's fields and their new values, applied only when staff resolve it.
    changes = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN, db_index=True)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.PORTAL)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="assigned_service_requests")
    due_by = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    # A refund: resolving it asks a second member of staff; only their approval posts it.
    refund_state = models.CharField(max_length=10, choices=RefundState.choices, blank=True, default="")
    refund_requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                            on_delete=models.PROTECT, related_name="+")
    refund_note = models.TextField(blank=True)
    refund_approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                           on_delete=models.PROTECT, related_name="+")
    refund_transaction = models.OneToOneField("ledger.Transaction", null=True, blank=True,
                                              on_delete=models.PROTECT, related_name="+")
    # The regulator's fields of a complaint.
    complaint_category = models.CharField(max_length=60, blank=True)
    date_received = models.DateField(null=True, blank=True)
    date_resolved = models.DateField(null=True, blank=True)
    outcome = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["due_by", "pk"]
        permissions = [("approve_refund", "Approve a service-desk refund (the second person)")]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__isnull=True) | models.Q(amount__gt=0),
                                   name="servicedesk_amount_positive"),
        ]

    def __str__(self):
        return f"{self.reference} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED

    @property
    def overdue(self) -> bool:
        return self.is_open and self.due_by < timezone.now()


class ServiceRequestNote(models.Model):
    """A note on a request: public ones the member reads, internal ones only staff see."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    internal = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return f"Note {self.pk} on {self.request_id}"


class StatusChange(models.Model):
    """The request's history: one row per status change (the first row is its opening)."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="history")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    from_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Status.choices)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return f"{self.request_id}: {self.from_status or 'new'} → {self.to_status}"


class ServiceRequestAttachment(models.Model):
    """A PDF, JPEG or PNG of up to 5 MB, kept in private storage and downloaded only through the
    checked download (the member who owns the request, or staff)."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="attachments")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    file = models.FileField(upload_to="servicedesk/%Y/%m/", storage=private_storage, max_length=255)
    name = models.CharField(max_length=150)
    size = models.PositiveIntegerField()
    content_type = models.CharField(max_length=40)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return self.name
