"""The staff dashboard shows real figures, and the sidebar shows each role only what it may use."""

import re

import pytest

from ..support import api_login

pytestmark = pytest.mark.django_db


def card_value(html: str, title: str) -> str:
    """The big figure on the dashboard card with this title."""
    match = re.search(rf">\s*{re.escape(title)}\s*</h2>.*?text-2xl[^>]*>\s*([^<]*?)\s*<", html, re.S)
    assert match, f"no card titled {title!r}"
    return match.group(1)


def test_the_dashboard_counts_users_sign_ins_failures_and_locks(manager, cashier, make_user, totp_device,
                                                                 staff_client):
    make_user("customer")
    locked = make_user("customer")
    for _ in range(5):
        api_login(locked.email, "wrong-password")
    api_login(cashier.email, "wrong-password")
    api_login(cashier.email)
    totp_device(manager)

    html = staff_client(manager).get("/admin/").content.decode()

    assert card_value(html, "Users") == "4"
    assert card_value(html, "Failed sign-ins today") == "6"
    assert card_value(html, "Locked accounts") == "1"
    # The cashier's API sign-in, and the manager's own (the test client's) one.
    assert card_value(html, "Sign-ins today") == "2"


def test_the_sidebar_shows_user_administration_to_managers_only(manager, cashier, totp_device, staff_client):
    totp_device(manager)
    manager_page = staff_client(manager).get("/admin/").content.decode()
    cashier_page = staff_client(cashier).get("/admin/").content.decode()

    assert 'href="/admin/users/user/"' in manager_page
    assert 'href="/admin/audit/auditevent/"' in manager_page
    assert 'href="/admin/users/user/"' not in cashier_page
    assert 'href="/admin/audit/auditevent/"' not in cashier_page
    assert 'href="/admin/my-sessions/"' in cashier_page


def test_recent_audit_events_are_shown_to_those_who_may_see_them(manager, administrator, cashier, totp_device,
                                                                staff_client):
    from apps.users.services import user_unlock

    user_unlock(actor=administrator, user=cashier)
    totp_device(manager)
    manager_page = staff_client(manager).get("/admin/").content.decode()
    cashier_page = staff_client(cashier).get("/admin/").content.decode()

    assert "Recent audit events" in manager_page and "user.unlock" in manager_page
    assert "Recent audit events" not in cashier_page
