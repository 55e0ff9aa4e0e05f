from django.contrib.admin.apps import AdminConfig


class CoastalAdminConfig(AdminConfig):
    """Replaces django.contrib.admin so `admin.site` is Coastal's OTP-aware unfold site."""

    default_site = "apps.core.admin_site.CoastalAdminSite"
