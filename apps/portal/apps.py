from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "apps.portal"
    label = "portal"
    verbose_name = "Member portal"

    def ready(self):
        from apps.core.roles import Role, grant

        # The public website's pages are edited in Wagtail's admin (/cms/).
        grant(Role.OPERATIONS_MANAGER, "wagtailadmin.access_admin")
