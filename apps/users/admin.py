from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin
from unfold.admin import ModelAdmin, TabularInline
from unfold.decorators import action, display
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm

from apps.audit.services import record
from apps.core.admin_mixins import ReadOnlyHistoryMixin, StrictMoneyFieldsMixin
from apps.core.roles import Role

from . import services
from .models import ApiToken, User, UserActivity


class ReadOnlyInline(TabularInline):
    extra = 0
    can_delete = False
    tab = True
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ActivityInline(ReadOnlyInline):
    model = UserActivity
    fields = ("created_at", "event", "channel", "ip_address", "user_agent")
    readonly_fields = fields
    verbose_name_plural = "Activity"
    max_num = 0


class ApiTokenInline(ReadOnlyInline):
    model = ApiToken
    fields = ("created_at", "expires_at", "revoked_at", "ip_address", "user_agent")
    readonly_fields = fields
    verbose_name_plural = "API tokens"


class CoastalUserCreationForm(UserCreationForm):
    class Meta:
        model = User
        fields = ("email", "role")


class CoastalUserChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(ReadOnlyHistoryMixin, StrictMoneyFieldsMixin, SimpleHistoryAdmin, BaseUserAdmin, ModelAdmin):
    form = CoastalUserChangeForm
    add_form = CoastalUserCreationForm
    change_password_form = AdminPasswordChangeForm
    ordering = ("email",)
    list_display = ("email", "full_name", "role_badge", "staff_id", "is_active", "locked_badge", "last_login")
    list_filter = ("role", "is_active")
    search_fields = ("email", "first_name", "last_name", "staff_id", "phone_number")
    readonly_fields = ("last_login", "date_joined", "failed_login_attempts", "locked_until")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("first_name", "last_name", "phone_number", "staff_id")}),
        ("Role and limits", {"fields": ("role", "is_active", "daily_transaction_limit")}),
        ("Security", {"fields": ("failed_login_attempts", "locked_until", "last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "role", "password1", "password2")}),)
    filter_horizontal = ()
    inlines = [ActivityInline, ApiTokenInline]
    actions = ["unlock_selected"]
    actions_detail = ["unlock_detail", "reset_otp_detail"]

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []  # a user being added has no activity yet

    @display(description="Name")
    def full_name(self, obj):
        return obj.get_full_name()

    @display(description="Role", label=True)
    def role_badge(self, obj):
        return obj.role_label

    @display(description="Locked", label={"Locked": "danger", "": "success"})
    def locked_badge(self, obj):
        return "Locked" if obj.is_locked else ""

    def has_unlock_permission(self, request, obj=None):
        return request.user.role == Role.ADMIN

    has_reset_otp_permission = has_unlock_permission

    def save_model(self, request, obj, form, change):
        """A role change goes through the service, so it is checked and audited like any other."""
        new_role = obj.role
        if change and "role" in form.changed_data:
            obj.role = form.initial["role"]
        super().save_model(request, obj, form, change)
        if not change:
            record(request.user, "user.create", obj, request=request, role=obj.role)
        elif new_role != obj.role:
            try:
                services.user_set_role(actor=request.user, user=obj, role=new_role, request=request)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))

    def user_change_password(self, request, id, form_url=""):
        """Setting someone else's password is audited, in the same database transaction; their API
        tokens end with the old password."""
        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            succeeded = request.method == "POST" and response.status_code == 302 and \
                response.url != request.get_full_path()
            if succeeded and str(request.user.pk) != str(id):
                record(request.user, "user.password_set", User.objects.get(pk=id), request=request)
        return response

    @action(description="Unlock selected accounts", permissions=["unlock"])
    def unlock_selected(self, request, queryset):
        for user in queryset:
            services.user_unlock(actor=request.user, user=user, request=request)
        messages.success(request, f"Unlocked {queryset.count()} account(s).")

    @action(description="Unlock account", permissions=["unlock"], icon="lock_open")
    def unlock_detail(self, request, object_id):
        user = User.objects.get(pk=object_id)
        services.user_unlock(actor=request.user, user=user, request=request)
        messages.success(request, f"{user.email} is unlocked.")
        return redirect(reverse("admin:users_user_change", args=[object_id]))

    @action(description="Reset two-factor devices", permissions=["reset_otp"], icon="phonelink_erase")
    def reset_otp_detail(self, request, object_id):
        user = User.objects.get(pk=object_id)
        removed = services.user_reset_otp(actor=request.user, user=user, request=request)
        messages.success(request, f"Removed {removed} device(s); {user.email} enrols again at next sign-in.")
        return redirect(reverse("admin:users_user_change", args=[object_id]))


@admin.register(UserActivity)
class UserActivityAdmin(ModelAdmin):
    list_display = ("created_at", "email", "event", "channel", "ip_address", "user_agent")
    list_filter = ("event", "channel")
    search_fields = ("email", "ip_address")
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in UserActivity._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
