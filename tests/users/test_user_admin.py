"""User administration in the staff console: who may change users, and what a change leaves behind."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.audit.models import AuditEvent
from apps.users.models import User

from ..support import api_login, form_fields, new_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(administrator, totp_device, staff_client):
    totp_device(administrator)
    return staff_client(administrator)


def change_url(user) -> str:
    return f"/admin/users/user/{user.pk}/change/"


def submit_change_form(client, user, **changes):
    page = client.get(change_url(user))
    assert page.status_code == 200
    data = form_fields(page.content.decode())
    data.update(changes)
    return client.post(change_url(user), data)


def test_role_change_in_the_admin_is_audited(admin_client, administrator, cashier):
    response = submit_change_form(admin_client, cashier, role="mobile_banker")

    assert response.status_code == 302, response.content.decode()[:2000]
    cashier.refresh_from_db()
    assert cashier.role == "mobile_banker"
    assert list(cashier.groups.values_list("name", flat=True)) == ["Mobile bankers"]
    event = AuditEvent.objects.get(action="user.role_change")
    assert event.actor == administrator and event.target_id == str(cashier.pk)
    assert event.details == {"old_role": "cashier", "new_role": "mobile_banker"}


def test_saving_without_a_role_change_writes_no_role_audit(admin_client, cashier):
    response = submit_change_form(admin_client, cashier, first_name="Yaw")
    assert response.status_code == 302
    cashier.refresh_from_db()
    assert cashier.first_name == "Yaw"
    assert not AuditEvent.objects.filter(action="user.role_change").exists()


def test_an_administrator_cannot_change_their_own_role(admin_client, administrator):
    response = submit_change_form(admin_client, administrator, role="cashier")

    administrator.refresh_from_db()
    assert administrator.role == "admin"
    assert not AuditEvent.objects.filter(action="user.role_change").exists()
    followed = admin_client.get(response["Location"]) if response.status_code == 302 else response
    assert "You cannot change your own role" in followed.content.decode()


def test_a_manager_can_list_users_but_not_change_them(manager, cashier, totp_device, staff_client):
    totp_device(manager)
    client = staff_client(manager)

    assert client.get("/admin/users/user/").status_code == 200
    assert client.get(change_url(cashier)).status_code == 200  # read-only view
    response = client.post(change_url(cashier), {"email": cashier.email, "role": "admin"})
    assert response.status_code == 403
    cashier.refresh_from_db()
    assert cashier.role == "cashier"
    assert client.get("/admin/users/user/add/").status_code == 403


def test_a_manager_cannot_unlock(manager, cashier, totp_device, staff_client):
    totp_device(manager)
    client = staff_client(manager)
    client.post("/admin/users/user/", {"action": "unlock_selected", "_selected_action": [cashier.pk]})
    assert not AuditEvent.objects.filter(action="user.unlock").exists()


def test_a_cashier_cannot_open_user_administration(cashier, staff_client):
    client = staff_client(cashier)
    assert client.get("/admin/users/user/").status_code == 403


def test_reset_two_factor_is_audited(admin_client, manager, totp_device):
    totp_device(manager)
    response = admin_client.get(f"/admin/users/user/{manager.pk}/reset_otp_detail/")
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=manager).exists()
    assert AuditEvent.objects.get(action="user.otp_reset").details == {"devices_removed": 1}


def test_an_administrator_adds_a_user_with_a_role_and_it_is_audited(admin_client, administrator):
    response = admin_client.post("/admin/users/user/add/", {
        "email": "New.Teller@Coastal.test", "role": "cashier",
        "password1": "Lagoon-Front-4412", "password2": "Lagoon-Front-4412",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(email="new.teller@coastal.test")
    assert user.role == "cashier" and user.is_staff
    assert user.check_password("Lagoon-Front-4412")
    event = AuditEvent.objects.get(action="user.create")
    assert event.actor == administrator and event.target_id == str(user.pk) and event.details == {"role": "cashier"}


def test_an_administrator_resetting_a_password_ends_the_users_api_tokens(admin_client, administrator, cashier):
    _, tokens = api_login(cashier.email)
    url = f"/admin/users/user/{cashier.pk}/password/"
    response = admin_client.post(url, {"password1": "Lagoon-Front-4412", "password2": "Lagoon-Front-4412",
                                       "set_usable_password": "true", "usable_password": "true"})

    assert response.status_code == 302, response.content.decode()[:3000]
    cashier.refresh_from_db()
    assert cashier.check_password("Lagoon-Front-4412")
    assert new_client().get("/api/users/sessions/", headers=tokens["headers"]).status_code == 401
    event = AuditEvent.objects.get(action="user.password_set")
    assert event.actor == administrator and event.target_id == str(cashier.pk)


def test_any_new_password_ends_every_api_token(cashier):
    """`manage.py changepassword`, seed_demo, a shell: whatever sets the password."""
    _, tokens = api_login(cashier.email)
    cashier.set_password("Lagoon-Front-4412")
    cashier.save()
    assert new_client().get("/api/users/sessions/", headers=tokens["headers"]).status_code == 401


def test_saving_a_user_without_a_new_password_keeps_their_tokens(cashier):
    _, tokens = api_login(cashier.email)
    cashier.refresh_from_db()
    cashier.first_name = "Yaw"
    cashier.save()
    assert new_client().get("/api/users/sessions/", headers=tokens["headers"]).status_code == 200


def test_user_history_is_kept(admin_client, cashier):
    submit_change_form(admin_client, cashier, phone_number="+233 20 000 0000")
    assert cashier.history.count() == 2
    assert admin_client.get(f"/admin/users/user/{cashier.pk}/history/").status_code == 200
