from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "apps.users"
    label = "users"
    verbose_name = "Users and security"

    def ready(self):
        from . import signals  # noqa: F401

        self._grant_permissions()

    @staticmethod
    def _grant_permissions():
        from apps.core.roles import Role, grant

        # Managers watch staff and sign-in security, including django-axes' failed sign-ins and locks.
        grant(Role.MANAGER, "users.view_user", "users.view_useractivity",
              "axes.view_accessattempt", "axes.view_accessfailurelog")
        grant(Role.OPERATIONS_MANAGER, "users.view_user")
