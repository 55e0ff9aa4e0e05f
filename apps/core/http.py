"""HTTP rules that hold for every page: private answers are never stored, metrics are not public."""

from django.conf import settings
from django.contrib import admin
from django.http import HttpResponse
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.crypto import constant_time_compare
from django_prometheus.exports import ExportToDjangoView


class PrivateResponsesMiddleware:
    """Balances and personal data must not stay in a browser's or a proxy's cache, nor come back from
    the browser's history after sign-out: every API answer and every page served to a signed-in
    person is `Cache-Control: private, no-store` (with no-cache and max-age=0 for old caches)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if request.path.startswith("/api/") or signed_in or getattr(request, "auth", None):
            add_never_cache_headers(response)
            patch_cache_control(response, private=True)
        return response


def metrics(request):
    """Prometheus metrics, for Prometheus (`Authorization: Bearer <METRICS_TOKEN>`) or signed-in staff
    who may use the console; 401 for anyone else."""
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    scheme, _, sent = header.partition(" ")
    by_token = bool(token) and scheme.lower() == "bearer" and constant_time_compare(sent.strip(), token)
    if by_token or admin.site.has_permission(request):
        return ExportToDjangoView(request)
    response = HttpResponse("Sign in as staff, or send the metrics token.\n", status=401,
                            content_type="text/plain; charset=utf-8")
    response["WWW-Authenticate"] = 'Bearer realm="metrics"'
    return response
