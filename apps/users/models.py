import uuid
from decimal import Decimal

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from apps.core.roles import DECISION_PERMISSIONS, Role


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("role", Role.ADMIN)
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username):
        return self.get(**{f"{self.model.USERNAME_FIELD}__iexact": username})


class User(AbstractUser):
    """A person who signs in: a member using the portal, or a member of staff."""

    username = None
    email = models.EmailField("email address", unique=True)
    role = models.CharField(max_length=32, choices=Role.choices, default=Role.CUSTOMER, db_index=True)
    phone_number = models.CharField(max_length=32, blank=True)
    staff_id = models.CharField(max_length=32, blank=True, null=True, unique=True)
    # A mirror of django-axes' lock for display and reports; axes decides sign-in.
    failed_login_attempts = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    daily_transaction_limit = models.DecimalField(
        max_digits=18, decimal_places=2, default=Decimal("50000.00"),
        help_text="The most this user may move in one business day, across all transactions.",
    )

    history = HistoricalRecords(excluded_fields=["last_login", "password"])

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        ordering = ["email"]
        constraints = [
            models.CheckConstraint(condition=models.Q(daily_transaction_limit__gte=0),
                                   name="user_daily_limit_not_negative"),
        ]

    def __str__(self):
        full = self.get_full_name()
        return f"{full} <{self.email}>" if full else self.email

    def save(self, *args, **kwargs):
        self.email = self.email.lower()
        self.is_staff = Role(self.role).staff or self.is_superuser
        super().save(*args, **kwargs)
        self._sync_role_group()

    def has_perm(self, perm, obj=None):
        """A decision permission (the second person of four eyes) comes only from a role an app granted
        it with `grant_decision` (apps/core/roles.py): not from being a superuser, nor from a group or
        personal grant an administrator could give (themselves included) in the console."""
        if perm in DECISION_PERMISSIONS and perm not in Role(self.role).permissions:
            return False
        return super().has_perm(perm, obj)

    def _sync_role_group(self):
        from django.contrib.auth.models import Group

        wanted = Group.objects.get_or_create(name=Role(self.role).group)[0]
        role_groups = [role.group for role in Role]
        current = set(self.groups.filter(name__in=role_groups).values_list("pk", flat=True))
        if current != {wanted.pk}:
            self.groups.remove(*self.groups.filter(name__in=role_groups))
            self.groups.add(wanted)

    @property
    def role_label(self) -> str:
        return Role(self.role).label

    @property
    def is_locked(self) -> bool:
        return bool(self.locked_until and self.locked_until > timezone.now())


class UserActivity(models.Model):
    """Sign-ins, sign-outs, failures and lockouts, with where they came from."""

    class Event(models.TextChoices):
        LOGIN = "login", "Signed in"
        LOGOUT = "logout", "Signed out"
        LOGIN_FAILED = "login_failed", "Failed sign-in"
        LOCKED_OUT = "locked_out", "Locked out"
        UNLOCKED = "unlocked", "Unlocked"
        PASSWORD_CHANGED = "password_changed", "Password changed"
        TOKEN_REFRESHED = "token_refreshed", "API token refreshed"

    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="activities")
    email = models.CharField(max_length=254, blank=True, db_index=True)
    event = models.CharField(max_length=32, choices=Event.choices, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    channel = models.CharField(max_length=16, blank=True, help_text="admin, portal, cms or api")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "user activity"

    def __str__(self):
        return f"{self.get_event_display()} {self.email} {self.created_at:%Y-%m-%d %H:%M}"


class ApiToken(models.Model):
    """A refresh token issued by the API. Access tokens name it (`sid`), so revoking it ends both."""

    jti = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="coastal_api_tokens")
    session_key = models.CharField(max_length=40, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"API token for {self.user} from {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()
