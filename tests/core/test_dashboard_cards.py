"""The console's home page draws the cards the apps registered (apps/core/dashboard.py)."""

import pytest

from apps.core import dashboard

pytestmark = pytest.mark.django_db


def test_the_apps_register_the_cards_in_order():
    assert [card.name for card in sorted(dashboard.CARDS.values(), key=lambda c: c.position)] == [
        "role_panels", "security", "banking", "recent_audit"]


def test_a_registered_card_is_drawn_for_those_it_is_for(monkeypatch, cashier, customer, staff_client):
    monkeypatch.setattr(dashboard, "CARDS", dict(dashboard.CARDS))

    def loans_card(request):
        if request.user.role != "cashier":
            return None
        return {"recent_audit": []}  # the card's figures, here drawn with the audit card's template

    dashboard.register_card("loans", position=5, template="admin/dashboard/recent_audit.html", context=loans_card)
    page = staff_client(cashier).get("/admin/").content.decode()
    assert "Recent audit events" in page and "Nothing recorded yet." in page
    assert page.index("Recent audit events") < page.index('data-testid="dashboard-cashier"')  # position 5 < 10


def test_a_card_that_returns_none_is_not_drawn(monkeypatch, rf, cashier):
    monkeypatch.setattr(dashboard, "CARDS", {})
    dashboard.register_card("hidden", position=1, template="x.html", context=lambda request: None)
    dashboard.register_card("shown", position=2, template="y.html", context=lambda request: {"y_total": 3})
    request = rf.get("/admin/")
    request.user = cashier
    context = dashboard.dashboard_callback(request, {})
    assert context == {"y_total": 3, "dashboard_cards": ["y.html"]}
