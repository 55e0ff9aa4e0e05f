from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "apps.reports"
    label = "reports"
    verbose_name = "Reports"

    def ready(self):
        from apps.core.admin import register_task_words
        from apps.core.admin_site import register_admin_urls
        from apps.core.dashboard import register_card

        register_task_words("apps.reports.tasks.statement_job", "Prepare an account statement")

        register_admin_urls(_admin_urls)
        # Each role's own work first, the bank's figures after the security card.
        register_card("role_panels", position=10, template="admin/dashboard/role_panels.html",
                      context="apps.reports.dashboard.role_panels_card")
        register_card("banking", position=30, template="admin/dashboard/banking.html",
                      context="apps.reports.dashboard.banking_card")


def _admin_urls(site):
    from .admin_views import statement_urls

    return statement_urls(site)  # the statement page, "admin:account_statement"
