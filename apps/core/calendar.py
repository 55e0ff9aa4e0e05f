"""The working calendar: the days the institution does not work (holidays, and days of the week
such as Sunday). Repayment schedules move a due date that falls on one to the next working day.
Nothing is configured until operations adds it in the console (Calendar in the sidebar)."""

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class WorkingCalendar:
    holidays: frozenset[date] = frozenset()
    non_working_weekdays: frozenset[int] = frozenset()  # 0 = Monday ... 6 = Sunday

    def is_working_day(self, day: date) -> bool:
        return day not in self.holidays and day.weekday() not in self.non_working_weekdays


def working_calendar() -> WorkingCalendar:
    """The calendar as configured now (two small queries)."""
    from .models import Holiday, NonWorkingWeekday

    return WorkingCalendar(holidays=frozenset(Holiday.objects.values_list("date", flat=True)),
                           non_working_weekdays=frozenset(NonWorkingWeekday.objects.values_list("weekday", flat=True)))
