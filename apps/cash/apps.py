from django.apps import AppConfig


class CashConfig(AppConfig):
    name = "apps.cash"
    label = "cash"
    verbose_name = "Cash operations"
