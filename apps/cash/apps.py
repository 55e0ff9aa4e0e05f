from django.apps import AppConfig


class CashConfig(AppConfig):
    name = "apps.cash"
    label = "cash"
    verbose_name = "Cash operations"

    def ready(self):
        from apps.core.closing import register_check
        from apps.core.eod import register_step
        from apps.ledger.cash_desk import register_cash_desk

        from . import closing, services

        register_cash_desk(account_for=services.cash_account_for, approval_check=services.cash_approval_check)

        register_step("cash_position", 80, services.end_of_day_cash, "Cash still out of the vault", results={
            "vault": ("Cash in the vault", True), "drawers_not_closed": "Drawers not closed",
            "cash_in_drawers": ("Cash in drawers not closed", True),
            "field_rounds_not_remitted": "Field rounds not remitted",
            "field_cash_not_remitted": ("Field cash not remitted", True),
            "remittance_variances_waiting": "Remittance variances waiting for sign-off"})
        register_check("open_drawers", 10, closing.open_drawers, "Cashier drawers still open")
        register_check("field_cash", 20, closing.field_cash_not_remitted, "Field cash not remitted")
        register_check("cash_movements", 40, closing.cash_movements_waiting, "Cash advances and returns waiting")
        register_check("cheques", 50, closing.cheques_not_cleared, "Cheques not cleared")
        self._grant_permissions()
        self._sidebar()
        self._notifications()

    @staticmethod
    def _notifications():
        from apps.core.notify import register_notification_kind
        from apps.core.roles import Role

        register_notification_kind(
            "cash.advance_waiting", "Cash advance or return waiting", roles=(Role.MANAGER,),
            description="A cashier asked for cash from the vault, or to return some; it waits on Drawer sign-offs.")
        register_notification_kind(
            "cash.drawer_variance", "Drawer closed over or short", roles=(Role.MANAGER, Role.OPERATIONS_MANAGER),
            description="A cashier's count at close differed from what the drawer should hold.")
        register_notification_kind(
            "cash.cheque_cleared", "Cheque cleared", roles=(Role.CUSTOMER,),
            description="A cheque you paid in has cleared and the money is yours to use.")
        register_notification_kind(
            "cash.cheque_bounced", "Cheque returned unpaid", roles=(Role.CUSTOMER,), email_default=True,
            description="A cheque you paid in was returned by the bank it is drawn on.")

    @staticmethod
    def _sidebar():
        from apps.core import sidebar
        from apps.core.roles import Role

        has_perm, has_role, item = sidebar.has_perm, sidebar.has_role, sidebar.register_item
        sidebar.register_group("cash", "Cash", position=30, collapsible=True)
        item("cash", "My drawer", "point_of_sale", url="admin:cash_my_drawer", position=10,
             permission=has_role(Role.CASHIER))
        item("cash", "Deposit a cheque", "money", url="admin:cash_chequedeposit_add", position=20,
             permission=has_role(Role.CASHIER))
        item("cash", "Branch cash position", "account_balance", url="admin:cash_position", position=30,
             permission=has_role(Role.MANAGER))
        item("cash", "Drawer sign-offs", "approval", url="admin:cash_drawer_signoffs", position=40,
             permission=has_role(Role.MANAGER), badge="apps.cash.admin_views.signoffs_badge")
        item("cash", "Cash advances", "currency_exchange", url="admin:cash_cashmovement_changelist", position=50,
             permission=has_perm("cash.view_cashmovement"))
        item("cash", "Cheques", "receipt", url="admin:cash_chequedeposit_changelist", position=60,
             permission=has_perm("cash.view_chequedeposit"), badge="apps.cash.admin_views.held_cheques_badge")
        item("cash", "Cash drawers", "inventory_2", url="admin:cash_cashdrawer_changelist", position=70,
             permission=has_perm("cash.view_cashdrawer"), active=sidebar.path_is("admin:cash_cashdrawer_changelist"))
        item("cash", "Floats", "outbox", url="admin:cash_floatissue_changelist", position=80,
             permission=has_perm("cash.view_floatissue"))
        item("cash", "Collection runs", "route", url="admin:cash_collectionrun_changelist", position=90,
             permission=has_perm("cash.view_collectionrun"),
             active=sidebar.path_is("admin:cash_collectionrun_changelist"))
        item("cash", "Large cash", "flag", url="admin:cash_largecashtransaction_changelist", position=100,
             permission=has_perm("cash.view_largecashtransaction"))
        item("cash", "Denominations", "payments", url="admin:cash_denomination_changelist", position=110,
             permission=has_perm("cash.change_denomination"))
        item("cash", "Cash policy", "rule", url="admin:cash_cashpolicy_changelist", position=120,
             permission=has_perm("cash.change_cashpolicy"))

        sidebar.register_group("field", "Field", position=40, collapsible=True)
        item("field", "Collection sheet", "checklist", url="admin:cash_field_sheet", position=10,
             permission=has_role(Role.MOBILE_BANKER))
        item("field", "Remit to cashier", "send_money", url="admin:cash_field_remit", position=20,
             permission=has_role(Role.MOBILE_BANKER))
        item("field", "Register a member", "person_add", url="admin:cash_field_register", position=30,
             permission=has_role(Role.MOBILE_BANKER))

    @staticmethod
    def _grant_permissions():
        from apps.core.roles import Role, grant, grant_decision

        grant(Role.CASHIER, "cash.view_cashdrawer", "cash.view_cashmovement", "cash.add_cashmovement",
              "cash.view_chequedeposit", "cash.add_chequedeposit", "cash.view_denomination")
        grant(Role.MOBILE_BANKER, "cash.view_collectionrun")
        grant(Role.MANAGER, "cash.view_cashdrawer", "cash.view_cashmovement", "cash.view_floatissue",
              "cash.add_floatissue", "cash.view_chequedeposit", "cash.view_collectionrun", "cash.view_cashpolicy",
              "cash.view_denomination", "cash.view_largecashtransaction")
        # Cash variances, floats, advances and remittances: the second person.
        grant_decision(Role.MANAGER, "cash.approve_drawer")
        grant(Role.OPERATIONS_MANAGER, "cash.view_cashdrawer", "cash.view_chequedeposit", "cash.clear_cheque",
              "cash.view_collectionrun", "cash.view_denomination", "cash.add_denomination",
              "cash.change_denomination", "cash.view_cashpolicy", "cash.change_cashpolicy",
              "cash.view_largecashtransaction")
