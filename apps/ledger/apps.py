from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "apps.ledger"
    label = "ledger"
    verbose_name = "Accounts and ledger"

    def ready(self):
        from apps.core.admin_site import register_admin_urls
        from apps.core.closing import register_check
        from apps.core.eod import register_step

        from . import business_days, lifecycle

        register_step("interest_accrual", 10, lifecycle.accrue_interest, "Interest accrual and monthly posting",
                      results={"accrued_days": "Days accrued", "accruals": "Daily interest accruals recorded",
                               "interest_posted_accounts": "Accounts credited with interest",
                               "interest_posted": ("Interest posted", True), "months_posted": "Months posted"})
        register_step("susu_cycles", 20, lifecycle.close_susu_cycles, "Susu cycle closing and commission",
                      results={"susu_cycles_closed": "Susu cycles closed",
                               "susu_commission": ("Susu commission taken", True)})
        register_step("dormancy", 30, lifecycle.mark_dormant, "Dormancy marking",
                      results={"accounts_made_dormant": "Accounts made dormant"})
        register_step("scheduled_fees", 40, lifecycle.charge_scheduled_fees, "Scheduled fees (month end)",
                      results={"fees": "Fees", "fees_charged": "Fees charged",
                               "fees_skipped": "Fees skipped (balance too low)", "fee_months": "For the month of"})
        register_step("verify_ledger", 90, lifecycle.check_books, "Ledger check",
                      results={"verify_ledger": "Books"})
        register_step("summary", 100, lifecycle.summarise, "Summary",
                      results={"transactions": "Movements completed", "volume": ("Amount moved", True)})
        register_check("approvals", 30, business_days.approvals_waiting, "Movements waiting for approval")
        self._grant_permissions()
        self._notifications()
        register_admin_urls(_admin_urls)

    @staticmethod
    def _notifications():
        from apps.core.eod import end_of_day_failed
        from apps.core.notify import register_notification_kind
        from apps.core.roles import Role

        from . import tasks

        register_notification_kind(
            "eod.step_failed", "End of day stopped", roles=(Role.OPERATIONS_MANAGER, Role.ADMIN),
            description="An end-of-day step failed; the run waits to be resumed from the business day page.")
        register_notification_kind(
            "business_day.still_open", "Business day still open", roles=(Role.OPERATIONS_MANAGER,),
            description="The nightly close found checklist items nobody resolved or overrode.")
        register_notification_kind(
            "ledger.approvals_waiting", "Movements waiting for approval", roles=(Role.MANAGER,),
            description="Large movements and reversals wait for a second person (the Approvals badge).")
        end_of_day_failed.connect(tasks.end_of_day_stopped, dispatch_uid="ledger.end_of_day_stopped")

    @staticmethod
    def _grant_permissions():
        from apps.core.roles import Role, grant, grant_decision

        teller = ("ledger.view_account", "ledger.add_account", "ledger.view_transaction", "ledger.add_transaction",
                  "ledger.view_product")
        grant(Role.CASHIER, *teller)
        grant(Role.MOBILE_BANKER, *teller)
        grant(Role.MANAGER, "ledger.view_account", "ledger.view_transaction", "ledger.add_transaction",
              "ledger.freeze_account", "ledger.view_journalentry", "ledger.view_posting", "ledger.view_glaccount",
              "ledger.view_product", "ledger.view_servicecharge", "ledger.view_ledgerpolicy",
              "ledger.view_dividenddeclaration")
        grant_decision(Role.MANAGER, "ledger.approve_transaction")  # large movements and reversals
        grant(Role.OPERATIONS_MANAGER, "ledger.view_account", "ledger.add_account", "ledger.freeze_account",
              "ledger.view_transaction", "ledger.view_journalentry", "ledger.view_posting",
              "ledger.view_glaccount", "ledger.add_glaccount", "ledger.change_glaccount",
              "ledger.view_product", "ledger.add_product", "ledger.change_product",
              "ledger.view_servicecharge", "ledger.add_servicecharge", "ledger.change_servicecharge",
              "ledger.view_ledgerpolicy", "ledger.change_ledgerpolicy",
              "ledger.declare_dividend", "ledger.view_dividenddeclaration", "ledger.add_dividenddeclaration",
              "ledger.view_scheduledfee", "ledger.add_scheduledfee", "ledger.change_scheduledfee")
        # The business day is opened and closed by django-q schedules (tasks.py, migration 0008) and
        # end of day runs as a django-q task: operations managers watch and adjust those jobs.
        grant(Role.OPERATIONS_MANAGER, "django_q.view_task", "django_q.view_schedule", "django_q.add_schedule",
              "django_q.change_schedule", "django_q.view_failure")


def _admin_urls(site):
    """Console pages outside a ModelAdmin (the teller pages are in TransactionAdmin.get_urls)."""
    from django.urls import path

    from . import eod_views

    return [
        path("business-day/", site.admin_view(eod_views.business_day_view), name="business_day"),
        path("dividends/", site.admin_view(eod_views.dividends_view), name="dividends"),
    ]
