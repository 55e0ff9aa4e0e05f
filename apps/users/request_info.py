"""Where a request came from, as recorded in activity and sessions."""


def client_ip(request) -> str | None:
    if request is None:
        return None
    return getattr(request, "axes_ip_address", None) or request.META.get("REMOTE_ADDR") or None


def user_agent(request) -> str:
    if request is None:
        return ""
    return request.META.get("HTTP_USER_AGENT", "")[:512]


def channel(request) -> str:
    if request is None:
        return ""
    path = getattr(request, "path", "")
    for prefix, name in (("/api/", "api"), ("/admin/", "admin"), ("/cms/", "cms")):
        if path.startswith(prefix):
            return name
    return "portal"
