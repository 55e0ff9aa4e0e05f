from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "apps.ledger"
    label = "ledger"
    verbose_name = "Accounts and ledger"

    def ready(self):
        from apps.core.admin import register_task_words
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
        self._sidebar()
        for func, words in (("apps.ledger.tasks.scheduled_end_of_day", "Close the business day (nightly)"),
                            ("apps.ledger.tasks.scheduled_open_day", "Open the business day (morning)"),
                            ("apps.ledger.tasks.run_end_of_day", "End of day"),
                            ("apps.ledger.dividends.post_lines", "Post a declared dividend")):
            register_task_words(func, words)

    @staticmethod
    def _sidebar():
        from apps.core import sidebar
        from apps.core.roles import Role

        has_perm, has_role = sidebar.has_perm, sidebar.has_role
        sidebar.register_group("banking", "Banking", position=20, collapsible=True)
        for position, (title, icon, kind, permission) in enumerate([
            ("Deposit", "savings", "deposit", has_role(Role.CASHIER)),
            ("Withdrawal", "payments", "withdrawal", _teller_page("withdrawal")),
            ("Transfer", "swap_horiz", "transfer", _teller_page("transfer")),
            ("Payment", "outbound", "payment", _teller_page("payment")),
            ("Fee", "price_change", "fee", _teller_page("fee")),
            ("Shares pay-out (member exit)", "logout", "shares_exit", _teller_page("shares_exit")),
            ("Field deposit", "directions_walk", "deposit", has_role(Role.MOBILE_BANKER)),
        ], start=1):
            sidebar.register_item("banking", title, icon, url=f"admin:ledger_teller_{kind}", position=position * 10,
                                  permission=permission)
        sidebar.register_item("banking", "Accounts", "account_balance_wallet", url="admin:ledger_account_changelist",
                              position=80, permission=has_perm("ledger.view_account"))
        sidebar.register_item("banking", "Transactions", "receipt_long", url="admin:ledger_transaction_changelist",
                              position=90, permission=has_perm("ledger.view_transaction"),
                              # not lit on the teller pages and the approvals queue, which live below it
                              active=sidebar.path_is("admin:ledger_transaction_changelist", prefix=True,
                                                     except_under=("/ledger/transaction/teller/",
                                                                   "/ledger/transaction/approvals/")))
        sidebar.register_item("banking", "Journal", "menu_book", url="admin:ledger_journalentry_changelist",
                              position=100, permission=has_perm("ledger.view_journalentry"))
        sidebar.register_item("banking", "Approvals", "fact_check", url="admin:ledger_approvals", position=110,
                              permission=has_perm("ledger.approve_transaction"),
                              badge="apps.ledger.admin_views.pending_approvals_badge", badge_variant="danger")

        sidebar.register_group("ledger_setup", "Ledger setup", position=50, collapsible=True)
        sidebar.register_item("ledger_setup", "Products", "category", url="admin:ledger_product_changelist",
                              position=10, permission=has_perm("ledger.change_product"))
        sidebar.register_item("ledger_setup", "Service charges", "request_quote",
                              url="admin:ledger_servicecharge_changelist", position=20,
                              permission=has_perm("ledger.change_servicecharge"))
        sidebar.register_item("ledger_setup", "Chart of accounts", "account_tree",
                              url="admin:ledger_glaccount_changelist", position=30,
                              permission=has_perm("ledger.change_glaccount"))
        sidebar.register_item("ledger_setup", "Ledger policy", "policy", url="admin:ledger_ledgerpolicy_changelist",
                              position=40, permission=has_perm("ledger.change_ledgerpolicy"))
        sidebar.register_item("ledger_setup", "Business day", "event_available", url="admin:business_day",
                              position=50, permission=has_perm("core.change_businessday"),
                              badge="apps.core.eod.failed_end_of_day_badge", badge_variant="danger")
        sidebar.register_item("ledger_setup", "Dividends", "volunteer_activism", url="admin:dividends", position=60,
                              permission=has_perm("ledger.add_dividenddeclaration"))

        # django-q's pages: the schedules that open and close the business day, and the jobs they ran.
        sidebar.register_group("operations", "Operations", position=80, collapsible=True)
        sidebar.register_item("operations", "Scheduled jobs", "schedule", url="admin:django_q_schedule_changelist",
                              position=10, permission=has_perm("django_q.view_schedule"))
        sidebar.register_item("operations", "Finished jobs", "task_alt", url="admin:django_q_success_changelist",
                              position=20, permission=has_perm("django_q.view_success"))
        sidebar.register_item("operations", "Failed jobs", "error", url="admin:django_q_failure_changelist",
                              position=30, permission=has_perm("django_q.view_failure"))

    @staticmethod
    def _notifications():
        from apps.core.eod import end_of_day_failed
        from apps.core.notify import register_notification_kind
        from apps.core.roles import Role

        from . import tasks

        register_notification_kind(
            "eod.step_failed", "End of day stopped", roles=(Role.OPERATIONS_MANAGER, Role.ADMIN), email_default=True,
            description="An end-of-day step failed; the run waits to be resumed from the business day page.")
        register_notification_kind(
            "business_day.still_open", "Business day still open", roles=(Role.OPERATIONS_MANAGER,),
            email_default=True, description="The nightly close found checklist items nobody resolved or overrode.")
        register_notification_kind(
            "ledger.approvals_waiting", "Movement waiting for approval", roles=(Role.MANAGER,),
            description="A large movement or a reversal waits for a second person on the Approvals page.")
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


def _teller_page(kind: str):
    """Sidebar rule: show a teller page to the roles its view admits (read when the sidebar is drawn)."""
    def allowed(request):
        from .admin_views import TELLER_VIEWS

        return getattr(request.user, "role", None) in TELLER_VIEWS[kind].roles
    return allowed
