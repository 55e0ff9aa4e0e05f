"""Every sign-in, sign-out, failure and lockout becomes a UserActivity row, whichever door it used."""

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models import F
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone

from .models import ApiToken, User, UserActivity
from .services import activity_record


@receiver(user_logged_in, dispatch_uid="coastal.activity.login")
def on_login(sender, request, user, **kwargs):
    User.objects.filter(pk=user.pk).update(failed_login_attempts=0, locked_until=None)
    activity_record(event=UserActivity.Event.LOGIN, request=request, user=user)


@receiver(user_logged_out, dispatch_uid="coastal.activity.logout")
def on_logout(sender, request, user, **kwargs):
    """Whichever door signs out (portal, console, Wagtail, API), the API tokens issued with this
    session stop working with it. API.md asks this of `POST /api/users/auth/logout/` ("revokes the
    refresh token and every access token issued with it"); the other doors do the same here, since
    login starts one session for the portal and the API. Django sends this before it flushes the session."""
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if session_key:
        ApiToken.objects.filter(session_key=session_key, revoked_at__isnull=True).update(revoked_at=timezone.now())
    if user is not None:
        activity_record(event=UserActivity.Event.LOGOUT, request=request, user=user)


@receiver(user_login_failed, dispatch_uid="coastal.activity.failed")
def on_login_failed(sender, credentials, request=None, **kwargs):
    email = (credentials.get("username") or credentials.get("email") or "").lower()
    user = User.objects.filter(email__iexact=email).first() if email else None
    if user is not None:
        User.objects.filter(pk=user.pk).update(failed_login_attempts=F("failed_login_attempts") + 1)
    activity_record(event=UserActivity.Event.LOGIN_FAILED, request=request, user=user, email=email)


@receiver(user_locked_out, dispatch_uid="coastal.activity.locked")
def on_locked_out(sender, request, username=None, ip_address=None, **kwargs):
    email = (username or "").lower()
    user = User.objects.filter(email__iexact=email).first() if email else None
    if user is not None:
        User.objects.filter(pk=user.pk).update(locked_until=timezone.now() + settings.AXES_COOLOFF_TIME)
    activity_record(event=UserActivity.Event.LOCKED_OUT, request=request, user=user, email=email)


@receiver(pre_save, sender=User, dispatch_uid="coastal.password.before")
def notice_password_change(sender, instance, raw=False, update_fields=None, **kwargs):
    instance._password_replaced = False
    if raw or instance.pk is None or (update_fields is not None and "password" not in update_fields):
        return
    old = User.objects.filter(pk=instance.pk).values_list("password", flat=True).first()
    instance._password_replaced = old is not None and old != instance.password


@receiver(post_save, sender=User, dispatch_uid="coastal.password.after")
def end_api_tokens_on_password_change(sender, instance, **kwargs):
    """A new password, however it was set (API, portal, console, an administrator's reset,
    `changepassword`), ends every API token of the account. Browser sessions end by themselves
    (Django's session hash); `services.password_change` names the tokens the change came from."""
    if getattr(instance, "_password_replaced", False):
        keep = getattr(instance, "_keep_api_tokens", ()) or ()
        ApiToken.objects.filter(user=instance, revoked_at__isnull=True).exclude(pk__in=keep).update(
            revoked_at=timezone.now()
        )
        instance._password_replaced, instance._keep_api_tokens = False, ()
