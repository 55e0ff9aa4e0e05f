"""API authentication: `Authorization: Bearer <access>` or the httpOnly access cookie (with CSRF)."""

from ninja.security import APIKeyCookie, HttpBearer

from apps.users.tokens import ACCESS_COOKIE, TokenError, token_for_access


def _authenticate(request, token: str | None):
    if not token:
        return None
    try:
        api_token = token_for_access(token)
    except TokenError:
        return None
    request.user = api_token.user
    request.api_token = api_token  # which sign-in this request belongs to (kept on password change)
    return api_token.user


class BearerAuth(HttpBearer):
    def authenticate(self, request, token):
        return _authenticate(request, token)


class CookieAuth(APIKeyCookie):
    """The access cookie of a browser that signed in. A request that sends a bearer token is judged
    by that token alone: a bad or expired one is 401, never a CSRF refusal from this cookie check
    (API.md). CSRF is checked only when there is a cookie to ride on."""

    param_name = ACCESS_COOKIE

    def _get_key(self, request):
        if request.headers.get("Authorization") or not request.COOKIES.get(self.param_name):
            return None
        return super()._get_key(request)

    def authenticate(self, request, key):
        return _authenticate(request, key)


def current_user(request):
    """The signed-in user for endpoints that also answer anonymous callers."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return _authenticate(request, header.split(" ", 1)[1].strip())
    return _authenticate(request, request.COOKIES.get(ACCESS_COOKIE))


API_AUTH = [BearerAuth(), CookieAuth(csrf=True)]
