from django.apps import AppConfig


class CashConfig(AppConfig):
    name = "apps.cash"
    label = "cash"
    verbose_name = "Cash operations"

    def ready(self):
        from apps.core.closing import register_check
        from apps.core.eod import register_step

        from . import closing, services

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
