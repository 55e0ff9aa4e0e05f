"""The site's URLs plus the statement pages, mounted the way the lead mounts them for real:

- the statement router on "/accounts/" of a NinjaAPI *next to* the ledger's accounts router
  (the test API is served at /api/ before the site's own, so /api/accounts/… comes from it and
  every other /api/ path falls through to the site's API);
- `statement_urls(site)` ahead of the admin site's own URLs (CoastalAdminSite.extra_urls);
- the portal page inside the "portal" namespace.
"""

from django.contrib import admin
from django.urls import include, path
from ninja import NinjaAPI

from apps.api.auth import API_AUTH
from apps.core.apikit import errors
from apps.ledger.api import accounts_router
from apps.portal import statements as portal_statements
from apps.portal import urls as portal_urls
from apps.reports.admin_views import statement_urls
from apps.reports.api import router as statements_router
from coastal_site import urls as site_urls

test_api = NinjaAPI(title="Coastal API (statement tests)", version="test", auth=API_AUTH,
                    urls_namespace="statement_test_api", docs_url=None, openapi_url="/openapi.json")
errors.install(test_api)
test_api.add_router("/accounts/", accounts_router)
test_api.add_router("/accounts/", statements_router)

admin_patterns, admin_app, admin_namespace = admin.site.urls
portal_patterns = [
    path("my/accounts/<int:pk>/statement/", portal_statements.account_statement, name="account_statement"),
    *portal_urls.urlpatterns,
]

urlpatterns = [
    path("admin/", ([*statement_urls(admin.site), *admin_patterns], admin_app, admin_namespace)),
    path("api/", test_api.urls),
    path("", include((portal_patterns, "portal"))),
    *site_urls.urlpatterns,
]
