from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "apps.portal"
    label = "portal"
    verbose_name = "Member portal"

    def ready(self):
        from apps.core.roles import Role, grant

        # The public website's pages are edited in Wagtail's admin (/cms/). Page and collection
        # permissions and the second-person approval workflow are rows Wagtail keeps itself (see
        # migrations/0005_cms_access.py); these are the model permissions the groups hold.
        editing = ("wagtailadmin.access_admin", "portal.add_portalnotice", "portal.change_portalnotice",
                   "portal.lock_portalnotice", "wagtailimages.add_image", "wagtailimages.change_image",
                   "wagtailimages.choose_image", "wagtaildocs.add_document", "wagtaildocs.change_document",
                   "wagtaildocs.choose_document")
        # Content editors submit notices for approval; publishing is the second person's decision.
        grant(Role.CONTENT_EDITOR, *editing)
        for role in (Role.MANAGER, Role.OPERATIONS_MANAGER):
            grant(role, *editing, "portal.publish_portalnotice", "portal.unlock_portalnotice",
                  "portal.delete_portalnotice")
        self._sidebar()

    @staticmethod
    def _sidebar():
        from apps.core import sidebar

        sidebar.register_group("operations", "Operations", position=80, collapsible=True)
        sidebar.register_item("operations", "Website content", "web", link="/cms/", position=40,
                              permission=sidebar.has_perm("wagtailadmin.access_admin"))
