"""Third-party admins re-registered on unfold's ModelAdmin so the console looks like one product."""

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.models import Group
from django_otp.plugins.otp_static.admin import StaticDeviceAdmin as BaseStaticDeviceAdmin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin as BaseTOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_q import admin as q_admin
from django_q.models import Failure, OrmQ, Schedule, Success
from qsessions.admin import SessionAdmin as BaseSessionAdmin
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
    (TOTPDevice, BaseTOTPDeviceAdmin),
    (StaticDevice, BaseStaticDeviceAdmin),
    (Session, BaseSessionAdmin),
):
    _reregister(_model, _base)
