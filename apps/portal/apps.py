from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "apps.portal"
    label = "portal"
    verbose_name = "Member portal"

    def ready(self):
        from apps.core.roles import Role, grant

        # The public website's pages are edited in Wagtail's admin (/cms/).
        grant(Role.OPERATIONS_MANAGER, "wagtailadmin.access_admin")
        self._sidebar()

    @staticmethod
    def _sidebar():
        from apps.core import sidebar

        sidebar.register_group("operations", "Operations", position=80, collapsible=True)
        sidebar.register_item("operations", "Website content", "web", link="/cms/", position=40,
                              permission=sidebar.has_perm("wagtailadmin.access_admin"))
