"""The member's notification settings (/my/notifications/settings/): which notifications also come by
e-mail or text message. The same services as the console's page (apps/messaging/preference_views.py)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from apps.messaging.preference_views import preferences_context, save_preferences


@login_required
def notification_settings(request):
    status = 200
    if request.method == "POST":
        errors = save_preferences(request)
        if not errors:
            messages.success(request, "Your notification settings are saved.")
            return redirect("portal:notification_settings")
        for error in errors:
            messages.error(request, error)
        status = 422
    return render(request, "portal/notification_settings.html", preferences_context(request), status=status)
