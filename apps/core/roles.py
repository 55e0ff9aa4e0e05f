"""The role registry: each role is a Django group whose permissions are declared here.

`sync_roles()` makes the groups match this file exactly (it runs after every `migrate`),
so a fresh database has them and a change here is one `migrate` away from every install.
Later apps add their permissions to the lists below.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Role:
    code: str
    label: str
    group: str
    staff: bool
    otp_required: bool
    permissions: tuple[str, ...] = field(default_factory=tuple)


CUSTOMER = "customer"
CASHIER = "cashier"
MOBILE_BANKER = "mobile_banker"
MANAGER = "manager"
OPERATIONS_MANAGER = "operations_manager"
ADMIN = "admin"

ALL_PERMISSIONS = "*"

# Separation of duties: the second person of four eyes. Only a role that declares one here holds
# it (User.has_perm): the administrator (users, roles and settings) does not get these with
# ALL_PERMISSIONS, and no superuser flag, group change or personal grant in the console gives them.
DECISION_PERMISSIONS = frozenset({
    "ledger.approve_transaction",  # large movements and reversals: a manager
    "members.verify_kyc",  # KYC: an operations manager
    "cash.approve_drawer",  # cash variances, floats, advances, remittances: a manager
})

ROLES: dict[str, Role] = {
    CUSTOMER: Role(CUSTOMER, "Customer", "Customers", staff=False, otp_required=False),
    CASHIER: Role(
        CASHIER, "Cashier", "Cashiers", staff=True, otp_required=False,
        permissions=(
            "members.view_member", "members.add_member", "members.change_member",
            "members.view_memberdocument", "members.add_memberdocument",
            "ledger.view_account", "ledger.add_account", "ledger.view_transaction", "ledger.add_transaction",
            "ledger.view_product",
            "cash.view_cashdrawer", "cash.view_cashmovement", "cash.add_cashmovement", "cash.view_chequedeposit",
            "cash.add_chequedeposit", "cash.view_denomination",
        ),
    ),
    MOBILE_BANKER: Role(
        MOBILE_BANKER, "Mobile banker", "Mobile bankers", staff=True, otp_required=False,
        # Members: object permissions (guardian) on the members assigned to them, nothing global.
        permissions=(
            "members.add_member", "members.view_memberdocument", "members.add_memberdocument",
            "ledger.view_account", "ledger.add_account", "ledger.view_transaction",
            "ledger.add_transaction", "ledger.view_product", "cash.view_collectionrun",
        ),
    ),
    MANAGER: Role(
        MANAGER, "Manager", "Managers", staff=True, otp_required=True,
        permissions=(
            "users.view_user",
            "users.view_useractivity",
            "audit.view_auditevent",
            "axes.view_accessattempt",
            "axes.view_accessfailurelog",
            "members.view_member", "members.assign_member", "members.view_memberdocument",
            "ledger.view_account", "ledger.view_transaction", "ledger.add_transaction",
            "ledger.approve_transaction", "ledger.freeze_account", "ledger.view_journalentry",
            "ledger.view_posting", "ledger.view_glaccount", "ledger.view_product", "ledger.view_servicecharge",
            "ledger.view_ledgerpolicy", "core.view_businessday",
            "cash.view_cashdrawer", "cash.approve_drawer", "cash.view_cashmovement", "cash.view_floatissue",
            "cash.add_floatissue", "cash.view_chequedeposit", "cash.view_collectionrun", "cash.view_cashpolicy",
            "cash.view_denomination", "cash.view_largecashtransaction",
            "core.view_endofdayrun", "core.view_endofdaystep", "ledger.view_dividenddeclaration",
        ),
    ),
    OPERATIONS_MANAGER: Role(
        OPERATIONS_MANAGER, "Operations manager", "Operations managers", staff=True, otp_required=True,
        permissions=(
            "users.view_user",
            "audit.view_auditevent",
            "wagtailadmin.access_admin",
            "django_q.view_task",
            "django_q.view_schedule",
            "django_q.add_schedule",
            "django_q.change_schedule",
            "django_q.view_failure",
            "members.view_member", "members.add_member", "members.change_member", "members.verify_kyc",
            "members.assign_member", "members.view_memberdocument", "members.add_memberdocument",
            "ledger.view_account", "ledger.add_account", "ledger.freeze_account", "ledger.view_transaction",
            "ledger.view_journalentry", "ledger.view_posting", "ledger.view_glaccount", "ledger.add_glaccount",
            "ledger.change_glaccount", "ledger.view_product", "ledger.add_product", "ledger.change_product",
            "ledger.view_servicecharge", "ledger.add_servicecharge", "ledger.change_servicecharge",
            "ledger.view_ledgerpolicy", "ledger.change_ledgerpolicy",
            "core.view_businessday", "core.add_businessday", "core.change_businessday",
            "cash.view_cashdrawer", "cash.view_chequedeposit", "cash.clear_cheque", "cash.view_collectionrun",
            "cash.view_denomination", "cash.add_denomination", "cash.change_denomination", "cash.view_cashpolicy",
            "cash.change_cashpolicy", "cash.view_largecashtransaction",
            "ledger.declare_dividend", "ledger.view_dividenddeclaration", "ledger.add_dividenddeclaration",
            "ledger.view_scheduledfee", "ledger.add_scheduledfee", "ledger.change_scheduledfee",
            "core.view_endofdayrun", "core.view_endofdaystep",
        ),
    ),
    ADMIN: Role(ADMIN, "Administrator", "Administrators", staff=True, otp_required=True,
                permissions=(ALL_PERMISSIONS,)),
}

# Compliance CSV exports (members, accounts, transactions; every one audited) and bulk member import.
EXPORT_ROLES = (MANAGER, OPERATIONS_MANAGER, ADMIN)
IMPORT_ROLES = (OPERATIONS_MANAGER, ADMIN)

ROLE_CHOICES = [(role.code, role.label) for role in ROLES.values()]
STAFF_ROLES = tuple(code for code, role in ROLES.items() if role.staff)


def sync_roles(*, group_model=None, permission_model=None) -> None:
    """Create one group per role and give it exactly the declared permissions.

    Raises LookupError on a declared permission that does not exist, so a typo cannot
    silently leave a role without a right it needs.
    """
    if group_model is None:
        from django.contrib.auth.models import Group, Permission

        group_model, permission_model = Group, Permission
    for role in ROLES.values():
        group, _ = group_model.objects.get_or_create(name=role.group)
        if ALL_PERMISSIONS in role.permissions:
            perms = [perm for perm in permission_model.objects.select_related("content_type")
                     if f"{perm.content_type.app_label}.{perm.codename}" not in DECISION_PERMISSIONS]
        else:
            perms = []
            for dotted in role.permissions:
                app_label, codename = dotted.split(".", 1)
                found = permission_model.objects.filter(content_type__app_label=app_label, codename=codename)
                if not found.exists():
                    raise LookupError(f"Role {role.code!r} declares unknown permission {dotted!r}.")
                perms.extend(found)
        group.permissions.set(perms)
