"""The groups the role registry builds hold exactly the permissions they held when one central
dict listed them (apps/core/roles.py before the apps registered their own): a snapshot."""

import pytest
from django.contrib.auth.models import Group, Permission

pytestmark = pytest.mark.django_db

SNAPSHOT = {
    "customer": set(),
    "cashier": {
        "cash.add_cashmovement", "cash.add_chequedeposit", "cash.view_cashdrawer", "cash.view_cashmovement",
        "cash.view_chequedeposit", "cash.view_denomination", "ledger.add_account", "ledger.add_transaction",
        "ledger.view_account", "ledger.view_product", "ledger.view_transaction", "members.add_member",
        "members.add_memberdocument", "members.change_member", "members.view_member", "members.view_memberdocument",
    },
    "mobile_banker": {
        "cash.view_collectionrun", "ledger.add_account", "ledger.add_transaction", "ledger.view_account",
        "ledger.view_product", "ledger.view_transaction", "members.add_member", "members.add_memberdocument",
        "members.view_memberdocument",
    },
    "manager": {
        "audit.view_auditevent", "axes.view_accessattempt", "axes.view_accessfailurelog", "cash.add_floatissue",
        "cash.approve_drawer", "cash.view_cashdrawer", "cash.view_cashmovement", "cash.view_cashpolicy",
        "cash.view_chequedeposit", "cash.view_collectionrun", "cash.view_denomination", "cash.view_floatissue",
        "cash.view_largecashtransaction", "core.view_businessday", "core.view_endofdayrun", "core.view_endofdaystep",
        "ledger.add_transaction", "ledger.approve_transaction", "ledger.freeze_account", "ledger.view_account",
        "ledger.view_dividenddeclaration", "ledger.view_glaccount", "ledger.view_journalentry",
        "ledger.view_ledgerpolicy", "ledger.view_posting", "ledger.view_product", "ledger.view_servicecharge",
        "ledger.view_transaction", "members.assign_member", "members.view_member", "members.view_memberdocument",
        "users.view_user", "users.view_useractivity",
    },
    "operations_manager": {
        "audit.view_auditevent", "cash.add_denomination", "cash.change_cashpolicy", "cash.change_denomination",
        "cash.clear_cheque", "cash.view_cashdrawer", "cash.view_cashpolicy", "cash.view_chequedeposit",
        "cash.view_collectionrun", "cash.view_denomination", "cash.view_largecashtransaction",
        "core.add_businessday", "core.change_businessday", "core.view_businessday", "core.view_endofdayrun",
        "core.view_endofdaystep", "django_q.add_schedule", "django_q.change_schedule", "django_q.view_failure",
        "django_q.view_schedule", "django_q.view_task", "ledger.add_account", "ledger.add_dividenddeclaration",
        "ledger.add_glaccount", "ledger.add_product", "ledger.add_scheduledfee", "ledger.add_servicecharge",
        "ledger.change_glaccount", "ledger.change_ledgerpolicy", "ledger.change_product",
        "ledger.change_scheduledfee", "ledger.change_servicecharge", "ledger.declare_dividend",
        "ledger.freeze_account", "ledger.view_account", "ledger.view_dividenddeclaration", "ledger.view_glaccount",
        "ledger.view_journalentry", "ledger.view_ledgerpolicy", "ledger.view_posting", "ledger.view_product",
        "ledger.view_scheduledfee", "ledger.view_servicecharge", "ledger.view_transaction", "members.add_member",
        "members.add_memberdocument", "members.assign_member", "members.change_member", "members.verify_kyc",
        "members.view_member", "members.view_memberdocument", "users.view_user", "wagtailadmin.access_admin",
    },
}
# The loans app's, registered since (issue 14): staff read the loan products, operations managers keep them.
for _role in ("cashier", "mobile_banker", "manager"):
    SNAPSHOT[_role] |= {"loans.view_loanproduct", "loans.view_loanproductfee"}
SNAPSHOT["operations_manager"] |= {"loans.view_loanproduct", "loans.view_loanproductfee", "loans.add_loanproduct",
                                   "loans.change_loanproduct", "loans.add_loanproductfee",
                                   "loans.change_loanproductfee", "loans.delete_loanproductfee"}
# The working calendar (issue 14: due dates move off holidays): operations keeps it, managers see it.
SNAPSHOT["manager"] |= {"core.view_holiday", "core.view_nonworkingweekday"}
SNAPSHOT["operations_manager"] |= {"core.view_holiday", "core.view_nonworkingweekday", "core.add_holiday",
                                   "core.change_holiday", "core.delete_holiday", "core.add_nonworkingweekday",
                                   "core.delete_nonworkingweekday"}
LOAN_VIEW = {"loans.view_loan", "loans.view_loanguarantee", "loans.view_loandocument"}
for _role in ("cashier", "mobile_banker", "manager", "operations_manager"):
    SNAPSHOT[_role] |= LOAN_VIEW
for _role in ("cashier", "mobile_banker"):
    SNAPSHOT[_role] |= {"loans.add_loan", "loans.add_loandocument"}
SNAPSHOT["manager"] |= {"loans.approve_loan"}
SNAPSHOT["operations_manager"] |= {"loans.view_loanspolicy", "loans.change_loanspolicy"}
# The website in Wagtail (issue 16): content editors draft pages, notices, images and documents and submit
# them; managers and operations managers also publish, unlock and delete notices. (Page and collection
# permissions and the approval workflow are Wagtail's own rows: tests/users/test_content_editor.py.)
CMS_EDITING = {"wagtailadmin.access_admin", "portal.add_portalnotice", "portal.change_portalnotice",
               "portal.lock_portalnotice", "wagtailimages.add_image", "wagtailimages.change_image",
               "wagtailimages.choose_image", "wagtaildocs.add_document", "wagtaildocs.change_document",
               "wagtaildocs.choose_document"}
SNAPSHOT["content_editor"] = set(CMS_EDITING)
for _role in ("manager", "operations_manager"):
    SNAPSHOT[_role] |= CMS_EDITING | {"portal.publish_portalnotice", "portal.unlock_portalnotice",
                                      "portal.delete_portalnotice"}
# The service desk's (issue 16): its queue for cashiers, managers and operations managers; operations keeps
# the service levels; a manager is the second person who approves a refund.
for _role in ("cashier", "manager", "operations_manager"):
    SNAPSHOT[_role] |= {"servicedesk.view_servicerequest", "servicedesk.change_servicerequest"}
SNAPSHOT["operations_manager"] |= {"servicedesk.view_servicelevel", "servicedesk.change_servicelevel"}
SNAPSHOT["manager"] |= {"servicedesk.approve_refund"}
# Held only by a role that declares them (User.has_perm), never through "every permission".
DECISIONS = {"cash.approve_drawer", "ledger.approve_transaction", "members.verify_kyc", "loans.approve_loan",
             "servicedesk.approve_refund"}
GROUPS = {"customer": "Customers", "cashier": "Cashiers", "mobile_banker": "Mobile bankers", "manager": "Managers",
          "operations_manager": "Operations managers", "admin": "Administrators", "content_editor": "Content editors"}


def _held(group_name: str) -> set[str]:
    return {f"{app}.{code}" for app, code in Group.objects.get(name=group_name).permissions
            .values_list("content_type__app_label", "codename")}


@pytest.mark.parametrize("code", list(SNAPSHOT))
def test_each_role_group_holds_exactly_the_snapshot(code):
    assert _held(GROUPS[code]) == SNAPSHOT[code]


def test_the_administrators_hold_every_permission_but_the_decisions():
    every = {f"{app}.{code}" for app, code in Permission.objects.values_list("content_type__app_label", "codename")}
    assert DECISIONS <= every
    assert _held(GROUPS["admin"]) == every - DECISIONS


def test_the_registry_itself_matches_the_snapshot():
    from apps.core.roles import ALL_PERMISSIONS, DECISION_PERMISSIONS, Role

    assert {role.value: set(role.permissions) for role in Role if role != Role.ADMIN} == SNAPSHOT
    assert Role.ADMIN.permissions == {ALL_PERMISSIONS}
    assert DECISION_PERMISSIONS == DECISIONS
    assert {role.value: role.group for role in Role} == GROUPS


def test_each_roles_facts():
    from apps.core.roles import STAFF_ROLES, Role

    assert [(role.value, role.label) for role in Role] == [
        ("customer", "Customer"), ("cashier", "Cashier"), ("mobile_banker", "Mobile banker"),
        ("manager", "Manager"), ("operations_manager", "Operations manager"), ("admin", "Administrator"),
        ("content_editor", "Content editor")]
    assert STAFF_ROLES == (Role.CASHIER, Role.MOBILE_BANKER, Role.MANAGER, Role.OPERATIONS_MANAGER, Role.ADMIN)
    assert {role for role in Role if role.otp_required} == {Role.MANAGER, Role.OPERATIONS_MANAGER, Role.ADMIN,
                                                            Role.CONTENT_EDITOR}
