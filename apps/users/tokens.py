"""JSON API tokens: a short-lived access JWT naming a revocable refresh token (ApiToken)."""

import uuid
from dataclasses import dataclass

import jwt
from django.conf import settings
from django.utils import timezone

from .models import ApiToken, User
from .request_info import client_ip, user_agent

ACCESS_COOKIE = "access_token"
REFRESH_COOKIE = "refresh_token"


class TokenError(Exception):
    pass


@dataclass
class TokenPair:
    access: str
    refresh: str
    api_token: ApiToken


def _encode(claims: dict) -> str:
    return jwt.encode(claims, settings.SECRET_KEY, algorithm=settings.JWT_ALGORITHM)


def _decode(token: str, expected_type: str) -> dict:
    try:
        claims = jwt.decode(token, settings.SECRET_KEY, algorithms=[settings.JWT_ALGORITHM],
                            options={"require": ["exp", "sub", "type", "sid"]})
    except jwt.ExpiredSignatureError:
        raise TokenError("The token has expired.")
    except jwt.PyJWTError:
        raise TokenError("The token is not valid.")
    if claims["type"] != expected_type:
        raise TokenError("The token is not valid.")
    return claims


def access_token_for(api_token: ApiToken) -> str:
    now = timezone.now()
    return _encode({
        "type": "access", "sub": str(api_token.user_id), "sid": str(api_token.jti), "jti": uuid.uuid4().hex,
        "iat": int(now.timestamp()), "exp": int((now + settings.JWT_ACCESS_LIFETIME).timestamp()),
    })


def issue_pair(*, user: User, request) -> TokenPair:
    now = timezone.now()
    session = getattr(request, "session", None)
    api_token = ApiToken.objects.create(
        user=user, expires_at=now + settings.JWT_REFRESH_LIFETIME,
        session_key=(session.session_key or "") if session is not None else "",
        ip_address=client_ip(request), user_agent=user_agent(request),
    )
    refresh = _encode({
        "type": "refresh", "sub": str(user.pk), "sid": str(api_token.jti),
        "iat": int(now.timestamp()), "exp": int(api_token.expires_at.timestamp()),
    })
    return TokenPair(access=access_token_for(api_token), refresh=refresh, api_token=api_token)


def _usable_token(claims: dict) -> ApiToken:
    api_token = ApiToken.objects.select_related("user").filter(jti=claims["sid"]).first()
    if api_token is None or not api_token.is_usable or not api_token.user.is_active:
        raise TokenError("The session has ended. Sign in again.")
    return api_token


def token_for_access(token: str) -> ApiToken:
    """The live refresh token (with its user) behind an access token; TokenError if there is none."""
    return _usable_token(_decode(token, "access"))


def authenticate_request(request, token: str | None) -> User | None:
    """The user behind an access token, set on the request (with `request.api_token`, the sign-in it
    belongs to, kept on password change); None for no token or a bad, expired or revoked one."""
    if not token:
        return None
    try:
        api_token = token_for_access(token)
    except TokenError:
        return None
    request.user = api_token.user
    request.api_token = api_token
    return api_token.user


def current_user(request) -> User | None:
    """The signed-in user for endpoints that also answer anonymous callers: the bearer token if one is
    sent, otherwise the access cookie."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return authenticate_request(request, header.split(" ", 1)[1].strip())
    return authenticate_request(request, request.COOKIES.get(ACCESS_COOKIE))


def refresh_access(refresh: str) -> tuple[str, User]:
    api_token = _usable_token(_decode(refresh, "refresh"))
    return access_token_for(api_token), api_token.user


def revoke(token: str) -> None:
    """Revoke the refresh token behind an access or refresh token (no error if already invalid)."""
    for kind in ("access", "refresh"):
        try:
            claims = _decode(token, kind)
        except TokenError:
            continue
        ApiToken.objects.filter(jti=claims["sid"], revoked_at__isnull=True).update(revoked_at=timezone.now())
        return


def set_cookies(response, *, access: str, refresh: str | None = None) -> None:
    common = {"httponly": True, "secure": settings.JWT_COOKIE_SECURE, "samesite": "Lax"}
    response.set_cookie(ACCESS_COOKIE, access, max_age=int(settings.JWT_ACCESS_LIFETIME.total_seconds()),
                        path="/", **common)
    if refresh is not None:
        response.set_cookie(REFRESH_COOKIE, refresh, max_age=int(settings.JWT_REFRESH_LIFETIME.total_seconds()),
                            path="/api/users/auth/", **common)


def clear_cookies(response) -> None:
    response.delete_cookie(ACCESS_COOKIE, path="/")
    response.delete_cookie(REFRESH_COOKIE, path="/api/users/auth/")
