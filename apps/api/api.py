"""The NinjaAPI object: /api/, OpenAPI at /api/openapi.json, docs at /api/docs."""

from ninja import NinjaAPI

from . import errors
from .auth import API_AUTH
from .health import router as health_router
from .parser import CoastalParser

api = NinjaAPI(
    title="Coastal API",
    version="1.0",
    description="Core banking for credit unions: accounts, transactions, cash, loans, fraud. See API.md.",
    auth=API_AUTH,
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    parser=CoastalParser(),
)
errors.install(api)


def _mount() -> None:
    from apps.audit.api import router as audit_router
    from apps.cash.api import advances_router, cheques_router, drawers_router, field_router
    from apps.ledger.api import accounts_router, transactions_router
    from apps.reports.api import router as statements_router
    from apps.users.api import router as users_router

    api.add_router("/", health_router)
    api.add_router("/users/", users_router)
    api.add_router("/accounts/", accounts_router)
    api.add_router("/accounts/", statements_router)
    api.add_router("/transactions/", transactions_router)
    api.add_router("/cash-drawers/", drawers_router)
    api.add_router("/cash-advances/", advances_router)
    api.add_router("/cheque-deposits/", cheques_router)
    api.add_router("/field-collections/", field_router)
    api.add_router("/audit/", audit_router)


_mount()
