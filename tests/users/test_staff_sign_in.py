"""The staff console's sign-in: a second factor for managers, operations managers and administrators."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.audit.models import AuditEvent
from apps.users.models import UserActivity
from apps.users.services import SignInError, backup_codes_regenerate

from ..support import PASSWORD, api_login, new_client, totp_code

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
OTP_REQUIRED = SignInError.MESSAGES["otp_required"]
OTP_INVALID = SignInError.MESSAGES["otp_invalid"]
NOT_STAFF = "This account cannot use the staff console. Members sign in on the portal."


def sign_in(client, user, otp_token="", **extra):
    return client.post(LOGIN, {"username": user.email, "password": PASSWORD, "otp_token": otp_token, **extra})


def signed_in_as(client):
    return client.session.get("_auth_user_id")


def test_a_manager_without_the_code_is_refused(manager, totp_device):
    totp_device(manager)
    client = new_client()

    response = sign_in(client, manager)

    assert response.status_code == 200
    assert OTP_REQUIRED in response.content.decode()
    assert signed_in_as(client) is None
    assert client.get("/admin/").status_code == 302


def test_a_manager_with_a_valid_code_reaches_the_dashboard(manager, totp_device):
    device = totp_device(manager)
    client = new_client()

    response = sign_in(client, manager, totp_code(device))

    assert response.status_code == 302 and response["Location"] == "/admin/"
    dashboard = client.get("/admin/")
    assert dashboard.status_code == 200
    assert "Dashboard" in dashboard.content.decode()
    login = UserActivity.objects.get(user=manager, event="login")
    assert login.channel == "admin" and login.user_agent.startswith("CoastalTests")


def test_a_wrong_code_is_refused(manager, totp_device):
    device = totp_device(manager)
    client = new_client()
    wrong = str((int(totp_code(device)) + 1) % 1_000_000).zfill(6)

    response = sign_in(client, manager, wrong)

    assert OTP_INVALID in response.content.decode()
    assert signed_in_as(client) is None
    assert UserActivity.objects.filter(user=manager, event="login_failed").count() == 1


def test_a_code_cannot_be_used_twice(manager, totp_device):
    device = totp_device(manager)
    code = totp_code(device)
    assert sign_in(new_client(), manager, code).status_code == 302
    replay = new_client()
    response = sign_in(replay, manager, code)
    assert OTP_INVALID in response.content.decode()
    assert signed_in_as(replay) is None


def test_a_backup_code_signs_in_once(manager, totp_device):
    totp_device(manager)
    code = backup_codes_regenerate(user=manager)[0]

    first = new_client()
    assert sign_in(first, manager, code).status_code == 302
    assert first.get("/admin/").status_code == 200

    second = new_client()
    assert OTP_INVALID in sign_in(second, manager, code).content.decode()


def test_an_unenrolled_manager_is_sent_to_enrol_from_any_admin_page(manager):
    client = new_client()
    response = sign_in(client, manager)
    assert response.status_code == 302
    assert signed_in_as(client) == str(manager.pk)

    for page in ("/admin/", "/admin/users/user/", "/admin/my-sessions/", "/admin/otp/backup-codes/", "/cms/"):
        response = client.get(page)
        assert response.status_code == 302, page
        assert response["Location"] == "/admin/otp/enrol/", page


def test_enrolment_confirms_the_device_and_shows_backup_codes(manager):
    client = new_client()
    sign_in(client, manager)

    page = client.get("/admin/otp/enrol/")
    assert page.status_code == 200
    assert b"<svg" in page.content
    device = TOTPDevice.objects.get(user=manager, confirmed=False)

    wrong = client.post("/admin/otp/enrol/", {"token": "000000" if totp_code(device) != "000000" else "111111"})
    assert wrong.status_code == 200
    assert b"That code does not match" in wrong.content
    device.refresh_from_db()
    assert not device.confirmed
    assert device.throttling_failure_count == 1  # guessing is slowed down here as at sign-in

    with time_machine.travel(timezone.now() + timedelta(seconds=2)):  # past the throttle's 1 s wait
        response = client.post("/admin/otp/enrol/", {"token": totp_code(device)})
    assert response.status_code == 302
    assert response["Location"] == "/admin/otp/backup-codes/"
    device.refresh_from_db()
    assert device.confirmed

    codes_page = client.get(response["Location"])
    assert codes_page.status_code == 200
    codes = StaticToken.objects.filter(device__user=manager).values_list("token", flat=True)
    assert len(codes) == 10
    for code in codes:
        assert code in codes_page.content.decode()
    # Shown once only.
    assert not any(code in client.get("/admin/otp/backup-codes/").content.decode() for code in codes)

    assert client.get("/admin/").status_code == 200
    assert AuditEvent.objects.filter(action="user.otp_enrolled", target_id=str(manager.pk)).exists()


def test_an_enrolled_manager_is_not_sent_back_to_enrol(manager, totp_device, staff_client):
    totp_device(manager)
    response = staff_client(manager).get("/admin/otp/enrol/")
    assert response.status_code == 302 and response["Location"] == "/admin/"


def test_a_cashier_without_a_second_factor_reaches_the_dashboard(cashier):
    client = new_client()
    response = sign_in(client, cashier)
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_a_cashier_is_not_sent_to_enrol(cashier):
    client = new_client()
    sign_in(client, cashier)
    assert client.get("/admin/my-sessions/").status_code == 200


def test_a_customer_cannot_use_the_staff_console(customer):
    client = new_client()
    response = sign_in(client, customer)
    assert response.status_code == 200
    assert NOT_STAFF in response.content.decode()
    assert signed_in_as(client) is None


def test_a_customer_signed_in_on_the_portal_cannot_open_the_console(customer):
    client = new_client()
    client.post("/login/", {"username": customer.email, "password": PASSWORD})
    assert signed_in_as(client) == str(customer.pk)
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_an_enrolled_manager_signed_in_on_the_portal_must_still_give_the_code_for_the_console(manager, totp_device):
    device = totp_device(manager)
    client = new_client()
    client.post("/login/", {"username": manager.email, "password": PASSWORD, "otp_token": totp_code(device)})
    # The portal verified the code, so the console is open for this session.
    assert client.get("/admin/").status_code == 200

    unverified = new_client()
    unverified.force_login(manager, backend="django.contrib.auth.backends.ModelBackend")
    response = unverified.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_the_wagtail_login_page_sends_people_to_the_staff_sign_in(cashier):
    client = new_client()
    response = client.post("/cms/login/", {"username": cashier.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=%2Fcms%2F"
    assert signed_in_as(client) is None


def test_the_cms_needs_a_verified_second_factor(operations_manager, totp_device):
    device = totp_device(operations_manager)
    unverified = new_client()
    unverified.force_login(operations_manager, backend="django.contrib.auth.backends.ModelBackend")
    response = unverified.get("/cms/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")

    client = new_client()
    response = client.post(f"{LOGIN}?next=/cms/", {"username": operations_manager.email, "password": PASSWORD,
                                                    "otp_token": totp_code(device)})
    assert response.status_code == 302 and response["Location"] == "/cms/"
    assert client.get("/cms/").status_code == 200


# --- the same rules through the API ------------------------------------------------------------

def test_api_asks_an_enrolled_manager_for_the_code(manager, totp_device):
    device = totp_device(manager)
    response, _ = api_login(manager.email)
    assert response.status_code == 401
    assert response.json()["code"] == "otp_required"

    response, tokens = api_login(manager.email, otp=totp_code(device))
    assert response.status_code == 200 and tokens["access"]


def test_api_refuses_a_manager_who_has_not_enrolled(manager):
    response, _ = api_login(manager.email)
    assert response.status_code == 401
    assert response.json()["code"] == "otp_enrolment_required"


def test_a_cashier_who_only_made_backup_codes_is_not_trapped(cashier, staff_client):
    """Backup codes back up an authenticator; without one they must not become a second factor."""
    client = staff_client(cashier)
    response = client.post("/admin/otp/backup-codes/")
    assert response.status_code == 302 and response["Location"] == "/admin/otp/enrol/"
    assert not StaticDevice.objects.filter(user=cashier).exists()
    assert api_login(cashier.email)[0].status_code == 200
    assert client.get("/admin/").status_code == 200


def test_a_cashier_may_choose_to_enrol(cashier):
    client = new_client()
    sign_in(client, cashier)
    client.get("/admin/otp/enrol/")
    device = TOTPDevice.objects.get(user=cashier)
    assert client.post("/admin/otp/enrol/", {"token": totp_code(device)}).status_code == 302
    # From now on the cashier's sign-ins need the code too.
    assert OTP_REQUIRED in sign_in(new_client(), cashier).content.decode()
    assert api_login(cashier.email)[0].json()["code"] == "otp_required"


def test_staff_land_on_the_console_when_the_form_names_a_next_page(manager, totp_device):
    device = totp_device(manager)
    response = sign_in(new_client(), manager, totp_code(device), next="/admin/users/user/")
    assert response.status_code == 302 and response["Location"] == "/admin/users/user/"


def test_the_console_sign_in_does_not_redirect_off_site(cashier):
    response = sign_in(new_client(), cashier, next="https://evil.example/")
    assert response.status_code == 302 and response["Location"] == "/admin/"
