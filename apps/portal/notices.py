"""The site-wide notices banner: which published notices a viewer sees now, and the job that
publishes and expires scheduled ones.

A notice is shown when it is live (published in Wagtail, and not expired), its `show_from` has come
and its `show_until` has not passed, and the viewer is in its audience: everyone; members (signed in
as a customer); staff (signed in with a staff role).
"""

from django.core.management import call_command
from django.db.models import Q
from django.utils import timezone

from apps.core.roles import Role

from .models import PortalNotice


def audiences_for(user) -> list[str]:
    """The audiences a viewer belongs to (everyone, plus members or staff once signed in)."""
    audiences = [PortalNotice.Audience.EVERYONE]
    if user is not None and user.is_authenticated:
        role = getattr(user, "role", None)
        if role == Role.CUSTOMER:
            audiences.append(PortalNotice.Audience.MEMBERS)
        elif role in Role.values and Role(role).staff:
            audiences.append(PortalNotice.Audience.STAFF)
    return audiences


def current_notices(user, *, now=None):
    """The live notices this viewer should see now, the most recent first."""
    now = now or timezone.now()
    return (PortalNotice.objects.filter(live=True, expired=False, audience__in=audiences_for(user))
            .filter(Q(show_from__isnull=True) | Q(show_from__lte=now))
            .filter(Q(show_until__isnull=True) | Q(show_until__gt=now))
            .filter(Q(expire_at__isnull=True) | Q(expire_at__gt=now))
            .order_by("-show_from", "-last_published_at", "-pk"))


def publish_scheduled() -> None:
    """The django-q schedule (every five minutes): publish pages and notices whose go-live time has
    come and unpublish those whose expiry has passed (Wagtail's own command)."""
    call_command("publish_scheduled")
