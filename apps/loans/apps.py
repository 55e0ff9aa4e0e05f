from django.apps import AppConfig


class LoansConfig(AppConfig):
    name = "apps.loans"
    label = "loans"
    verbose_name = "Loans"

    def ready(self):
        from apps.core.admin_site import register_admin_urls

        self._grant_permissions()
        self._sidebar()
        self._eod_steps()
        self._notifications()
        register_admin_urls(_admin_urls)

    @staticmethod
    def _notifications():
        from apps.core.notify import register_notification_kind
        from apps.core.roles import Role

        register_notification_kind(
            "loans.application_waiting", "Loan application waiting", roles=(Role.MANAGER,),
            description="A member applied for a loan; it waits for a manager's decision.")
        register_notification_kind(
            "loans.instalment_due", "Loan instalment due soon", roles=(Role.CUSTOMER,),
            description="A reminder a few days before a loan instalment falls due.")
        register_notification_kind(
            "loans.instalment_overdue", "Loan instalment overdue", roles=(Role.CUSTOMER,), email_default=True,
            description="An instalment was not paid by its due date.")

    @staticmethod
    def _grant_permissions():
        from apps.core.roles import Role, grant, grant_decision

        view = ("loans.view_loanproduct", "loans.view_loanproductfee")
        loans = ("loans.view_loan", "loans.view_loanguarantee", "loans.view_loandocument")
        for role in (Role.CASHIER, Role.MOBILE_BANKER, Role.MANAGER):
            grant(role, *view, *loans)
        for role in (Role.CASHIER, Role.MOBILE_BANKER):
            grant(role, "loans.add_loan", "loans.add_loandocument")
        grant_decision(Role.MANAGER, "loans.approve_loan")
        grant(Role.OPERATIONS_MANAGER, *view, *loans, "loans.view_loanspolicy", "loans.change_loanspolicy",
              "loans.add_loanproduct", "loans.change_loanproduct",
              "loans.add_loanproductfee", "loans.change_loanproductfee", "loans.delete_loanproductfee")

    @staticmethod
    def _eod_steps():
        """Loans' end of day (apps/loans/eod.py), after the ledger's product steps and before its check (90)."""
        from apps.core.eod import register_step

        from . import eod

        for name, position, func, label, results in eod.STEPS:
            register_step(name, position, func, label, results=results)

    @staticmethod
    def _sidebar():
        from apps.core import sidebar

        sidebar.register_group("loans", "Loans", position=45, collapsible=True)
        sidebar.register_item("loans", "Loan products", "request_page", url="admin:loans_loanproduct_changelist",
                              position=10, permission=sidebar.has_perm("loans.view_loanproduct"))
        sidebar.register_item("loans", "Schedule preview", "calendar_month", url="admin:loans_schedule_preview",
                              position=20, permission=sidebar.has_perm("loans.view_loanproduct"))
        sidebar.register_item("loans", "Loan applications", "assignment", url="admin:loans_loan_changelist",
                              position=5, permission=sidebar.has_perm("loans.view_loan"),
                              badge="apps.loans.admin_views.applications_badge")
        sidebar.register_item("loans", "Loan approvals", "approval", url="admin:loans_loanrequest_changelist",
                              position=7, permission=sidebar.has_role("manager", "cashier"),
                              badge="apps.loans.admin_views.loan_requests_badge")
        sidebar.register_item("loans", "Loans policy", "tune", url="admin:loans_loanspolicy_changelist",
                              position=30, permission=sidebar.has_perm("loans.change_loanspolicy"))
        sidebar.register_item("loans", "Portfolio at risk", "monitoring", url="admin:loans_par_report", position=40,
                              permission=sidebar.has_role("manager", "operations_manager"))
        sidebar.register_item("loans", "Loan officer portfolio", "person_pin_circle", position=3,
                              url="admin:loans_officer_portfolio", permission=sidebar.has_role(
                                  "mobile_banker", "manager", "operations_manager"))


def _admin_urls(site):
    """Console pages outside a ModelAdmin: the schedule preview."""
    from django.urls import path

    from . import admin_views, report_views

    return [path("loans/schedule-preview/", site.admin_view(admin_views.schedule_preview_view),
                 name="loans_schedule_preview"),
            path("loans/documents/<int:pk>/download/", site.admin_view(admin_views.document_download),
                 name="loans_document_download")] + report_views.report_urls(site)
