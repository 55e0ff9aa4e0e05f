from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "apps.audit"
    label = "audit"
    verbose_name = "Audit"

    def ready(self):
        from apps.core.admin import register_task_words
        from apps.core.dashboard import register_card
        from apps.core.roles import Role, grant

        register_task_words("apps.audit.tasks.export_job", "Export a list to CSV")

        for role in (Role.MANAGER, Role.OPERATIONS_MANAGER):
            grant(role, "audit.view_auditevent")
        self._sidebar()
        register_card("recent_audit", position=40, template="admin/dashboard/recent_audit.html",
                      context="apps.audit.dashboard.recent_audit_card")

    @staticmethod
    def _sidebar():
        from apps.core import sidebar

        sidebar.register_group("security", "Security", position=70, collapsible=True)
        sidebar.register_item("security", "Audit log", "policy", url="admin:audit_auditevent_changelist",
                              position=10, permission=sidebar.has_perm("audit.view_auditevent"))
