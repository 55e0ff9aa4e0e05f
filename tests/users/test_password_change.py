"""Changing a password: the old one must be right, the new one strong, and other sign-ins end."""

import pytest

from apps.users.models import UserActivity

from ..support import PASSWORD, api_login, bearer, new_client, post_json

pytestmark = pytest.mark.django_db

URL = "/api/users/auth/password/change/"
NEW = "Tidal-Basin-8812"


def change(headers, old=PASSWORD, new=NEW):
    return post_json(new_client(), URL, {"old_password": old, "new_password": new}, headers=headers)


def works(tokens) -> bool:
    return new_client().get("/api/users/sessions/", headers=bearer(tokens["access"])).status_code == 200


def test_a_wrong_old_password_is_422_with_a_field_message(cashier):
    _, tokens = api_login(cashier.email)
    response = change(tokens["headers"], old="not-my-password")

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid"
    assert body["errors"] == [{"field": "old_password", "message": "Your current password is not correct."}]
    cashier.refresh_from_db()
    assert cashier.check_password(PASSWORD)


def test_a_weak_new_password_is_422_on_new_password(cashier):
    _, tokens = api_login(cashier.email)
    response = change(tokens["headers"], new="12345")
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["new_password"]
    cashier.refresh_from_db()
    assert cashier.check_password(PASSWORD)


def test_the_same_password_again_is_refused(cashier):
    _, tokens = api_login(cashier.email)
    response = change(tokens["headers"], new=PASSWORD)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "new_password"


def test_success_revokes_the_other_tokens_and_keeps_this_one(cashier):
    _, phone = api_login(cashier.email)
    _, laptop = api_login(cashier.email)

    response = change(laptop["headers"])

    assert response.status_code == 200
    cashier.refresh_from_db()
    assert cashier.check_password(NEW)
    assert not works(phone)
    assert post_json(new_client(), "/api/users/auth/token/refresh/", {"refresh": phone["refresh"]}).status_code == 401
    assert works(laptop)
    assert post_json(new_client(), "/api/users/auth/token/refresh/", {"refresh": laptop["refresh"]}).status_code == 200
    assert UserActivity.objects.filter(user=cashier, event="password_changed").count() == 1

    assert api_login(cashier.email, PASSWORD)[0].status_code == 401
    assert api_login(cashier.email, NEW)[0].status_code == 200


def test_success_with_the_session_cookie_keeps_this_token(cashier):
    """A client that keeps every cookie (the session one too) must not lose its own token either."""
    client = new_client()
    _, tokens = api_login(cashier.email, client=client)
    response = post_json(client, URL, {"old_password": PASSWORD, "new_password": NEW}, headers=tokens["headers"])
    assert response.status_code == 200
    assert works(tokens)


def test_password_change_ends_other_browser_sessions(cashier):
    other = new_client()
    other.post("/login/", {"username": cashier.email, "password": PASSWORD})
    assert other.get("/my/").status_code == 200

    _, tokens = api_login(cashier.email)
    assert change(tokens["headers"]).status_code == 200

    response = other.get("/my/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_portal_password_change_keeps_me_signed_in(customer):
    client = new_client()
    client.post("/login/", {"username": customer.email, "password": PASSWORD})

    wrong = client.post("/my/password/", {"old_password": "nope", "new_password": NEW})
    assert wrong.status_code == 422
    assert "Your current password is not correct." in wrong.content.decode()

    response = client.post("/my/password/", {"old_password": PASSWORD, "new_password": NEW})
    assert response.status_code == 302
    assert client.get("/my/").status_code == 200
    customer.refresh_from_db()
    assert customer.check_password(NEW)
