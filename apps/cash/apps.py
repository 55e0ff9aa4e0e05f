from django.apps import AppConfig


class CashConfig(AppConfig):
    name = "apps.cash"
    label = "cash"
    verbose_name = "Cash operations"

    def ready(self):
        from apps.core.eod import register_step

        from . import services

        register_step("cash_position", 80, services.end_of_day_cash, "Cash still out of the vault")
