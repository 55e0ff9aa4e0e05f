from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "apps.users"
    label = "users"
    verbose_name = "Users and security"

    def ready(self):
        from apps.core.dashboard import register_card

        from . import signals  # noqa: F401

        self._grant_permissions()
        self._console()
        self._sidebar()
        register_card("security", position=20, template="admin/dashboard/security.html",
                      context="apps.users.dashboard.security_card")
        self._notifications()

    @staticmethod
    def _notifications():
        from apps.core.notify import register_notification_kind
        from apps.core.roles import Role

        # Raised by messaging's user_logged_in receiver (apps/messaging/signin.py): users does not import messaging.
        register_notification_kind(
            "users.new_device", "Sign-in from a new device", roles=tuple(Role), email_default=True,
            description="Someone signed in to your account from a device or network not seen before.")

    @staticmethod
    def _sidebar():
        from apps.core import sidebar
        from apps.core.roles import Role

        has_perm, item = sidebar.has_perm, sidebar.register_item
        sidebar.register_group("people", "People", position=60, collapsible=True)
        item("people", "Users", "group", url="admin:users_user_changelist", position=10,
             permission=has_perm("users.view_user"))
        item("people", "Sign-in activity", "login", url="admin:users_useractivity_changelist", position=20,
             permission=has_perm("users.view_useractivity"))
        item("people", "Roles", "badge", url="admin:auth_group_changelist", position=30,
             permission=has_perm("auth.view_group"))

        sidebar.register_group("security", "Security", position=70, collapsible=True)
        item("security", "Failed sign-ins", "gpp_bad", url="admin:axes_accessattempt_changelist", position=20,
             permission=has_perm("axes.view_accessattempt"))
        item("security", "All sessions", "devices", url="admin:my_sessions", position=30,
             permission=sidebar.has_role(Role.ADMIN))
        item("security", "Authenticator devices", "phonelink_lock", url="admin:otp_totp_totpdevice_changelist",
             position=40, permission=has_perm("otp_totp.view_totpdevice"))

        sidebar.register_group("my_account", "My account", position=100)
        item("my_account", "My sessions", "devices_other", url="admin:my_sessions", position=10)
        item("my_account", "Backup codes", "key", url="admin:otp_backup_codes", position=20)
        item("my_account", "Change password", "password", url="admin:password_change", position=30)

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
