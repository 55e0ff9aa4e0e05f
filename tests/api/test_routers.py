"""apps/api mounts each installed app's routers by discovery: it lists no app."""

import types

import pytest
from django.core.exceptions import ImproperlyConfigured

from apps.api import api as api_module
from apps.api.api import app_routers

from ..support import new_client


def test_each_app_api_module_brings_its_routers_under_their_prefixes(db):
    mounted = [(prefix, router.tags) for prefix, router in app_routers()]
    assert mounted == [  # INSTALLED_APPS order
        ("/jobs/", ["jobs"]),  # core's background job progress
        ("/users/", ["auth"]),
        ("/audit/", ["audit"]),
        ("/threads/", ["messaging"]),
        ("/notifications/", ["notifications"]),
        ("/accounts/", ["accounts"]),
        ("/transactions/", ["transactions"]),
        ("/cash-drawers/", ["cash drawers"]),
        ("/cash-advances/", ["cash advances"]),
        ("/cheque-deposits/", ["cheque deposits"]),
        ("/field-collections/", ["field collections"]),
        ("/loan-products/", ["loan products"]),
        ("/loans/", ["loans"]),
        ("/reports/", ["reports"]),  # loans' portfolio-at-risk report
        ("/service-requests/", ["service requests"]),
        ("/accounts/", ["accounts"]),  # reports' statements, next to the ledger's accounts
    ]
    paths = new_client().get("/api/openapi.json").json()["paths"]
    for prefix, _ in mounted:
        assert any(path.startswith(f"/api{prefix}") for path in paths), prefix


def test_an_api_module_without_routers_is_refused(monkeypatch):
    monkeypatch.setattr(api_module, "module_has_submodule", lambda package, name: True)
    monkeypatch.setattr(api_module, "import_module", lambda name: types.SimpleNamespace(__name__=name))
    with pytest.raises(ImproperlyConfigured, match=r"apps\.core\.api must declare ROUTERS"):
        list(app_routers())
