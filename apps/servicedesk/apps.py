from django.apps import AppConfig


class ServiceDeskConfig(AppConfig):
    name = "apps.servicedesk"
    label = "servicedesk"
    verbose_name = "Service desk"

    def ready(self):
        from apps.core.notify import register_notification_kind
        from apps.core.roles import Role, grant, grant_decision

        from .services import DESK_ROLES

        register_notification_kind(
            "servicedesk.updated", "Your request was updated", roles=(Role.CUSTOMER,),
            description="A request you made (a statement, a card, a change of details, a complaint, a refund...) "
                        "moved on: it was taken up, needs something from you, or was resolved or rejected.")
        register_notification_kind(
            "servicedesk.assigned", "A service request was given to you", roles=DESK_ROLES,
            description="A member's request was assigned to you in the service-desk queue.")
        register_notification_kind(
            "servicedesk.refund_waiting", "A refund waits for a second approver", roles=(Role.MANAGER,),
            description="A member of staff resolved a refund request; a second person approves it before it "
                        "is paid to the member's account.")
        for role in DESK_ROLES:
            grant(role, "servicedesk.view_servicerequest", "servicedesk.change_servicerequest")
        grant(Role.OPERATIONS_MANAGER, "servicedesk.view_servicelevel", "servicedesk.change_servicelevel")
        grant_decision(Role.MANAGER, "servicedesk.approve_refund")
        self._sidebar()

    @staticmethod
    def _sidebar():
        from apps.core import sidebar

        from .services import DESK_ROLES

        sidebar.register_item("messages", "Service requests", "assignment",
                              url="admin:servicedesk_servicerequest_changelist", position=25,
                              permission=sidebar.has_role(*DESK_ROLES),
                              badge="apps.servicedesk.admin.open_badge", badge_variant="warning",
                              active=sidebar.path_is("admin:servicedesk_servicerequest_changelist", prefix=True))
