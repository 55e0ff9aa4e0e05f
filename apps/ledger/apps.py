from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "apps.ledger"
    label = "ledger"
    verbose_name = "Accounts and ledger"

    def ready(self):
        from apps.core.eod import register_step

        from . import lifecycle

        register_step("interest_accrual", 10, lifecycle.accrue_interest, "Interest accrual and monthly posting")
        register_step("susu_cycles", 20, lifecycle.close_susu_cycles, "Susu cycle closing and commission")
        register_step("dormancy", 30, lifecycle.mark_dormant, "Dormancy marking")
        register_step("scheduled_fees", 40, lifecycle.charge_scheduled_fees, "Scheduled fees (month end)")
        register_step("verify_ledger", 90, lifecycle.check_books, "Ledger check")
        register_step("summary", 100, lifecycle.summarise, "Summary")
