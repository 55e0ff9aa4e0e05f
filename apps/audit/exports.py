"""Compliance exports through django-import-export: who may export, and an audit row for each one."""

from apps.core.roles import Role

from .services import record

# Compliance CSV exports (members, accounts, transactions; every one audited).
EXPORT_ROLES = (Role.MANAGER, Role.OPERATIONS_MANAGER, Role.ADMIN)


class AuditedExportMixin:
    """Mix into an import-export admin. Only EXPORT_ROLES may export; every file produced writes
    `export.<model>` to the audit log with the number of rows and the format."""

    export_roles = EXPORT_ROLES

    def has_export_permission(self, request):
        return getattr(request.user, "role", None) in self.export_roles and super().has_export_permission(request)

    def get_data_for_export(self, request, queryset, **kwargs):
        data = super().get_data_for_export(request, queryset, **kwargs)
        request._coastal_export_rows = len(data)
        return data

    def get_export_data(self, file_format, request, queryset, **kwargs):
        data = super().get_export_data(file_format, request, queryset, **kwargs)
        record(request.user, f"export.{self.model._meta.model_name}", None, request=request,
               rows=getattr(request, "_coastal_export_rows", None), format=file_format.get_title())
        return data
