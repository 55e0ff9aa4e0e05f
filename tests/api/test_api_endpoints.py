"""The other auth endpoints of API.md, errors, health, the OpenAPI schema and the audit dashboard."""

import pytest
from django.core.cache import cache
from qsessions.models import Session

from apps.api import health
from apps.audit.models import AuditEvent
from apps.audit.services import record
from apps.users import services

from ..support import LOGIN_URL, api_login, new_client, post_json, staff_client_for

pytestmark = pytest.mark.django_db

ATTEMPTS_URL = "/api/users/auth/login-attempts/"
SESSIONS_URL = "/api/users/sessions/"


# --- login attempts ------------------------------------------------------------------------

def test_login_attempts_are_forbidden_for_a_cashier(cashier, api):
    response = new_client().get(ATTEMPTS_URL, headers=api(cashier))
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_login_attempts_are_paginated_for_a_manager(manager, cashier, totp_device, code_for, api):
    for _ in range(3):
        api_login(cashier.email, "wrong password")
    device = totp_device(manager)
    headers = api(manager, otp=code_for(device))

    response = new_client().get(ATTEMPTS_URL, {"page_size": 2}, headers=headers)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"items", "count"}
    assert body["count"] == 4  # three failures and the manager's own sign-in
    assert len(body["items"]) == 2
    assert {"email", "event", "ip_address", "user_agent", "channel", "created_at"} <= set(body["items"][0])

    second = new_client().get(ATTEMPTS_URL, {"page_size": 2, "page": 2}, headers=headers).json()
    assert len(second["items"]) == 2
    seen = {item["id"] for item in body["items"]} | {item["id"] for item in second["items"]}
    assert len(seen) == 4

    failed = new_client().get(ATTEMPTS_URL, {"email": cashier.email, "event": "login_failed"}, headers=headers).json()
    assert failed["count"] == 3
    assert {item["event"] for item in failed["items"]} == {"login_failed"}


def test_page_size_is_capped_at_200(manager, totp_device, code_for, api):
    headers = api(manager, otp=code_for(totp_device(manager)))
    response = new_client().get(ATTEMPTS_URL, {"page_size": 201}, headers=headers)
    assert response.status_code == 422


# --- sessions --------------------------------------------------------------------------------

def test_sessions_lists_only_my_own(cashier, make_user, api):
    other = make_user("cashier")
    api_login(other.email)
    headers = api(cashier)

    body = new_client().get(SESSIONS_URL, headers=headers).json()

    assert body["count"] == 1
    item = body["items"][0]
    assert {"id", "ip", "user_agent", "created_at", "last_activity", "current"} <= set(item)
    assert item["user_email"] == cashier.email
    assert item["current"] is True
    assert item["ip"] == "127.0.0.1"
    assert item["user_agent"].startswith("CoastalTests")


def test_an_administrator_sees_everyones_sessions(administrator, cashier, customer, totp_device, code_for, api):
    api_login(cashier.email)
    api_login(customer.email)
    headers = api(administrator, otp=code_for(totp_device(administrator)))

    body = new_client().get(SESSIONS_URL, headers=headers).json()

    assert {item["user_email"] for item in body["items"]} >= {cashier.email, customer.email, administrator.email}


def test_no_session_listing_shows_a_key_that_signs_someone_in(administrator, manager, totp_device, code_for, api):
    """Issue 12 §1: an administrator used to read a manager's session key here and sign in with it."""
    api_login(manager.email, otp=code_for(totp_device(manager)))
    headers = api(administrator, otp=code_for(totp_device(administrator)))

    response = new_client().get(SESSIONS_URL, headers=headers)

    keys = list(Session.objects.values_list("session_key", flat=True))
    assert keys and not any(key in response.content.decode() for key in keys)
    for item in response.json()["items"]:
        hijacker = new_client()
        hijacker.cookies["sessionid"] = item["id"]
        assert hijacker.get("/admin/").status_code == 302  # the id signs nobody in
    assert "session_key" not in response.json()["items"][0]


def test_the_console_sessions_pages_show_no_key(administrator, cashier, totp_device):
    api_login(cashier.email)
    totp_device(administrator)
    page = staff_client_for(administrator).get("/admin/my-sessions/")

    assert page.status_code == 200
    assert cashier.email in page.content.decode()  # the administrator sees everyone's
    assert not any(key in page.content.decode() for key in Session.objects.values_list("session_key", flat=True))
    assert staff_client_for(administrator).get("/admin/qsessions/session/").status_code == 404


def test_deleting_another_users_session_is_404(cashier, make_user, api):
    other = make_user("cashier")
    api_login(other.email)
    theirs = Session.objects.get(user=other)

    for name in (services.session_public_id(theirs.session_key), theirs.session_key):
        response = new_client().delete(f"{SESSIONS_URL}{name}/", headers=api(cashier))
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    assert Session.objects.filter(pk=theirs.pk).exists()


def test_ending_my_other_session_signs_that_device_out(cashier, api):
    _, phone = api_login(cashier.email)
    headers = api(cashier)
    listed = new_client().get(SESSIONS_URL, headers=headers).json()["items"]
    phone_id = next(item["id"] for item in listed if not item["current"])

    response = new_client().delete(f"{SESSIONS_URL}{phone_id}/", headers=headers)

    assert response.status_code == 200
    assert Session.objects.filter(user=cashier).count() == 1
    assert new_client().get(SESSIONS_URL, headers=phone["headers"]).status_code == 401
    assert new_client().get(SESSIONS_URL, headers=headers).status_code == 200


def test_an_administrator_ends_someones_session_and_it_is_audited(administrator, cashier, totp_device, code_for,
                                                                   api):
    _, phone = api_login(cashier.email)
    headers = api(administrator, otp=code_for(totp_device(administrator)))
    listed = new_client().get(SESSIONS_URL, headers=headers).json()["items"]
    cashiers = next(item["id"] for item in listed if item["user_email"] == cashier.email)

    assert new_client().delete(f"{SESSIONS_URL}{cashiers}/", headers=headers).status_code == 200

    assert new_client().get(SESSIONS_URL, headers=phone["headers"]).status_code == 401
    assert AuditEvent.objects.filter(action="user.session_end", actor=administrator).exists()


# --- bad input -------------------------------------------------------------------------------

def test_malformed_json_is_422(db):
    response = new_client().post(LOGIN_URL, '{"email": "a@b.c", "password": ', content_type="application/json")
    assert response.status_code == 422
    assert response.json()["code"] == "malformed_json"


def test_missing_fields_are_422_with_field_messages(db):
    response = post_json(new_client(), LOGIN_URL, {"email": "someone@coastal.test"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid"
    assert {"field": "password", "message": "This field is required."} in body["errors"]


def test_an_empty_body_names_every_missing_field(db):
    response = post_json(new_client(), LOGIN_URL, {})
    assert response.status_code == 422
    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {"email", "password"}


def test_wrong_types_are_422_not_500(cashier, api):
    response = post_json(new_client(), "/api/users/auth/password/change/", {"old_password": ["x"]},
                         headers=api(cashier))
    assert response.status_code == 422
    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {"old_password", "new_password"}


# --- health ----------------------------------------------------------------------------------

def test_health_is_ok_when_everything_answers(db):
    response = new_client().get("/api/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok", "queue": "ok"}


def test_health_is_503_when_the_cache_is_down(db, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("cache unreachable")

    monkeypatch.setattr(cache, "set", broken)
    response = new_client().get("/api/health/")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["cache"].startswith("error")
    assert body["database"] == "ok" and body["queue"] == "ok"


def test_health_is_503_when_the_broker_is_down(db, monkeypatch):
    from django_q import brokers

    class DeadBroker:
        def ping(self):
            raise ConnectionError("broker unreachable")

    monkeypatch.setattr(brokers, "get_broker", lambda *args, **kwargs: DeadBroker())
    response = new_client().get("/api/health/")
    assert response.status_code == 503
    assert response.json()["queue"].startswith("error")
    assert response.json()["database"] == "ok"


def test_health_is_503_when_the_database_is_down(db, monkeypatch):
    def broken():
        raise RuntimeError("database unreachable")

    monkeypatch.setitem(health.CHECKS, "database", broken)
    response = new_client().get("/api/health/")
    assert response.status_code == 503
    assert response.json()["database"].startswith("error")


# --- OpenAPI ---------------------------------------------------------------------------------

AUTH_ENDPOINTS = [
    ("post", "/api/users/auth/login/"),
    ("post", "/api/users/auth/logout/"),
    ("post", "/api/users/auth/token/refresh/"),
    ("get", "/api/users/auth/check/"),
    ("post", "/api/users/auth/password/change/"),
    ("get", "/api/users/auth/login-attempts/"),
    ("get", "/api/users/sessions/"),
    ("get", "/api/audit/dashboard/"),
    ("get", "/api/health/"),
]


def test_openapi_schema_lists_every_auth_endpoint(db):
    response = new_client().get("/api/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    missing = [(method, path) for method, path in AUTH_ENDPOINTS if method not in paths.get(path, {})]
    assert missing == []


def test_api_docs_page_is_served(db):
    assert new_client().get("/api/docs").status_code == 200


# --- audit dashboard -------------------------------------------------------------------------

def test_audit_dashboard_is_forbidden_for_a_cashier(cashier, api):
    assert new_client().get("/api/audit/dashboard/", headers=api(cashier)).status_code == 403


def test_audit_dashboard_for_a_manager(manager, administrator, cashier, totp_device, code_for, api):
    record(administrator, "user.unlock", cashier)
    record(administrator, "user.unlock", cashier)
    record(administrator, "user.otp_reset", cashier, devices_removed=2)
    headers = api(manager, otp=code_for(totp_device(manager)))

    response = new_client().get("/api/audit/dashboard/", headers=headers)

    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 3
    assert body["by_action"] == {"user.unlock": 2, "user.otp_reset": 1}
    assert body["recent"][0]["action"] == "user.otp_reset"
    assert body["recent"][0]["actor_email"] == administrator.email


def test_staff_sessions_page_lists_my_sessions(cashier):
    client = staff_client_for(cashier)
    response = client.get("/admin/my-sessions/")
    assert response.status_code == 200
    assert b"This session" in response.content


def test_an_access_token_never_becomes_a_session_cookie(cashier, api):
    """Issue 12 §1: the 15-minute access token must not buy an 8-hour session anywhere."""
    headers = api(cashier)
    for method, url in (("get", SESSIONS_URL), ("get", "/api/users/auth/check/"), ("get", "/api/accounts/"),
                        ("post", "/api/users/auth/token/refresh/")):
        response = getattr(new_client(), method)(url, headers=headers)
        assert "sessionid" not in response.cookies, url
