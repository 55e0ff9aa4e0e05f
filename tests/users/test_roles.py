"""Roles are groups whose permissions are declared in code; role changes are checked and audited."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError

from apps.audit.models import AuditEvent
from apps.core import roles
from apps.core.roles import DECISION_PERMISSIONS, Role
from apps.users import services
from apps.users.models import User

pytestmark = pytest.mark.django_db

USERS_PERMS = ["users.view_user", "users.add_user", "users.change_user", "users.delete_user"]


def test_a_fresh_database_has_one_group_per_role():
    assert set(Group.objects.values_list("name", flat=True)) >= {role.group for role in roles.ROLES.values()}


def test_a_manager_can_view_users_but_not_change_them(manager):
    assert manager.has_perm("users.view_user")
    assert manager.has_perm("users.view_useractivity")
    assert manager.has_perm("audit.view_auditevent")
    assert not manager.has_perm("users.change_user")
    assert not manager.has_perm("users.add_user")
    assert not manager.has_perm("users.delete_user")


def test_an_administrator_has_every_permission_but_the_decisions_of_four_eyes(administrator):
    every = {f"{app}.{code}" for app, code in Permission.objects.values_list("content_type__app_label", "codename")}
    assert every and administrator.get_all_permissions() == every - DECISION_PERMISSIONS
    assert not administrator.is_superuser  # the rights come from the role's group, not a bypass
    assert not any(administrator.has_perm(perm) for perm in DECISION_PERMISSIONS)


def test_a_superuser_is_not_a_second_approver_by_being_one(django_user_model, manager):
    root = django_user_model.objects.create_superuser("root@coastal.test", "x-Long-enough-1")
    assert root.has_perm("users.change_user")  # a superuser otherwise holds everything
    assert not any(root.has_perm(perm) for perm in DECISION_PERMISSIONS)
    assert manager.has_perm("ledger.approve_transaction")


def test_an_administrator_cannot_grant_themselves_a_decision(administrator):
    """The administrator may edit groups and users in the console; a decision still comes only from a
    role that declares it."""
    decisions = Permission.objects.filter(content_type__app_label="ledger", codename="approve_transaction")
    Group.objects.get(name=Role.ADMIN.group).permissions.add(*decisions)
    administrator.user_permissions.add(*decisions)
    administrator = User.objects.get(pk=administrator.pk)  # drop the permission cache
    assert not administrator.has_perm("ledger.approve_transaction")


def test_a_cashier_has_no_user_permissions(cashier):
    assert cashier.is_staff
    assert not any(cashier.has_perm(perm) for perm in USERS_PERMS)
    assert not any(perm.startswith("users.") for perm in cashier.get_all_permissions())


def test_a_customer_is_not_staff_and_has_no_permissions(customer):
    assert not customer.is_staff
    assert customer.get_all_permissions() == set()


@pytest.mark.parametrize("code", list(roles.ROLES))
def test_each_role_is_exactly_its_group(make_user, code):
    user = make_user(code)
    assert list(user.groups.values_list("name", flat=True)) == [roles.ROLES[code].group]
    assert user.is_staff == roles.ROLES[code].staff
    declared = set(roles.ROLES[code].permissions)
    if roles.ALL_PERMISSIONS not in declared:
        assert User.objects.get(pk=user.pk).get_all_permissions() == declared


def test_changing_the_role_moves_the_user_to_the_new_group(cashier):
    cashier.role = "manager"
    cashier.save()
    fresh = User.objects.get(pk=cashier.pk)
    assert list(fresh.groups.values_list("name", flat=True)) == ["Managers"]
    assert fresh.has_perm("users.view_user")


def test_sync_roles_refuses_an_unknown_permission(monkeypatch):
    monkeypatch.setitem(roles.GRANTS, Role.MANAGER, {*roles.GRANTS[Role.MANAGER], "users.fly_to_the_moon"})
    with pytest.raises(LookupError, match="users.fly_to_the_moon"):
        roles.sync_roles()


def test_a_permission_is_granted_as_app_label_dot_codename():
    with pytest.raises(ValueError):
        roles.grant(Role.MANAGER, "view_user")
    with pytest.raises(ValueError):
        roles.grant("emperor", "users.view_user")


def test_sync_roles_puts_back_a_permission_removed_by_hand():
    managers = Group.objects.get(name="Managers")
    managers.permissions.remove(Permission.objects.get(codename="view_user", content_type__app_label="users"))
    roles.sync_roles()
    assert managers.permissions.filter(codename="view_user").exists()


# --- role changes ---------------------------------------------------------------------------------

def test_role_change_through_the_service_is_audited(administrator, cashier):
    services.user_set_role(actor=administrator, user=cashier, role="manager")
    cashier.refresh_from_db()
    assert cashier.role == "manager"
    event = AuditEvent.objects.get(action="user.role_change")
    assert event.actor == administrator
    assert event.details == {"old_role": "cashier", "new_role": "manager"}


def test_nobody_changes_their_own_role(administrator):
    with pytest.raises(ValidationError):
        services.user_set_role(actor=administrator, user=administrator, role="cashier")
    administrator.refresh_from_db()
    assert administrator.role == "admin"
    assert not AuditEvent.objects.exists()


def test_an_unknown_role_is_refused(administrator, cashier):
    with pytest.raises(ValidationError):
        services.user_set_role(actor=administrator, user=cashier, role="emperor")
