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
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_q import admin as q_admin
from django_q.models import Failure, OrmQ, Schedule, Success
from qsessions.models import Session
from unfold.admin import ModelAdmin


def _reregister(model, base_admin):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, type(base_admin.__name__, (base_admin, ModelAdmin), {}))


for _model, _base in (
    (Group, BaseGroupAdmin),
    (Schedule, q_admin.ScheduleAdmin),
    (Success, q_admin.TaskAdmin),
    (Failure, q_admin.FailAdmin),
    (OrmQ, q_admin.QueueAdmin),
    (AccessAttempt, AccessAttemptAdmin),
    (AccessLog, AccessLogAdmin),
    (AccessFailureLog, AccessFailureLogAdmin),
):
    _reregister(_model, _base)

if admin.site.is_registered(Session):
    admin.site.unregister(Session)


class SecondFactorDeviceAdmin(ModelAdmin):
    """Who has which second factor, and when it was last used: never its secret or codes. A lost
    device is removed with the user's "Reset two-factor" action, which is audited."""

    list_display = ("user", "name", "confirmed")
    list_filter = ("confirmed",)
    search_fields = ("user__email", "name")
    fields = ("user", "name", "confirmed")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
    admin.site.register(_model, SecondFactorDeviceAdmin)
