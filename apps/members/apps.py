from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "apps.members"
    label = "members"
    verbose_name = "Members"

    def ready(self):
        self._grant_permissions()
        self._sidebar()
        self._notifications()

    @staticmethod
    def _notifications():
        from apps.core.notify import register_notification_kind
        from apps.core.roles import Role

        # The roles granted members.verify_kyc below.
        register_notification_kind(
            "members.kyc_waiting", "KYC waiting for review", roles=(Role.OPERATIONS_MANAGER,),
            description="A member was registered, or their Ghana Card changed: their KYC waits for verification.")

    @staticmethod
    def _sidebar():
        from django.urls import reverse

        from apps.core import sidebar
        from apps.core.roles import Role

        sidebar.register_group("members", "Members", position=10, collapsible=True)
        # A mobile banker sees the members assigned to them (object permissions), and registers members
        # on the field page instead.
        sidebar.register_item("members", "Members", "groups", url="admin:members_member_changelist", position=10,
                              permission=lambda request: request.user.has_perm("members.view_member")
                              or getattr(request.user, "role", None) == Role.MOBILE_BANKER)
        sidebar.register_item("members", "Register a member", "person_add", url="admin:members_member_add",
                              position=20,
                              permission=lambda request: request.user.has_perm("members.add_member")
                              and getattr(request.user, "role", None) != Role.MOBILE_BANKER)
        # The verifiers' queue; its badge is redrawn live by the console's badge script (messaging).
        sidebar.register_item("members", "KYC to verify", "verified_user", url="admin:members_member_changelist",
                              query="kyc_status__exact=pending", position=30,
                              permission=sidebar.has_perm("members.verify_kyc"),
                              badge="apps.members.admin.kyc_waiting_badge", badge_variant="warning",
                              active=lambda request: request.path == reverse("admin:members_member_changelist")
                              and request.GET.get("kyc_status__exact") == "pending")

    @staticmethod
    def _grant_permissions():
        from apps.core.roles import Role, grant, grant_decision

        grant(Role.CASHIER, "members.view_member", "members.add_member", "members.change_member",
              "members.view_memberdocument", "members.add_memberdocument")
        # A mobile banker sees members through object permissions (guardian) on the members assigned
        # to them, nothing global.
        grant(Role.MOBILE_BANKER, "members.add_member", "members.view_memberdocument", "members.add_memberdocument")
        grant(Role.MANAGER, "members.view_member", "members.assign_member", "members.view_memberdocument")
        grant(Role.OPERATIONS_MANAGER, "members.view_member", "members.add_member", "members.change_member",
              "members.assign_member", "members.view_memberdocument", "members.add_memberdocument")
        grant_decision(Role.OPERATIONS_MANAGER, "members.verify_kyc")  # KYC: the second person
