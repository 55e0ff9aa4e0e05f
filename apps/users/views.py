import base64

import qrcode
import qrcode.image.svg
from django.contrib import admin, messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from apps.core.roles import Role

from . import services
from .forms import OTPConfirmForm, SignInForm, StaffSignInForm


def lockout_response(request, original_response=None, credentials=None):
    """django-axes calls this when a sign-in hits the lock. Our views already answered with the
    lock message (a form error, or 423 from the API), so keep that answer."""
    if hasattr(original_response, "status_code"):
        return original_response
    message = services.SignInError.MESSAGES["locked"]
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message, "code": "locked"}, status=423)
    return render(request, "users/locked.html", {"message": message}, status=423)


class CoastalLoginView(LoginView):
    """Start the session through the one sign-in service once the form has checked the credentials."""

    form_class = SignInForm
    redirect_authenticated_user = False

    def form_valid(self, form):
        services.start_session(request=self.request, credentials=form.credentials)
        return HttpResponseRedirect(self.get_success_url())


class StaffLoginView(CoastalLoginView):
    form_class = StaffSignInForm
    next_page = "admin:index"  # without a `next`, staff land on the console, not the member portal

    def get_default_redirect_url(self):
        # Content editors work only in Wagtail (/cms/); the console is not theirs.
        user = self.request.user
        if getattr(user, "role", None) == Role.CONTENT_EDITOR:
            return "/cms/"
        return super().get_default_redirect_url()


def _qr_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=12)
    return image.to_string(encoding="unicode")


@login_required(login_url="admin:login")
def otp_enrol(request):
    """Set up an authenticator app: scan the QR code, confirm with a first code, get backup codes."""
    if services.otp_enrolled(request.user):
        return redirect("admin:index")
    device = services.otp_enrol_begin(user=request.user)
    form = OTPConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.otp_enrol_confirm(request=request, user=request.user, token=form.cleaned_data["token"])
        except ValidationError as exc:
            form.add_error("token", exc.message_dict["token"])
        else:
            request.session["otp_backup_codes"] = codes
            messages.success(request, "Two-factor sign-in is on. Keep your backup codes somewhere safe.")
            return redirect("admin:otp_backup_codes")
    b32 = base64.b32encode(device.bin_key).decode().rstrip("=")
    context = {
        **admin.site.each_context(request),
        "title": "Set up two-factor sign-in",
        "otp_required": services.role_requires_otp(request.user),
        "form": form,
        "qr_svg": _qr_svg(device.config_url),
        "secret": " ".join(b32[i:i + 4] for i in range(0, len(b32), 4)),
    }
    return render(request, "admin/otp_enrol.html", context)


def otp_backup_codes(request):
    if not services.otp_enrolled(request.user):
        # Backup codes stand in for an authenticator app; on their own they would become the only
        # second factor, and the account would be shut out once the codes are used up.
        messages.info(request, "Set up an authenticator app first; backup codes come with it.")
        return redirect("admin:otp_enrol")
    if request.method == "POST":
        codes = services.backup_codes_regenerate(user=request.user, request=request)
        request.session["otp_backup_codes"] = codes
        return redirect("admin:otp_backup_codes")
    codes = request.session.pop("otp_backup_codes", None)
    context = {**admin.site.each_context(request), "title": "Backup codes", "codes": codes}
    return render(request, "admin/otp_backup_codes.html", context)


def session_rows(request) -> list:
    """The sessions the signed-in person may see, each named by its opaque id (never its key)."""
    current_key = request.session.session_key
    rows = list(services.sessions_visible_to(request.user))
    for session in rows:
        session.public_id = services.session_public_id(session.session_key)
        session.is_current = session.session_key == current_key
    return rows


class StaffSessionsView(View):
    """Where the signed-in person is signed in, with a way to end each session. An administrator
    sees and can end everyone's (audited)."""

    def get(self, request):
        everyone = request.user.role == Role.ADMIN
        context = {**admin.site.each_context(request), "title": "Sessions" if everyone else "My sessions",
                   "sessions": session_rows(request), "everyone": everyone}
        return render(request, "admin/my_sessions.html", context)

    def post(self, request):
        if services.session_end(actor=request.user, public_id=request.POST.get("session", ""), request=request):
            messages.success(request, "The session was ended.")
        else:
            messages.error(request, "That session is not one you may end, or it has already ended.")
        return redirect(reverse("admin:my_sessions"))
