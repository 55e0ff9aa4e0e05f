"""API sign-in: tokens, cookies, lifetimes, refresh, logout, cookie auth with CSRF, check."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from apps.users.models import ApiToken, UserActivity
from apps.users.tokens import ACCESS_COOKIE, REFRESH_COOKIE

from ..support import LOGIN_URL, api_login, bearer, new_client, post_json

pytestmark = pytest.mark.django_db

CHECK_URL = "/api/users/auth/check/"
REFRESH_URL = "/api/users/auth/token/refresh/"
LOGOUT_URL = "/api/users/auth/logout/"
SESSIONS_URL = "/api/users/sessions/"


def check_as(access: str):
    return new_client().get(CHECK_URL, headers=bearer(access)).json()


def sessions_status(access: str) -> int:
    """An endpoint that needs a signed-in caller: 200 with a working access token, 401 without."""
    return new_client().get(SESSIONS_URL, headers=bearer(access)).status_code


def test_login_returns_both_tokens_the_user_and_sets_httponly_cookies(cashier):
    client = new_client()
    response = post_json(client, LOGIN_URL, {"email": cashier.email.upper(), "password": "Harbour-Lights-2026!"})

    assert response.status_code == 200
    body = response.json()
    assert body["access"] and body["refresh"] and body["access"] != body["refresh"]
    assert body["user"] == {"id": cashier.pk, "email": cashier.email, "role": "cashier",
                            "first_name": "", "last_name": ""}
    access, refresh = response.cookies[ACCESS_COOKIE], response.cookies[REFRESH_COOKIE]
    assert access.value == body["access"] and refresh.value == body["refresh"]
    assert access["httponly"] and refresh["httponly"]
    assert access["samesite"] == "Lax" and refresh["samesite"] == "Lax"
    assert access["max-age"] == 15 * 60
    assert refresh["max-age"] == 7 * 24 * 60 * 60
    assert sessions_status(body["access"]) == 200
    activity = UserActivity.objects.get(user=cashier, event="login")
    assert activity.channel == "api" and activity.ip_address == "127.0.0.1"


def test_access_token_lives_fifteen_minutes(cashier):
    _, tokens = api_login(cashier.email)
    start = timezone.now()
    with time_machine.travel(start + timedelta(minutes=14), tick=False):
        assert sessions_status(tokens["access"]) == 200
    with time_machine.travel(start + timedelta(minutes=16), tick=False):
        assert sessions_status(tokens["access"]) == 401
        assert check_as(tokens["access"]) == {"authenticated": False, "user": None}


def test_refresh_token_lives_seven_days(cashier):
    _, tokens = api_login(cashier.email)
    start = timezone.now()
    with time_machine.travel(start + timedelta(days=6), tick=False):
        response = post_json(new_client(), REFRESH_URL, {"refresh": tokens["refresh"]})
        assert response.status_code == 200
        new_access = response.json()["access"]
        assert sessions_status(new_access) == 200
    with time_machine.travel(start + timedelta(days=8), tick=False):
        response = post_json(new_client(), REFRESH_URL, {"refresh": tokens["refresh"]})
        assert response.status_code == 401
        assert response.json()["code"] == "token_invalid"


def test_refresh_gives_a_new_working_access_token(cashier):
    _, tokens = api_login(cashier.email)
    with time_machine.travel(timezone.now() + timedelta(minutes=20), tick=False):
        assert sessions_status(tokens["access"]) == 401
        response = post_json(new_client(), REFRESH_URL, {"refresh": tokens["refresh"]})
        assert response.status_code == 200
        access = response.json()["access"]
        assert access != tokens["access"]
        assert response.cookies[ACCESS_COOKIE].value == access
        assert check_as(access)["user"]["email"] == cashier.email
    assert UserActivity.objects.filter(user=cashier, event="token_refreshed").count() == 1


def test_refresh_from_the_cookie(cashier):
    client = new_client()
    api_login(cashier.email, client=client)
    response = post_json(client, REFRESH_URL)
    assert response.status_code == 200
    assert check_as(response.json()["access"])["authenticated"] is True


def test_an_access_token_is_not_a_refresh_token(cashier):
    _, tokens = api_login(cashier.email)
    response = post_json(new_client(), REFRESH_URL, {"refresh": tokens["access"]})
    assert response.status_code == 401


def test_refresh_without_a_token_is_401(db):
    response = post_json(new_client(), REFRESH_URL, {})
    assert response.status_code == 401
    assert response.json()["code"] == "refresh_required"


def test_tampered_access_token_is_refused(cashier):
    _, tokens = api_login(cashier.email)
    header, claims, signature = tokens["access"].split(".")
    forged = ".".join([header, claims, signature[::-1]])
    assert sessions_status(forged) == 401


def test_logout_revokes_the_refresh_token_and_the_access_token(cashier):
    _, tokens = api_login(cashier.email)
    response = post_json(new_client(), LOGOUT_URL, {}, headers=bearer(tokens["access"]))
    assert response.status_code == 200

    assert sessions_status(tokens["access"]) == 401
    refreshed = post_json(new_client(), REFRESH_URL, {"refresh": tokens["refresh"]})
    assert refreshed.status_code == 401
    assert ApiToken.objects.get(user=cashier).revoked_at is not None
    assert UserActivity.objects.filter(user=cashier, event="logout").exists()


def test_logout_with_cookies_clears_them_and_revokes(cashier):
    client = new_client(enforce_csrf_checks=True)
    _, tokens = api_login(cashier.email, client=client)
    client.get(CHECK_URL)  # a browser fetches a page first and so holds the CSRF cookie
    csrf = client.cookies["csrftoken"].value
    response = post_json(client, LOGOUT_URL, {}, headers={"X-CSRFToken": csrf})
    assert response.status_code == 200
    assert response.cookies[ACCESS_COOKIE].value == ""
    assert sessions_status(tokens["access"]) == 401


def test_logging_out_one_device_leaves_the_other_signed_in(cashier):
    _, phone = api_login(cashier.email)
    _, laptop = api_login(cashier.email)
    assert new_client().get(SESSIONS_URL, headers=bearer(laptop["access"])).json()["count"] == 2

    post_json(new_client(), LOGOUT_URL, {}, headers=bearer(phone["access"]))

    assert sessions_status(phone["access"]) == 401
    assert sessions_status(laptop["access"]) == 200
    # The phone's session has ended too: only the laptop is still listed as signed in.
    remaining = new_client().get(SESSIONS_URL, headers=bearer(laptop["access"])).json()
    assert remaining["count"] == 1
    assert remaining["items"][0]["current"] is True


def test_cookie_auth_needs_the_csrf_header_for_posts(cashier):
    client = new_client(enforce_csrf_checks=True)
    api_login(cashier.email, client=client)

    # Reads with the cookie alone are fine.
    assert client.get(SESSIONS_URL).status_code == 200
    assert client.get(CHECK_URL).json()["authenticated"] is True

    # A state-changing request with the cookie but no CSRF header is refused, and changes nothing.
    refused = post_json(client, "/api/users/auth/password/change/",
                        {"old_password": "Harbour-Lights-2026!", "new_password": "Tidal-Basin-8812"})
    assert refused.status_code == 403
    assert refused.json()["code"] == "csrf_failed"
    cashier.refresh_from_db()
    assert cashier.check_password("Harbour-Lights-2026!")

    csrf = client.cookies["csrftoken"].value
    accepted = post_json(client, "/api/users/auth/password/change/",
                         {"old_password": "Harbour-Lights-2026!", "new_password": "Tidal-Basin-8812"},
                         headers={"X-CSRFToken": csrf})
    assert accepted.status_code == 200, accepted.content
    cashier.refresh_from_db()
    assert cashier.check_password("Tidal-Basin-8812")


def test_bearer_requests_need_no_csrf(cashier):
    client = new_client(enforce_csrf_checks=True)
    _, tokens = api_login(cashier.email)
    response = post_json(client, "/api/users/auth/password/change/",
                         {"old_password": "Harbour-Lights-2026!", "new_password": "Tidal-Basin-8812"},
                         headers=bearer(tokens["access"]))
    assert response.status_code == 200


def test_check_signed_out_and_signed_in(cashier):
    assert new_client().get(CHECK_URL).json() == {"authenticated": False, "user": None}
    _, tokens = api_login(cashier.email)
    body = check_as(tokens["access"])
    assert body["authenticated"] is True
    assert body["user"]["email"] == cashier.email and body["user"]["role"] == "cashier"


def test_a_deactivated_user_loses_api_access(cashier):
    _, tokens = api_login(cashier.email)
    cashier.is_active = False
    cashier.save()
    assert sessions_status(tokens["access"]) == 401
    assert post_json(new_client(), REFRESH_URL, {"refresh": tokens["refresh"]}).status_code == 401


def test_endpoints_need_a_signed_in_caller(db):
    response = new_client().get(SESSIONS_URL)
    assert response.status_code == 401
    assert response.json() == {"detail": "Sign in to use this endpoint.", "code": "not_authenticated"}
