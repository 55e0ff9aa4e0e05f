"""Notification settings in the staff console (/admin/notifications/settings/): which kinds of notification
also come by e-mail or text message. Every member of staff reaches it from "My account" in the sidebar;
members have the same page in the portal (apps/portal/notification_settings.py). Both call
`services.preferences_for` and `services.preference_set`."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import path

from . import services


class _Refused(Exception):
    pass


def save_preferences(request) -> list[str]:
    """Save the form's choices (checkboxes `email:<kind>` and `sms:<kind>`; a box not sent is off) for every
    kind whose choice changed, all or nothing: returns the refusals in words, and then nothing is saved."""
    errors = []
    try:
        with transaction.atomic():
            for row in services.preferences_for(request.user):
                email = f"email:{row['kind']}" in request.POST
                sms = f"sms:{row['kind']}" in request.POST
                if (email, sms) == (row["email"], row["sms"]):
                    continue  # unchanged (a kind still on its default keeps following it)
                try:
                    services.preference_set(actor=request.user, kind=row["kind"], email=email, sms=sms)
                except ValidationError as exc:
                    errors.extend(f"{row['label']}: {message}" for message in exc.messages)
            if errors:
                raise _Refused
    except _Refused:
        pass
    return errors


def preferences_context(request) -> dict:
    return {"preferences": services.preferences_for(request.user), "phone": services.phone_for(request.user)}


def notification_settings_view(request):
    status = 200
    if request.method == "POST":
        errors = save_preferences(request)
        if not errors:
            messages.success(request, "Your notification settings are saved.")
            return redirect("admin:notification_settings")
        for error in errors:
            messages.error(request, error)
        status = 422
    context = {**admin.site.each_context(request), "title": "Notification settings", **preferences_context(request)}
    return render(request, "messaging/preferences.html", context, status=status)


def _admin_urls(site):
    return [path("notifications/settings/", site.admin_view(notification_settings_view),
                 name="notification_settings")]


def register_console_page() -> None:
    """Mount the page under /admin/ and list it under "My account" for every member of staff."""
    from apps.core import sidebar
    from apps.core.admin_site import register_admin_urls

    register_admin_urls(_admin_urls)
    if "my_account" not in sidebar.GROUPS:
        sidebar.register_group("my_account", "My account", position=100)
    sidebar.register_item("my_account", "Notification settings", "notifications_active",
                          url="admin:notification_settings", position=15)
