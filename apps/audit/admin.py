from django.contrib import admin
from django.utils.html import format_html, format_html_join
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import RangeDateTimeFilter
from unfold.decorators import display

from apps.core.admin_mixins import ReadOnlyAdminMixin

from .labels import action_choices, action_label
from .models import AuditEvent


class ActionFilter(admin.SimpleListFilter):
    """Filter by what was done, in words (the stored keys stay out of sight)."""

    title = "what was done"
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return action_choices(AuditEvent.objects.order_by().values_list("action", flat=True).distinct())

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


def _words(key: str) -> str:
    return key.replace("_", " ").capitalize()


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, ModelAdmin):
    list_display = ("when", "who", "what", "done_to", "from_address")
    list_filter = (ActionFilter, ("created_at", RangeDateTimeFilter))
    list_filter_submit = True
    search_fields = ("actor_email", "action", "target_repr", "target_id")
    search_help_text = "Who (e-mail), or what it was done to."
    date_hierarchy = "created_at"
    fields = ("when", "who", "what", "done_to", "record", "details_table", "from_address")
    readonly_fields = fields

    @display(description="When", ordering="created_at")
    def when(self, obj):
        from django.utils import timezone

        return f"{timezone.localtime(obj.created_at):%d %b %Y %H:%M:%S}"

    @display(description="Who", ordering="actor_email")
    def who(self, obj):
        return obj.actor_email or "System"

    @display(description="What was done", ordering="action")
    def what(self, obj):
        return action_label(obj.action)

    @display(description="Done to")
    def done_to(self, obj):
        return obj.target_repr or "—"

    @display(description="From address")
    def from_address(self, obj):
        return obj.ip_address or "—"

    @display(description="Kind of record")
    def record(self, obj):
        if not obj.target_type:
            return "—"
        app_label, _, model_name = obj.target_type.partition(".")
        from django.apps import apps

        try:
            model = apps.get_model(app_label, model_name)
        except LookupError:
            return _words(model_name)
        return f"{str(model._meta.verbose_name).capitalize()} no. {obj.target_id}"

    @display(description="Details")
    def details_table(self, obj):
        if not obj.details:
            return "—"
        return format_html('<table class="text-sm">{}</table>', format_html_join(
            "", '<tr><td class="pr-4 py-1 text-base-500">{}</td><td class="py-1">{}</td></tr>',
            ((_words(key), value) for key, value in obj.details.items())))
