from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "apps.reports"
    label = "reports"
    verbose_name = "Reports"

    def ready(self):
        from apps.core.admin_site import register_admin_urls

        register_admin_urls(_admin_urls)


def _admin_urls(site):
    from .admin_views import statement_urls

    return statement_urls(site)  # the statement page, "admin:account_statement"
