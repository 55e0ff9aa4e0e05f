"""Branded error pages: the staff console's look under /admin/, the portal's everywhere else, JSON
under /api/. They never show internals (no exception text, no settings, no traceback) and work with
DEBUG off; the 500 page touches neither the database nor a context processor (it names the
institution as this process last read it, or not at all)."""

from django.http import HttpResponse, JsonResponse
from django.template import loader

from apps.core.institution import last_read

PAGES = {
    403: ("You may not open this page", "Your role does not give access to it. If you need it for your work, ask "
                                        "your manager or an administrator.", "forbidden"),
    404: ("We could not find that page", "The address may be mistyped, or the page has moved. Nothing has "
                                         "changed in your accounts.", "not_found"),
    500: ("Something went wrong on our side", "The problem has been recorded and nothing was changed by this "
                                              "request. Please try again in a few minutes.", "server_error"),
}


def _look(request) -> str:
    path = getattr(request, "path", "") or ""
    if path.startswith("/api/"):
        return "api"
    return "console" if path.startswith("/admin/") else "portal"


def _render(request, status: int, *, with_request: bool = True) -> HttpResponse:
    title, message, code = PAGES[status]
    look = _look(request)
    if look == "api":
        return JsonResponse({"detail": title + ".", "code": code}, status=status)
    context = {"status": status, "title": title, "message": message, "console": look == "console",
               "home": "/admin/" if look == "console" else "/"}
    if not with_request:
        context["institution"] = last_read()
    body = loader.get_template(f"{status}.html").render(context, request if with_request else None)
    return HttpResponse(body, status=status)


def page_not_found(request, exception=None):
    return _render(request, 404)


def permission_denied(request, exception=None):
    return _render(request, 403)


def server_error(request):
    return _render(request, 500, with_request=False)
