from django.contrib.admin.apps import AdminConfig


class CoastalAdminConfig(AdminConfig):
    """Replaces django.contrib.admin so `admin.site` is Coastal's OTP-aware unfold site."""

    default_site = "apps.core.admin_site.CoastalAdminSite"

    def ready(self):
        # unfold's default AppConfig (listed before us in INSTALLED_APPS) sets `admin.site` to a plain
        # UnfoldAdminSite in its own ready(), which would bypass `default_site` entirely: no second
        # factor, no Coastal login view, no enrolment pages. Put Coastal's site back before
        # autodiscover() registers every app's ModelAdmins on it.
        from django.contrib import admin
        from django.contrib.admin import sites
        from django.utils.module_loading import import_string

        site = import_string(self.default_site)()
        admin.site = sites.site = site
        super().ready()
