"""Third-party admins re-registered on unfold's ModelAdmin so the console looks like one product.

Some are left out or cut down because they would show a value that signs someone in: qsessions'
admin names each session by its key (in every URL and checkbox), so sessions are listed on the
Sessions page by an opaque id instead (apps/users/views.py); django-otp's device admins show the
TOTP secret, its QR code and the backup codes, so the console lists devices without them."""

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_q import admin as q_admin
from django_q.models import Failure, OrmQ, Schedule, Success
from qsessions.models import Session
from simple_history.admin import SimpleHistoryAdmin
from unfold.admin import ModelAdmin
from unfold.decorators import display

from .admin_mixins import ReadOnlyAdminMixin, ReadOnlyHistoryMixin
from .models import Holiday, NonWorkingWeekday

# What each background job does, in words: the app that owns a job registers its words from
# AppConfig.ready() with register_task_words (core knows no app's jobs).
TASK_WORDS: dict[str, str] = {}


def register_task_words(func: str, words: str) -> None:
    """Name a django-q job (its function's dotted path) in words on the job pages."""
    TASK_WORDS[func] = words


def task_words(func: str) -> str:
    return TASK_WORDS.get(func, func.rsplit(".", 1)[-1].replace("_", " ").capitalize())


def repeats_words(repeats: int) -> str:
    if repeats < 0:
        return "Forever"
    if repeats == 0:
        return "No more runs"
    return f"{repeats} more time{'s' if repeats != 1 else ''}"


def result_words(result) -> str:
    if result is None or result == "":
        return "—"
    if isinstance(result, str):
        return Truncator(result).chars(120)
    return "Done"


class PlainScheduleAdmin(q_admin.ScheduleAdmin, ModelAdmin):
    """The job schedule in words: what runs, how often, how many more times, and how the last run went."""

    list_display = ("name", "job", "how_often", "repeats_display", "next_run", "last_run")
    list_display_links = ("name",)
    list_filter = ("schedule_type",)

    @display(description="Job", ordering="func")
    def job(self, obj):
        return task_words(obj.func)

    @display(description="How often", ordering="schedule_type")
    def how_often(self, obj):
        if obj.schedule_type == Schedule.MINUTES:
            return f"Every {obj.minutes or 1} minute{'s' if (obj.minutes or 1) != 1 else ''}"
        if obj.schedule_type == Schedule.CRON:
            return f"On the timetable {obj.cron}"
        return obj.get_schedule_type_display()

    @display(description="Runs left", ordering="repeats")
    def repeats_display(self, obj):
        return repeats_words(obj.repeats)

    @display(description="Last run")
    def last_run(self, obj):
        if obj.task_name is None:
            return "Not run yet"
        name = "admin:django_q_success_change" if obj.task_success else "admin:django_q_failure_change"
        return format_html('<a class="text-primary-600 dark:text-primary-500" href="{}">{}</a>',
                           reverse(name, args=(obj.task_id,)), "Succeeded" if obj.task_success else "Failed")


class _PlainTaskAdmin(ModelAdmin):
    list_filter = ()
    search_fields = ("name", "func", "group")

    @display(description="Job", ordering="func")
    def job(self, obj):
        return task_words(obj.func)

    @display(description="Took")
    def took(self, obj):
        seconds = obj.time_taken()
        return f"{seconds:.1f} s" if seconds is not None else "—"

    @display(description="Result")
    def outcome(self, obj):
        return result_words(obj.result)


class PlainTaskAdmin(_PlainTaskAdmin, q_admin.TaskAdmin):
    list_display = ("name", "job", "started", "stopped", "took", "outcome")


class PlainFailAdmin(_PlainTaskAdmin, q_admin.FailAdmin):
    list_display = ("name", "job", "started", "stopped", "outcome")

    @display(description="What went wrong")
    def outcome(self, obj):
        return result_words(obj.result)


def _reregister(model, base_admin):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, type(base_admin.__name__, (base_admin, ModelAdmin), {}))


for _model, _base in (
    (Group, BaseGroupAdmin),
    (OrmQ, q_admin.QueueAdmin),
    (AccessAttempt, AccessAttemptAdmin),
    (AccessLog, AccessLogAdmin),
    (AccessFailureLog, AccessFailureLogAdmin),
):
    _reregister(_model, _base)

if admin.site.is_registered(Session):
    admin.site.unregister(Session)


class SecondFactorDeviceAdmin(ReadOnlyAdminMixin, ModelAdmin):
    """Who has which second factor, and when it was last used: never its secret or codes. A lost
    device is removed with the user's "Reset two-factor" action, which is audited."""

    list_display = ("user", "name", "confirmed")
    list_filter = ("confirmed",)
    search_fields = ("user__email", "name")
    fields = ("user", "name", "confirmed")
    readonly_fields = fields


for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
    admin.site.register(_model, SecondFactorDeviceAdmin)

for _model, _plain in ((Schedule, PlainScheduleAdmin), (Success, PlainTaskAdmin), (Failure, PlainFailAdmin)):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
    admin.site.register(_model, _plain)


# --- the working calendar (operations) ---------------------------------------------------------------

class _CalendarAdmin(ReadOnlyHistoryMixin, SimpleHistoryAdmin, ModelAdmin):
    """Days the institution does not work; repayment due dates move off them. Changes keep their history."""


@admin.register(Holiday)
class HolidayAdmin(_CalendarAdmin):
    list_display = ("date", "name")
    search_fields = ("name",)
    date_hierarchy = "date"


@admin.register(NonWorkingWeekday)
class NonWorkingWeekdayAdmin(_CalendarAdmin):
    list_display = ("weekday",)
