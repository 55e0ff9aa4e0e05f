"""Threads between people (staff ↔ staff, staff ↔ member), their messages and attachments, and the
in-app notifications shown in the bell. Text is stored plain; templates escape it on output."""

from django.conf import settings
from django.db import models

from apps.core import storage

MAX_SUBJECT_CHARS = 200
MAX_BODY_CHARS = 4000
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024


# Attachments are private files (apps/core/storage.py); the name stays for the migrations.
private_storage = storage.private_storage


class Thread(models.Model):
    subject = models.CharField(max_length=MAX_SUBJECT_CHARS)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # A member's thread: it waits in the service-desk queue until a member of staff picks it up.
    service_desk = models.BooleanField(default=False, db_index=True)
    picked_up_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    picked_up_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_message_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-last_message_at", "-pk"]

    def __str__(self):
        return self.subject


class Message(models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-pk"]

    def __str__(self):
        return f"Message {self.pk} in thread {self.thread_id}"


class Participant(models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    last_read = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    muted = models.BooleanField(default=False)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["thread", "user"], name="messaging_one_participant")]

    def __str__(self):
        return f"{self.user} in {self.thread_id}"


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="messaging/%Y/%m/", storage=private_storage, max_length=255)
    name = models.CharField(max_length=150)
    size = models.PositiveIntegerField()
    content_type = models.CharField(max_length=40)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return self.name


class Notification(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=64)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=500, blank=True)
    # What the notification is about, when it must be raised once only ("instalment-42"): notify skips
    # a person who already has one of this kind and key, so a re-run end of day tells nobody twice.
    key = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
        indexes = [models.Index(fields=["user", "read_at"], name="messaging_notif_unread")]
        constraints = [models.UniqueConstraint(fields=["user", "kind", "key"], condition=~models.Q(key=""),
                                               name="messaging_notif_once")]

    def __str__(self):
        return self.title


class NotificationPreference(models.Model):
    """How one person hears about one kind of notification besides the bell: by e-mail, by SMS. No row
    means the kind's defaults (`email_default`, `sms_default` in apps.core.notify)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notification_preferences")
    kind = models.CharField(max_length=64)
    email = models.BooleanField()
    sms = models.BooleanField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["user", "kind"]
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="messaging_one_preference")]

    def __str__(self):
        return f"{self.user} {self.kind}: e-mail {'on' if self.email else 'off'}, SMS {'on' if self.sms else 'off'}"
