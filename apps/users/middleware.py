from urllib.parse import urlencode

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from apps.core.roles import Role

from .services import otp_enrolled, role_requires_otp

GUARDED_PREFIXES = ("/admin/", "/cms/")
WAGTAIL_LOGIN_PATH = "/cms/login/"


class OTPEnrolmentMiddleware:
    """Staff whose role needs a second factor enrol before they can do anything else.

    The Wagtail admin (/cms/) has its own login page; it is closed (it would be a second way to
    sign in, outside the lockout and the second factor), and anyone there whose session was not
    verified with a second factor is sent through the staff sign-in instead.

    Content editors sign in through the same staff sign-in but work only in /cms/: the console's
    front page sends them there, and every other console page is refused (403) with a plain message.
    """

    API_REFUSED = ("Content editors work on the website at /cms/; the API (members, accounts and money) is "
                   "not part of their role.")
    CONSOLE_REFUSED = ("Content editors work on the website at /cms/; the staff console (members, "
                       "accounts and money) is not part of their role.")

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
        if (user is not None and user.is_authenticated and user.role == Role.CONTENT_EDITOR
                and path.startswith("/api/") and not path.startswith("/api/users/auth/")):
            # An editor's /cms/ session reaches no API endpoint (their API sign-in is refused too).
            return JsonResponse({"detail": self.API_REFUSED, "code": "role_refused"}, status=403)
        if user is not None and user.is_authenticated and path.startswith(GUARDED_PREFIXES):
            exempt = (reverse("admin:otp_enrol"), reverse("admin:logout"), reverse("admin:login"))
            if path not in exempt and not path.startswith("/cms/logout"):
                if role_requires_otp(user) and not otp_enrolled(user):
                    return redirect(reverse("admin:otp_enrol"))
                if path.startswith("/cms/") and role_requires_otp(user) and not user.is_verified():
                    return redirect(f"{reverse('admin:login')}?{urlencode({'next': request.get_full_path()})}")
                if user.role == Role.CONTENT_EDITOR and path.startswith("/admin/") and not self._own_security(path):
                    if path == reverse("admin:index"):
                        messages.info(request, self.CONSOLE_REFUSED)
                        return redirect("/cms/")
                    return render(request, "users/console_refused.html", {"message": self.CONSOLE_REFUSED},
                                  status=403)
        return self.get_response(request)

    @staticmethod
    def _own_security(path: str) -> bool:
        """The backup codes that come with their second factor (enrolment is exempt above)."""
        return path == reverse("admin:otp_backup_codes")
