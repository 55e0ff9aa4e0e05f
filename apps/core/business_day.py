"""The business date every posting is booked on."""

from django.db import transaction
from django.utils import timezone


class BusinessDayClosed(Exception):
    """Postings are refused while no business day is open."""


def current_business_date():
    """The open business date. On a brand-new install (no day ever opened) today's is opened;
    once days are being opened and closed, a closed day refuses postings until the next opens."""
    from .models import BusinessDay

    day = BusinessDay.objects.filter(status=BusinessDay.Status.OPEN).order_by("-date").first()
    if day is not None:
        return day.date
    day = BusinessDay.objects.order_by("-date").first()
    if day is None:
        with transaction.atomic():
            day, _ = BusinessDay.objects.get_or_create(date=timezone.localdate(),
                                                       defaults={"status": BusinessDay.Status.OPEN})
    if day.status != BusinessDay.Status.OPEN:
        raise BusinessDayClosed(f"The business day {day.date:%d %b %Y} is closed; postings wait until the next "
                                "day is opened.")
    return day.date




def reporting_date():
    """The date account pages report as of: the open business date, else the latest one, else today.

    Unlike `current_business_date` it never opens a day or refuses: reading is allowed while closed."""
    from .models import BusinessDay

    day = (BusinessDay.objects.filter(status=BusinessDay.Status.OPEN).order_by("-date").first()
           or BusinessDay.objects.order_by("-date").first())
    return day.date if day else timezone.localdate()
