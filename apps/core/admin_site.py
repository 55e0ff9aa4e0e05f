"""The staff console: unfold's admin site, with a second factor where the role needs one.

Apps plug their console pages in from AppConfig.ready() (core imports no app):

- `register_admin_urls(func)`: `func(site)` returns URL patterns mounted under /admin/ (names in the
  "admin" namespace) for pages outside a ModelAdmin (business day, statements, OTP enrolment, ...);
  wrap each view in `site.admin_view` unless the page must open before sign-in is complete.
- `register_login_view(view_class)`: the class-based view (or its dotted path) that signs staff in
  (users' StaffLoginView); Django's own login page until an app registers one.
"""

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.utils.module_loading import import_string
from unfold.sites import UnfoldAdminSite

from .roles import Role

OTP_REQUIRED_ROLES = frozenset(role for role in Role if role.otp_required)

_ADMIN_URLS: list = []  # functions site -> [URL patterns], in registration order
_LOGIN_VIEW: list = []  # at most one class-based view


def register_admin_urls(func) -> None:
    """Mount the URL patterns `func(site)` returns under /admin/, ahead of the ModelAdmins' URLs."""
    if func not in _ADMIN_URLS:
        _ADMIN_URLS.append(func)


def register_login_view(view_class) -> None:
    """The view CoastalAdminSite.login shows (it gets the admin context and the login template): a
    class-based view or its dotted path, imported when the page is first asked for."""
    _LOGIN_VIEW[:] = [view_class]


def otp_required_for(user) -> bool:
    """Roles that need a second factor (Role.otp_required) must use one; anyone who enrolled must too."""
    if not user.is_authenticated:
        return False
    if getattr(user, "role", None) in OTP_REQUIRED_ROLES:
        return True
    from django_otp import user_has_device

    return user_has_device(user)


class CoastalAdminSite(UnfoldAdminSite):
    index_title = "Dashboard"
    login_template = "admin/login.html"

    def has_permission(self, request):
        user = request.user
        if not (user.is_active and user.is_staff):
            return False
        if otp_required_for(user) and not user.is_verified():
            return False
        return True

    def login(self, request, extra_context=None):
        if not _LOGIN_VIEW:
            return super().login(request, extra_context)
        context = {**self.each_context(request), "title": "Sign in", "app_path": request.get_full_path()}
        if REDIRECT_FIELD_NAME not in request.GET and REDIRECT_FIELD_NAME not in request.POST:
            context[REDIRECT_FIELD_NAME] = "/admin/"
        context.update(extra_context or {})
        view = _LOGIN_VIEW[0]
        if isinstance(view, str):
            view = _LOGIN_VIEW[0] = import_string(view)
        return view.as_view(extra_context=context, template_name=self.login_template)(request)

    def extra_urls(self):
        """The pages the apps registered with `register_admin_urls` (unfold mounts them under /admin/)."""
        return [pattern for func in _ADMIN_URLS for pattern in func(self)]
