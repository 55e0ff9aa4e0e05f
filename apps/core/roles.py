"""The roles, and the registry of what each role may do.

`core` knows the roles themselves (`Role`, with each role's label, group, whether it is staff and
whether it needs a second factor) but no app's permissions. Each app grants its own from its
`AppConfig.ready()`, the way models are registered with Django's admin:

    from apps.core.roles import Role, grant, grant_decision

    grant(Role.CASHIER, "ledger.view_account", "ledger.add_transaction")
    grant_decision(Role.MANAGER, "ledger.approve_transaction")

A permission of a third-party app is granted by the app that needs it to be seen or used (users
grants django-axes' sign-in failures, ledger grants django-q's job pages for its end-of-day
schedules, portal grants Wagtail's editor).

`sync_roles()` makes one group per role hold exactly what was granted (it runs after every
`migrate`, connected in `CoreConfig.ready`), so a fresh database has the groups and a change is one
`migrate` away from every install. A granted permission that does not exist raises LookupError, so
a typo cannot silently leave a role without a right it needs.
"""

from dataclasses import dataclass

from django.db import models


class Role(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    CASHIER = "cashier", "Cashier"
    MOBILE_BANKER = "mobile_banker", "Mobile banker"
    MANAGER = "manager", "Manager"
    OPERATIONS_MANAGER = "operations_manager", "Operations manager"
    ADMIN = "admin", "Administrator"
    CONTENT_EDITOR = "content_editor", "Content editor"

    @property
    def group(self) -> str:
        """The name of the Django group that holds the role's permissions."""
        return FACTS[self].group

    @property
    def staff(self) -> bool:
        """Whether the role signs in to the staff console."""
        return FACTS[self].staff

    @property
    def otp_required(self) -> bool:
        """Whether the role must use a second factor (console, API and portal sign-in)."""
        return FACTS[self].otp_required

    @property
    def permissions(self) -> frozenset[str]:
        """What the apps granted this role ("app_label.codename"; ALL_PERMISSIONS for every one)."""
        return frozenset(GRANTS[self])


@dataclass(frozen=True)
class RoleFacts:
    group: str
    staff: bool
    otp_required: bool


FACTS: dict[str, RoleFacts] = {
    Role.CUSTOMER: RoleFacts("Customers", staff=False, otp_required=False),
    Role.CASHIER: RoleFacts("Cashiers", staff=True, otp_required=False),
    Role.MOBILE_BANKER: RoleFacts("Mobile bankers", staff=True, otp_required=False),
    Role.MANAGER: RoleFacts("Managers", staff=True, otp_required=True),
    Role.OPERATIONS_MANAGER: RoleFacts("Operations managers", staff=True, otp_required=True),
    Role.ADMIN: RoleFacts("Administrators", staff=True, otp_required=True),
    # Edits the public website in Wagtail (/cms/) and nothing else. Not staff: `is_staff` opens the
    # console and every member's data and money, and none of that is theirs (they sign in through
    # the staff sign-in all the same, apps/users). A second factor: what they publish every member reads.
    Role.CONTENT_EDITOR: RoleFacts("Content editors", staff=False, otp_required=True),
}

STAFF_ROLES = tuple(role for role in Role if role.staff)
# Look a role up by its code: ROLES["cashier"] is Role.CASHIER (as is Role("cashier")).
ROLES: dict[str, Role] = {role.value: role for role in Role}

ALL_PERMISSIONS = "*"

# role -> the permissions the apps granted it. Filled by the apps' AppConfig.ready().
GRANTS: dict[str, set[str]] = {role: set() for role in Role}

# Separation of duties: the second person of four eyes. Only a role granted one with
# `grant_decision` holds it (User.has_perm): the administrator (users, roles and settings) does not
# get these with ALL_PERMISSIONS, and no superuser flag, group change or personal grant in the
# console gives them. Filled by the apps' AppConfig.ready().
DECISION_PERMISSIONS: set[str] = set()


def grant(role: str, *permissions: str) -> None:
    """Give `role` these permissions ("app_label.codename", or ALL_PERMISSIONS)."""
    role = Role(role)
    for dotted in permissions:
        if dotted != ALL_PERMISSIONS and "." not in dotted:
            raise ValueError(f"Grant a permission as 'app_label.codename', not {dotted!r}.")
    GRANTS[role].update(permissions)


def grant_decision(role: str, permission: str) -> None:
    """Make `permission` a decision of four eyes, held only by the roles granted it this way."""
    DECISION_PERMISSIONS.add(permission)
    grant(role, permission)


def sync_roles(*, group_model=None, permission_model=None) -> None:
    """Create one group per role and give it exactly the granted permissions.

    Raises LookupError on a granted permission that does not exist.
    """
    if group_model is None:
        from django.contrib.auth.models import Group, Permission

        group_model, permission_model = Group, Permission
    for role in Role:
        group, _ = group_model.objects.get_or_create(name=role.group)
        granted = GRANTS[role]
        if ALL_PERMISSIONS in granted:
            perms = [perm for perm in permission_model.objects.select_related("content_type")
                     if f"{perm.content_type.app_label}.{perm.codename}" not in DECISION_PERMISSIONS]
        else:
            perms = []
            for dotted in sorted(granted):
                app_label, codename = dotted.split(".", 1)
                found = permission_model.objects.filter(content_type__app_label=app_label, codename=codename)
                if not found.exists():
                    raise LookupError(f"Role {role.value!r} is granted unknown permission {dotted!r}.")
                perms.extend(found)
        group.permissions.set(perms)
