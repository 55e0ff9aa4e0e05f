from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse

from .services import otp_enrolled, role_requires_otp

GUARDED_PREFIXES = ("/admin/", "/cms/")
WAGTAIL_LOGIN_PATH = "/cms/login/"


class OTPEnrolmentMiddleware:
    """Staff whose role needs a second factor enrol before they can do anything else.

    The Wagtail admin (/cms/) has its own login page; it is closed (it would be a second way to
    sign in, outside the lockout and the second factor), and anyone there whose session was not
    verified with a second factor is sent through the staff sign-in instead.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path
        if path == WAGTAIL_LOGIN_PATH:
            next_url = request.GET.get("next", "")
            if not next_url.startswith("/cms/"):
                next_url = "/cms/"
            return redirect(f"{reverse('admin:login')}?{urlencode({'next': next_url})}")
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and path.startswith(GUARDED_PREFIXES):
            exempt = (reverse("admin:otp_enrol"), reverse("admin:logout"), reverse("admin:login"))
            if path not in exempt and not path.startswith("/cms/logout"):
                if role_requires_otp(user) and not otp_enrolled(user):
                    return redirect(reverse("admin:otp_enrol"))
                if path.startswith("/cms/") and role_requires_otp(user) and not user.is_verified():
                    return redirect(f"{reverse('admin:login')}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
