"""Branded 403/404/500 pages: the console's look under /admin/, the portal's elsewhere, with DEBUG off,
and never a trace of internals."""

import pytest
from django.test import override_settings

from tests.support import add_totp_device, new_client, staff_client_for

pytestmark = pytest.mark.django_db

SECRET = "KeyError: 'internal_ledger_state' at apps/ledger/posting.py line 123"


@override_settings(DEBUG=False)
def test_a_missing_console_page_is_a_branded_404_in_the_console_look(cashier):
    response = staff_client_for(cashier).get("/admin/ledger/account/999999/change/")
    assert response.status_code == 404
    page = response.content.decode()
    assert 'data-look="console"' in page and "We could not find that page" in page
    assert "Back to the console home" in page and 'href="/admin/"' in page
    assert "Traceback" not in page and "Page not found at" not in page and "URLconf" not in page


@override_settings(DEBUG=False)
def test_a_missing_portal_page_is_a_branded_404_in_the_portal_look():
    response = new_client().get("/no-such-page-here/")
    assert response.status_code == 404
    page = response.content.decode()
    assert 'data-look="portal"' in page and "We could not find that page" in page
    assert "portal/portal.css" in page and "Back to the home page" in page


@override_settings(DEBUG=False)
def test_a_page_a_role_may_not_open_is_a_branded_403(cashier):
    response = staff_client_for(cashier).get("/admin/business-day/")
    assert response.status_code == 403
    page = response.content.decode()
    assert 'data-look="console"' in page and "You may not open this page" in page
    assert "Only operations managers" not in page  # the exception's own text stays inside


@override_settings(DEBUG=False)
def test_a_crash_is_a_branded_500_that_shows_nothing_internal(manager, customer, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError(SECRET)

    monkeypatch.setattr("apps.core.dashboard.dashboard_callback", boom)
    add_totp_device(manager)
    console = staff_client_for(manager, raise_request_exception=False)
    response = console.get("/admin/")
    assert response.status_code == 500
    page = response.content.decode()
    assert 'data-look="console"' in page and "Something went wrong on our side" in page
    assert "internal_ledger_state" not in page and "RuntimeError" not in page and "Traceback" not in page

    monkeypatch.setattr("apps.portal.views.render", boom)
    portal = staff_client_for(customer, raise_request_exception=False)
    response = portal.get("/my/")
    assert response.status_code == 500
    page = response.content.decode()
    assert 'data-look="portal"' in page and "Something went wrong on our side" in page
    assert "internal_ledger_state" not in page


@override_settings(DEBUG=False)
def test_an_unknown_api_address_answers_json_not_a_page():
    response = new_client().get("/api/no-such-endpoint/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
