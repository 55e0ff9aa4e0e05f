from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.core.roles import Role
from apps.ledger.selectors import accounts_visible_to
from apps.users import services as user_services
from apps.users.models import UserActivity
from apps.users.views import CoastalLoginView, session_rows


class PortalLoginView(CoastalLoginView):
    template_name = "portal/login.html"
    redirect_authenticated_user = True


@require_POST
def logout_view(request):
    user_services.sign_out(request=request)
    messages.success(request, "You have signed out.")
    return redirect("/")


@login_required
def dashboard(request):
    recent = UserActivity.objects.filter(user=request.user)[:5]
    accounts = accounts_visible_to(request.user).order_by("product__name") if request.user.role == Role.CUSTOMER else []
    return render(request, "portal/dashboard.html", {"recent_activity": recent, "accounts": accounts})


@login_required
def sessions(request):
    if request.method == "POST":
        if user_services.session_end(actor=request.user, public_id=request.POST.get("session", ""),
                                     request=request):
            messages.success(request, "That session has been signed out.")
        else:
            messages.error(request, "That session is not one of yours, or it has already ended.")
        return redirect("portal:sessions")
    return render(request, "portal/sessions.html", {"sessions": session_rows(request)})


@login_required
def password_change(request):
    errors = {}
    if request.method == "POST":
        try:
            user_services.password_change(request=request, user=request.user,
                                          old_password=request.POST.get("old_password", ""),
                                          new_password=request.POST.get("new_password", ""))
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            messages.success(request, "Your password has been changed.")
            return redirect("portal:dashboard")
    return render(request, "portal/password_change.html", {"errors": errors}, status=422 if errors else 200)
