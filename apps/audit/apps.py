from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "apps.audit"
    label = "audit"
    verbose_name = "Audit"

    def ready(self):
        from apps.core.roles import Role, grant

        for role in (Role.MANAGER, Role.OPERATIONS_MANAGER):
            grant(role, "audit.view_auditevent")
