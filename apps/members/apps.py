from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "apps.members"
    label = "members"
    verbose_name = "Members"

    def ready(self):
        self._grant_permissions()

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
