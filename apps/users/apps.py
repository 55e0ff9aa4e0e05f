from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "apps.users"
    label = "users"
    verbose_name = "Users and security"

    def ready(self):
        from . import signals  # noqa: F401

        self._grant_permissions()
        self._console()

    @staticmethod
    def _grant_permissions():
        from apps.core.roles import Role, grant

        # Managers watch staff and sign-in security, including django-axes' failed sign-ins and locks.
        grant(Role.MANAGER, "users.view_user", "users.view_useractivity",
              "axes.view_accessattempt", "axes.view_accessfailurelog")
        grant(Role.OPERATIONS_MANAGER, "users.view_user")

    @staticmethod
    def _console():
        from apps.core.admin_site import register_admin_urls, register_login_view

        register_login_view("apps.users.views.StaffLoginView")
        register_admin_urls(_admin_urls)


def _admin_urls(site):
    from django.urls import path

    from . import views

    return [
        # Enrolment opens before the second factor is verified, so it is not behind site.admin_view.
        path("otp/enrol/", views.otp_enrol, name="otp_enrol"),
        path("otp/backup-codes/", site.admin_view(views.otp_backup_codes), name="otp_backup_codes"),
        path("my-sessions/", site.admin_view(views.StaffSessionsView.as_view()), name="my_sessions"),
    ]
