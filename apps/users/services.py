"""Sign-in and account security. The admin, the portal, the Wagtail admin and the API all call these."""

from dataclasses import dataclass
from datetime import timedelta

from axes.handlers.proxy import AxesProxyHandler
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import SESSION_KEY, authenticate, login, logout, update_session_auth_hash, user_login_failed
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django_otp import login as otp_login
from django_otp import match_token, user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from qsessions.models import Session

from apps.audit.services import record
from apps.core.roles import Role

from .models import ApiToken, User, UserActivity
from .request_info import channel, client_ip, user_agent


class SignInError(Exception):
    """Why a sign-in was refused. `code` is stable for API clients; the message is for people."""

    MESSAGES = {
        "invalid_credentials": "That email and password do not match an active account.",
        "locked": "This account is locked after too many failed sign-ins. Try again in 30 minutes "
                  "or ask an administrator to unlock it.",
        "otp_required": "Enter the 6-digit code from your authenticator app (or a backup code).",
        "otp_invalid": "That code is not valid. Check your authenticator app and try again.",
        "otp_enrolment_required": "Your role needs two-factor sign-in. Sign in to the staff console "
                                  "once to set up an authenticator app.",
        "throttled": "Too many failed sign-ins for this account from different places. Wait a few minutes "
                     "and try again.",
    }

    def __init__(self, code: str, *, retry_after: int | None = None):
        self.code = code
        self.retry_after = retry_after
        super().__init__(self.MESSAGES[code])


@dataclass
class Credentials:
    user: User
    device: object | None  # the OTP device that verified the second factor, if any


def otp_enrolled(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def role_requires_otp(user) -> bool:
    return Role(user.role).otp_required


def check_credentials(*, request, email: str, password: str, otp_token: str | None = None,
                      allow_unenrolled: bool = False) -> Credentials:
    """Decide whether these credentials may sign in, without starting a session.

    Password checks go through django-axes (the first authentication backend), so every
    failure counts towards the lockout, whichever door it came through. A wrong second
    factor counts as a failure too.
    """
    email = (email or "").strip().lower()
    # The email goes under both names: ModelBackend reads `username`, while django-axes reads the
    # credential named by AXES_USERNAME_FORM_FIELD, which defaults to USERNAME_FIELD ("email").
    # Without the second, axes sees no username and never counts a failure towards the lock.
    identity = {"username": email, "email": email}
    if not AxesProxyHandler.is_allowed(request, identity):
        # Refuse a locked account before checking the password. Passing it through authenticate()
        # would count one more failure, and axes then restarts the 30 minutes on every retry
        # (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT), so the lock would never lift for a
        # person who keeps trying, contrary to what the lock message tells them.
        activity_record(event=UserActivity.Event.LOGIN_FAILED, request=request, email=email,
                        user=User.objects.filter(email__iexact=email).first() if email else None)
        raise SignInError("locked")
    wait = throttle_seconds(email=email, request=request)
    if wait:
        raise SignInError("throttled", retry_after=wait)
    user = authenticate(request, password=password or "", **identity)
    if user is None:
        if getattr(request, "axes_locked_out", False):
            raise SignInError("locked")
        raise SignInError("invalid_credentials")
    device = None
    if user_has_device(user):
        if not otp_token:
            raise SignInError("otp_required")
        device = match_token(user, otp_token.strip().replace(" ", ""))
        if device is None:
            user_login_failed.send(sender=__name__, credentials=identity, request=request)
            if getattr(request, "axes_locked_out", False):
                raise SignInError("locked")
            raise SignInError("otp_invalid")
    elif role_requires_otp(user) and not allow_unenrolled:
        raise SignInError("otp_enrolment_required")
    return Credentials(user=user, device=device)


def throttle_seconds(*, email: str, request) -> int:
    """How long sign-ins for `email` are slowed (0: not at all).

    The lock (django-axes) is per e-mail *and* client address, so nobody can lock a member of staff
    out from elsewhere. Guessing from many addresses is slowed instead: once an e-mail has
    LOGIN_THROTTLE_FAILURES failures within LOGIN_THROTTLE_WINDOW, from wherever, each further try
    waits until the oldest of them leaves the window (429). An address the person signed in from
    successfully in the last 30 days is never slowed, so an attacker cannot keep them out either."""
    if not email:
        return 0
    now = timezone.now()
    window = settings.LOGIN_THROTTLE_WINDOW
    failures = UserActivity.objects.filter(email=email, event=UserActivity.Event.LOGIN_FAILED,
                                           created_at__gte=now - window).order_by("-created_at")
    limit = settings.LOGIN_THROTTLE_FAILURES
    oldest = failures.values_list("created_at", flat=True)[limit - 1:limit].first()
    if oldest is None:
        return 0
    ip = client_ip(request)
    known = ip and UserActivity.objects.filter(email=email, event=UserActivity.Event.LOGIN, ip_address=ip,
                                               created_at__gte=now - timedelta(days=30)).exists()
    if known:
        return 0
    return max(1, int((oldest + window - now).total_seconds()) + 1)


def start_session(*, request, credentials: Credentials) -> User:
    """Start a Django session for checked credentials (records the sign-in through the signal)."""
    login(request, credentials.user, backend="django.contrib.auth.backends.ModelBackend")
    if credentials.device is not None:
        otp_login(request, credentials.device)
    return credentials.user


def sign_in(*, request, email: str, password: str, otp_token: str | None = None,
            allow_unenrolled: bool = False) -> User:
    credentials = check_credentials(request=request, email=email, password=password, otp_token=otp_token,
                                    allow_unenrolled=allow_unenrolled)
    return start_session(request=request, credentials=credentials)


def sign_out(*, request) -> None:
    """End the session and revoke every API token issued to it.

    An API client signs out with its token rather than the session cookie: the session that its
    sign-in started (and every token tied to it) ends as well, so it no longer shows as signed in.
    """
    keys = set()
    if request.user.is_authenticated and request.session.session_key:
        keys.add(request.session.session_key)
    api_token = getattr(request, "api_token", None)
    if api_token is not None:
        ApiToken.objects.filter(pk=api_token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        if api_token.session_key:
            keys.add(api_token.session_key)
    if keys:
        ApiToken.objects.filter(session_key__in=keys, revoked_at__isnull=True).update(revoked_at=timezone.now())
        Session.objects.filter(session_key__in=keys - {request.session.session_key}).delete()
    logout(request)


def activity_record(*, event: str, request=None, user=None, email: str = "") -> UserActivity:
    return UserActivity.objects.create(
        user=user, email=(email or getattr(user, "email", "") or "")[:254], event=event,
        ip_address=client_ip(request), user_agent=user_agent(request), channel=channel(request),
    )


@transaction.atomic
def user_unlock(*, actor: User, user: User, request=None) -> None:
    axes_reset(username=user.email)
    User.objects.filter(pk=user.pk).update(failed_login_attempts=0, locked_until=None)
    activity_record(event=UserActivity.Event.UNLOCKED, request=request, user=user)
    record(actor, "user.unlock", user, request=request)


@transaction.atomic
def user_reset_otp(*, actor: User, user: User, request=None) -> int:
    """Remove every second-factor device; the user enrols again at next staff sign-in."""
    removed = TOTPDevice.objects.filter(user=user).delete()[0] + StaticDevice.objects.filter(user=user).delete()[0]
    record(actor, "user.otp_reset", user, request=request, devices_removed=removed)
    return removed


@transaction.atomic
def user_set_role(*, actor: User, user: User, role: str, request=None) -> User:
    if role not in Role.values:
        raise ValidationError({"role": f"Unknown role {role!r}."})
    if user.pk == actor.pk:
        raise ValidationError({"role": "You cannot change your own role; ask another administrator."})
    old = user.role
    if old == role:
        return user
    user.role = role
    user.save()
    record(actor, "user.role_change", user, request=request, old_role=old, new_role=role)
    return user


@transaction.atomic
def password_change(*, request, user: User, old_password: str, new_password: str) -> None:
    if not user.check_password(old_password or ""):
        raise ValidationError({"old_password": "Your current password is not correct."})
    if old_password == new_password:
        raise ValidationError({"new_password": "Choose a password different from the current one."})
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        raise ValidationError({"new_password": exc.messages})
    # Every other sign-in ends: other browser sessions through Django's session hash, other API
    # tokens through the post_save signal (signals.end_api_tokens_on_password_change). This one
    # stays signed in: its browser session (whose key is cycled) and the token it was made with.
    session = getattr(request, "session", None)
    in_session = session is not None and session.get(SESSION_KEY) == str(user.pk)
    old_key = session.session_key if in_session else None
    keep = set()
    if old_key:
        keep.update(ApiToken.objects.filter(user=user, session_key=old_key).values_list("pk", flat=True))
    current = getattr(request, "api_token", None)
    if current is not None:
        keep.add(current.pk)
    user._keep_api_tokens = keep
    user.set_password(new_password)
    user.save(update_fields=["password"])
    if in_session:
        update_session_auth_hash(request, user)
        if old_key:
            ApiToken.objects.filter(session_key=old_key).update(session_key=session.session_key)
    activity_record(event=UserActivity.Event.PASSWORD_CHANGED, request=request, user=user)


@transaction.atomic
def otp_enrol_begin(*, user: User) -> TOTPDevice:
    """The unconfirmed authenticator the user is about to scan (one at a time)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def otp_enrol_confirm(*, request, user: User, token: str) -> list[str]:
    """Confirm the authenticator with a first code; returns fresh backup codes to show once."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    # Checked outside the transaction: a wrong code must leave django-otp's throttling record
    # behind (each failure doubles the wait), not have it rolled back with the refusal.
    if device is None or not device.verify_token((token or "").strip().replace(" ", "")):
        raise ValidationError({"token": "That code does not match. Scan the QR code again and enter the "
                                        "6-digit code your app shows now."})
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        otp_login(request, device)
        codes = backup_codes_regenerate(user=user)
        record(user, "user.otp_enrolled", user, request=request)
    return codes


@transaction.atomic
def backup_codes_regenerate(*, user: User, count: int = 10, request=None) -> list[str]:
    """New backup codes (the old ones stop working). With `request` (the person asked for them, not
    enrolment), the change is audited in the same database transaction."""
    if not otp_enrolled(user):
        raise ValidationError("Set up an authenticator app first: backup codes only stand in for it.")
    device, _ = StaticDevice.objects.get_or_create(user=user, name="Backup codes", defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(count)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    if request is not None:
        record(user, "user.otp_backup_codes_regenerated", user, request=request)
    return codes


def session_public_id(session_key: str) -> str:
    """The opaque name a session is listed and ended by.

    A session key signs its holder in (it is the `sessionid` cookie), so no page, endpoint or log
    shows one. This name is an HMAC of the key under SECRET_KEY: stable, so a listing and a later
    DELETE agree, and useless to anyone who sees it, since it cannot be turned back into the key."""
    return salted_hmac("coastal.users.session-id", session_key, algorithm="sha256").hexdigest()[:32]


def sessions_visible_to(user: User):
    """Signed-in sessions `user` may see and end: their own; an administrator sees everyone's."""
    found = Session.objects.filter(user__isnull=False).select_related("user").order_by("-updated_at")
    return found if user.role == Role.ADMIN else found.filter(user=user)


def session_find(*, viewer: User, public_id: str) -> Session | None:
    """The session `viewer` may see whose opaque id is `public_id`, or None (missing or not theirs)."""
    public_id = (public_id or "").strip().lower()
    if len(public_id) != 32:
        return None
    for key in sessions_visible_to(viewer).values_list("session_key", flat=True).iterator():
        if constant_time_compare(session_public_id(key), public_id):
            return Session.objects.select_related("user").get(session_key=key)
    return None


@transaction.atomic
def session_end(*, actor: User, public_id: str, request=None) -> bool:
    """End a session (and every API token issued with it) that `actor` may see. False if there is none.
    Ending someone else's session (an administrator's power) is audited."""
    session = session_find(viewer=actor, public_id=public_id)
    if session is None:
        return False
    owner = session.user
    ApiToken.objects.filter(session_key=session.session_key, revoked_at__isnull=True).update(
        revoked_at=timezone.now())
    session.delete()
    if owner is not None and owner.pk != actor.pk:
        record(actor, "user.session_end", owner, request=request, session=public_id)
    return True
