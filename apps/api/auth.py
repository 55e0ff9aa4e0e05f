"""API authentication: `Authorization: Bearer <access>` or the httpOnly access cookie (with CSRF).

The token rules are the users app's (`apps.users.tokens`); these classes only tell ninja where to
look for the token."""

from ninja.security import APIKeyCookie, HttpBearer

from apps.users.tokens import ACCESS_COOKIE, authenticate_request


class BearerAuth(HttpBearer):
    def authenticate(self, request, token):
        return authenticate_request(request, token)


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
        return authenticate_request(request, key)


API_AUTH = [BearerAuth(), CookieAuth(csrf=True)]
