from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


def _sync_roles(sender, **kwargs):
    """post_migrate is sent once per app, and each app's permissions are created by its own
    signal; sync only on the last one, when every app's permissions exist."""
    with_models = [config for config in apps.get_app_configs() if config.models_module is not None]
    if sender is not with_models[-1]:
        return
    from .roles import sync_roles

    sync_roles()


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    verbose_name = "Coastal core"

    def ready(self):
        from django import forms

        from .text import validate_plain_text

        # Every text box of every form (console, portal, Wagtail, sign-in) refuses control characters
        # with a field error: Field.__init__ copies default_validators, so this one line covers
        # CharField and its subclasses that keep them (EmailField and the like bring their own
        # validators, which refuse such characters already).
        forms.CharField.default_validators = [validate_plain_text]

        self._grant_permissions()
        post_migrate.connect(_sync_roles, dispatch_uid="coastal.sync_roles")
        self._sidebar()
        from . import job_views
        from .admin_site import register_admin_urls

        register_admin_urls(job_views.admin_urls)

    @staticmethod
    def _sidebar():
        from . import sidebar

        sidebar.register_group("overview", "Overview", position=0)
        sidebar.register_item("overview", "Dashboard", "dashboard", url="admin:index", position=10)
        # The working calendar, beside the jobs that run the business day.
        sidebar.register_group("operations", "Operations", position=80, collapsible=True)
        sidebar.register_item("operations", "Holidays", "event_busy", url="admin:core_holiday_changelist",
                              position=34, permission=sidebar.has_perm("core.view_holiday"))
        sidebar.register_item("operations", "Non-working days", "weekend",
                              url="admin:core_nonworkingweekday_changelist", position=36,
                              permission=sidebar.has_perm("core.view_nonworkingweekday"))

    @staticmethod
    def _grant_permissions():
        from .roles import ALL_PERMISSIONS, Role, grant

        # The administrator manages users, roles and settings: every permission but the decisions.
        grant(Role.ADMIN, ALL_PERMISSIONS)
        # The business day and its end-of-day runs (the models live here; ledger opens and closes days).
        grant(Role.MANAGER, "core.view_businessday", "core.view_endofdayrun", "core.view_endofdaystep")
        grant(Role.OPERATIONS_MANAGER, "core.view_businessday", "core.add_businessday", "core.change_businessday",
              "core.view_endofdayrun", "core.view_endofdaystep")
        # The working calendar: operations keeps it; managers see it.
        calendar = ("core.view_holiday", "core.view_nonworkingweekday")
        grant(Role.MANAGER, *calendar)
        grant(Role.OPERATIONS_MANAGER, *calendar, "core.add_holiday", "core.change_holiday", "core.delete_holiday",
              "core.add_nonworkingweekday", "core.delete_nonworkingweekday")
