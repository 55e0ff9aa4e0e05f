"""The staff console: unfold's admin site, with a second factor where the role needs one."""

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.urls import path
from unfold.sites import UnfoldAdminSite

from .roles import Role

OTP_REQUIRED_ROLES = frozenset(role for role in Role if role.otp_required)


def otp_required_for(user) -> bool:
    """Roles that need a second factor (Role.otp_required) must use one; anyone who enrolled must too."""
    if not user.is_authenticated:
        return False
    if getattr(user, "role", None) in OTP_REQUIRED_ROLES:
        return True
    from django_otp import user_has_device

    return user_has_device(user)


class CoastalAdminSite(UnfoldAdminSite):
    site_header = "Coastal back office"
    site_title = "Coastal"
    index_title = "Dashboard"
    login_template = "admin/login.html"

    def has_permission(self, request):
        user = request.user
        if not (user.is_active and user.is_staff):
            return False
        if otp_required_for(user) and not user.is_verified():
            return False
        return True

    def login(self, request, extra_context=None):
        from apps.users.views import StaffLoginView

        context = {**self.each_context(request), "title": "Sign in", "app_path": request.get_full_path()}
        if REDIRECT_FIELD_NAME not in request.GET and REDIRECT_FIELD_NAME not in request.POST:
            context[REDIRECT_FIELD_NAME] = "/admin/"
        context.update(extra_context or {})
        return StaffLoginView.as_view(extra_context=context, template_name=self.login_template)(request)

    def extra_urls(self):
        """Custom staff pages that live under /admin/ (OTP enrolment, own sessions, …)."""
        from apps.ledger import eod_views
        from apps.reports.admin_views import statement_urls
        from apps.users import views as user_views

        return [
            *statement_urls(self),
            path("business-day/", self.admin_view(eod_views.business_day_view), name="business_day"),
            path("dividends/", self.admin_view(eod_views.dividends_view), name="dividends"),
            path("otp/enrol/", user_views.otp_enrol, name="otp_enrol"),
            path("otp/backup-codes/", self.admin_view(user_views.otp_backup_codes), name="otp_backup_codes"),
            path("my-sessions/", self.admin_view(user_views.StaffSessionsView.as_view()), name="my_sessions"),
        ]
