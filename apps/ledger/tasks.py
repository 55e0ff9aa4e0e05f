"""django-q2 tasks. They may run twice: each is idempotent."""

from django.contrib.auth import get_user_model
from django.utils import timezone

from apps.core.eod import run_chain
from apps.core.models import BusinessDay
from apps.core.roles import Role

from .business_days import business_day_close, business_day_open
from .errors import LedgerError

SYSTEM_EMAIL = "system@coastal.local"


def system_user():
    """The actor for scheduled jobs: an operations manager that cannot sign in."""
    user, created = get_user_model().objects.get_or_create(
        email=SYSTEM_EMAIL, defaults={"role": Role.OPERATIONS_MANAGER, "first_name": "Scheduled", "last_name": "jobs",
                                      "is_active": False})
    if created:
        user.set_unusable_password()
        user.save()
    return user


def run_end_of_day(run_id: int) -> str:
    run = run_chain(run_id)
    return f"{run.business_date}: {run.status}"


def scheduled_end_of_day() -> str:
    """The nightly schedule: close today's business date if it is still open."""
    day = BusinessDay.objects.order_by("-date").first()
    if day is None or day.status != BusinessDay.Status.OPEN or day.date > timezone.localdate():
        return "nothing to close"
    try:
        run = business_day_close(actor=_permitted(system_user()))
    except LedgerError as exc:
        if exc.code == "checklist_open":
            _tell_operations_the_day_is_still_open(day, exc.message)
        return exc.message
    return f"closing {run.business_date}"


def _tell(kind: str, *, title: str, body: str) -> None:
    """Notify everyone the kind is for (its roles), linking to the business day page."""
    from django.urls import reverse

    from apps.core.notify import NOTIFICATION_KINDS
    from apps.messaging.services import notify

    notify(NOTIFICATION_KINDS[kind].roles, kind, title, body, link=reverse("admin:business_day"))


def _tell_operations_the_day_is_still_open(day, reason: str) -> None:
    """The nightly close found checklist items nobody resolved or overrode: the day stays open, and the
    people who can close it are told where to look."""
    _tell("business_day.still_open",
          title=f"{day.date:%d %b %Y} is still open: the closing checklist is not done",
          body=f"The nightly close did not run end of day for {day.date:%A %d %B %Y}.\n\n{reason}\n\n"
               "Resolve or override each item on the business day page, then close the day.")


def end_of_day_stopped(sender, *, run, step, error: str, **kwargs) -> None:
    """core.eod.end_of_day_failed: audit the failure and notify the operations managers and
    administrators who can resume the run (e-mailed unless they turned it off; connected in
    LedgerConfig.ready)."""
    from apps.audit.services import record

    record(run.started_by, "eod.step_failed", run, step=step.name, error=error)
    _tell("eod.step_failed",
          title=f"End of day for {run.business_date:%d %b %Y} stopped at “{step.label}”",
          body=(f"The end-of-day run for {run.business_date:%A %d %B %Y}, started by {run.started_by}, stopped "
                f"at the step “{step.label}”:\n\n    {error}\n\nThe business date stays closed to postings and "
                "the steps already done are kept. Fix the cause, then resume the run from the business day page."))


def scheduled_open_day() -> str:
    """The morning schedule: open today's business date once yesterday's is closed."""
    try:
        day = business_day_open(actor=_permitted(system_user()), day=timezone.localdate())
    except Exception as exc:  # already open, yesterday still closing: report, the next run tries again
        return f"not opened: {exc}"
    return f"opened {day.date}"


def _permitted(user):
    """The system user acts with the operations managers' rights although it cannot sign in."""
    user.is_active = True  # has_perm answers False for inactive users; this instance is never saved
    return user
