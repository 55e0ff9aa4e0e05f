"""Five consecutive failures lock an account for 30 minutes, whichever door they came through."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.users import services
from apps.users.models import User, UserActivity

from ..support import PASSWORD, USER_AGENT, api_login, new_client

pytestmark = pytest.mark.django_db

LOCK_MESSAGE = services.SignInError.MESSAGES["locked"]
BAD_CREDENTIALS = services.SignInError.MESSAGES["invalid_credentials"]


def fail(email: str, times: int) -> list[int]:
    return [api_login(email, "not-the-password")[0].status_code for _ in range(times)]


def test_five_failures_lock_the_account_and_the_right_password_is_refused(cashier):
    statuses = fail(cashier.email, 6)
    assert statuses == [401, 401, 401, 401, 423, 423]

    response, tokens = api_login(cashier.email, PASSWORD)
    assert response.status_code == 423
    assert response.json() == {"detail": LOCK_MESSAGE, "code": "locked"}
    assert tokens is None
    cashier.refresh_from_db()
    assert cashier.is_locked


def test_the_lock_lifts_by_itself_after_thirty_minutes(cashier):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        fail(cashier.email, 5)
    with time_machine.travel(start + timedelta(minutes=29), tick=False):
        assert api_login(cashier.email, PASSWORD)[0].status_code == 423
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        response, tokens = api_login(cashier.email, PASSWORD)
        assert response.status_code == 200
        assert tokens["access"]
        cashier.refresh_from_db()
        assert not cashier.is_locked
        assert cashier.failed_login_attempts == 0


def test_a_success_resets_the_count(cashier):
    fail(cashier.email, 4)
    assert api_login(cashier.email, PASSWORD)[0].status_code == 200
    assert fail(cashier.email, 4) == [401] * 4
    assert api_login(cashier.email, PASSWORD)[0].status_code == 200


def test_the_lock_is_recorded_with_ip_and_user_agent(cashier):
    fail(cashier.email, 5)

    failed = UserActivity.objects.filter(user=cashier, event=UserActivity.Event.LOGIN_FAILED)
    assert failed.count() == 5
    locked = UserActivity.objects.get(user=cashier, event=UserActivity.Event.LOCKED_OUT)
    for row in [*failed, locked]:
        assert row.ip_address == "127.0.0.1"
        assert row.user_agent == USER_AGENT
        assert row.channel == "api"
        assert row.email == cashier.email
    cashier.refresh_from_db()
    assert cashier.locked_until > timezone.now() + timedelta(minutes=29)


def test_unknown_email_and_wrong_password_get_the_same_answer(cashier):
    unknown, _ = api_login("nobody-here@coastal.test", "whatever-it-is")
    wrong, _ = api_login(cashier.email, "whatever-it-is")

    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json() == {"detail": BAD_CREDENTIALS, "code": "invalid_credentials"}
    assert UserActivity.objects.filter(email="nobody-here@coastal.test", event="login_failed", user=None).exists()


def test_unknown_emails_lock_too_so_the_lock_reveals_nothing(db):
    assert fail("nobody-here@coastal.test", 5) == [401, 401, 401, 401, 423]


def test_an_inactive_account_gets_the_same_answer_as_a_wrong_password(cashier):
    cashier.is_active = False
    cashier.save()
    response, _ = api_login(cashier.email, PASSWORD)
    assert response.status_code == 401
    assert response.json()["detail"] == BAD_CREDENTIALS


def test_failures_count_across_every_door(cashier):
    """Two on the portal, two in the staff console, one on the API: the fifth locks."""
    portal, console = new_client(), new_client()
    for _ in range(2):
        response = portal.post("/login/", {"username": cashier.email, "password": "nope-nope"})
        assert BAD_CREDENTIALS in response.content.decode()
    for _ in range(2):
        console.post("/admin/login/", {"username": cashier.email, "password": "nope-nope"})
    assert fail(cashier.email, 1) == [423]

    response = console.post("/admin/login/", {"username": cashier.email, "password": PASSWORD})
    assert response.status_code == 200
    assert LOCK_MESSAGE in response.content.decode()
    response = portal.post("/login/", {"username": cashier.email, "password": PASSWORD})
    assert LOCK_MESSAGE in response.content.decode()
    assert "_auth_user_id" not in portal.session


def test_a_wrong_second_factor_counts_as_a_failure(manager, totp_device):
    totp_device(manager)
    statuses = [api_login(manager.email, PASSWORD, otp="000000")[0].status_code for _ in range(5)]
    assert statuses[-1] == 423
    assert statuses[:4] == [401] * 4
    assert UserActivity.objects.filter(user=manager, event="locked_out").exists()


def test_an_administrator_unlocks_an_account_and_it_is_audited(cashier, administrator):
    fail(cashier.email, 5)
    assert api_login(cashier.email, PASSWORD)[0].status_code == 423

    services.user_unlock(actor=administrator, user=cashier)

    cashier.refresh_from_db()
    assert not cashier.is_locked and cashier.failed_login_attempts == 0
    event = AuditEvent.objects.get(action="user.unlock")
    assert event.actor == administrator
    assert event.target_type == "users.user" and event.target_id == str(cashier.pk)
    assert UserActivity.objects.filter(user=cashier, event="unlocked").exists()
    assert api_login(cashier.email, PASSWORD)[0].status_code == 200


def test_unlock_from_the_admin_action(cashier, administrator, totp_device, staff_client):
    totp_device(administrator)
    fail(cashier.email, 5)
    client = staff_client(administrator)

    response = client.post("/admin/users/user/", {"action": "unlock_selected", "_selected_action": [cashier.pk]})

    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="user.unlock", target_id=str(cashier.pk), actor=administrator).exists()
    assert api_login(cashier.email, PASSWORD)[0].status_code == 200
    assert not User.objects.get(pk=cashier.pk).is_locked
