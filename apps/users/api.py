from datetime import datetime

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from ninja.throttling import AnonRateThrottle
from qsessions.models import Session

from apps.core.apikit.errors import ApiError
from apps.core.apikit.pagination import PageNumber
from apps.core.apikit.permissions import require_role
from apps.core.roles import Role

from . import services, tokens
from .models import UserActivity

router = Router(tags=["auth"])
ROUTERS = [("/users/", router)]


class UserOut(Schema):
    id: int
    email: str
    role: str
    first_name: str
    last_name: str


class LoginIn(Schema):
    email: str = Field(..., min_length=3, max_length=254)
    password: str = Field(..., min_length=1, max_length=512)
    otp: str | None = Field(None, max_length=16)


class TokensOut(Schema):
    access: str
    refresh: str
    user: UserOut


class RefreshIn(Schema):
    refresh: str | None = None


class AccessOut(Schema):
    access: str


class CheckOut(Schema):
    authenticated: bool
    user: UserOut | None


class PasswordChangeIn(Schema):
    old_password: str
    new_password: str


class DetailOut(Schema):
    detail: str


class AttemptOut(Schema):
    id: int
    email: str
    event: str
    ip_address: str | None
    user_agent: str
    channel: str
    created_at: datetime


class SessionOut(Schema):
    id: str = Field(..., description="Opaque id: names the session for DELETE; it cannot sign anyone in.")
    user_email: str
    ip: str | None
    user_agent: str | None
    created_at: datetime | None
    last_activity: datetime
    expires_at: datetime
    current: bool


LOGIN_STATUS = {"locked": 423, "throttled": 429}
CONTENT_EDITOR_REFUSED = ("Content editors work on the website at /cms/; the API (members, accounts and money) "
                          "is not part of their role.")


@router.post("/auth/login/", auth=None, response=TokensOut, throttle=[AnonRateThrottle("20/m")],
             summary="Sign in: tokens in the body and as httpOnly cookies")
def login(request: HttpRequest, response: HttpResponse, payload: LoginIn):
    try:
        credentials = services.check_credentials(request=request, email=payload.email, password=payload.password,
                                                 otp_token=payload.otp)
    except services.SignInError as exc:
        extra = {"retry_after": exc.retry_after} if exc.retry_after else {}
        raise ApiError(LOGIN_STATUS.get(exc.code, 401), exc.code, str(exc), **extra)
    if credentials.user.role == Role.CONTENT_EDITOR:
        raise ApiError(403, "role_refused", CONTENT_EDITOR_REFUSED)
    user = services.start_session(request=request, credentials=credentials)
    pair = tokens.issue_pair(user=user, request=request)
    tokens.set_cookies(response, access=pair.access, refresh=pair.refresh)
    return {"access": pair.access, "refresh": pair.refresh, "user": user}


@router.post("/auth/logout/", response=DetailOut, summary="Sign out and revoke the refresh token")
def logout(request, response: HttpResponse, payload: RefreshIn | None = None):
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        tokens.revoke(header.split(" ", 1)[1].strip())
    for token in (request.COOKIES.get(tokens.ACCESS_COOKIE), request.COOKIES.get(tokens.REFRESH_COOKIE),
                  payload.refresh if payload else None):
        if token:
            tokens.revoke(token)
    services.sign_out(request=request)
    tokens.clear_cookies(response)
    return {"detail": "Signed out."}


@router.post("/auth/token/refresh/", auth=None, response=AccessOut, summary="New access token")
def refresh(request, response: HttpResponse, payload: RefreshIn | None = None):
    raw = (payload.refresh if payload else None) or request.COOKIES.get(tokens.REFRESH_COOKIE)
    if not raw:
        raise ApiError(401, "refresh_required", "Send the refresh token in the body or its cookie.")
    try:
        access, user = tokens.refresh_access(raw)
    except tokens.TokenError as exc:
        raise ApiError(401, "token_invalid", str(exc))
    services.activity_record(event=UserActivity.Event.TOKEN_REFRESHED, request=request, user=user)
    tokens.set_cookies(response, access=access)
    return {"access": access}


@router.get("/auth/check/", auth=None, response=CheckOut, summary="Am I signed in?")
def check(request):
    user = tokens.current_user(request)
    return {"authenticated": user is not None, "user": user}


@router.post("/auth/password/change/", response=DetailOut, summary="Change my password")
def password_change(request, payload: PasswordChangeIn):
    services.password_change(request=request, user=request.user, old_password=payload.old_password,
                             new_password=payload.new_password)
    return {"detail": "Password changed. Other sessions' API tokens were revoked."}


@router.get("/auth/login-attempts/", response=list[AttemptOut], summary="Recent sign-in attempts")
@paginate(PageNumber)
def login_attempts(request, email: str | None = None, event: str | None = None):
    require_role(request, Role.MANAGER, Role.ADMIN)
    events = [UserActivity.Event.LOGIN, UserActivity.Event.LOGIN_FAILED, UserActivity.Event.LOCKED_OUT]
    attempts = UserActivity.objects.filter(event__in=events)
    if email:
        attempts = attempts.filter(email__iexact=email)
    if event:
        attempts = attempts.filter(event=event)
    return attempts


def _session_out(session: Session, current_key: str | None) -> dict:
    return {
        "id": services.session_public_id(session.session_key),
        "user_email": session.user.email if session.user else "",
        "ip": session.ip, "user_agent": session.user_agent, "created_at": session.created_at,
        "last_activity": session.updated_at, "expires_at": session.expire_date,
        "current": session.session_key == current_key,
    }


@router.get("/sessions/", response=list[SessionOut], summary="My sessions (administrators: everyone's)")
@paginate(PageNumber)
def sessions(request):
    # A token caller's own session is the one its sign-in started, not the (cookie-less) request's.
    api_token = getattr(request, "api_token", None)
    current_key = api_token.session_key if api_token is not None else request.session.session_key
    return [_session_out(s, current_key) for s in services.sessions_visible_to(request.user)]


@router.delete("/sessions/{session_id}/", response=DetailOut,
               summary="End one of my sessions (administrators: anyone's)")
def session_end(request, session_id: str):
    if not services.session_end(actor=request.user, public_id=session_id, request=request):
        raise ApiError(404, "not_found", "No such session of yours.")
    return {"detail": "Session ended."}
