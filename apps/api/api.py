"""The NinjaAPI object: /api/, OpenAPI at /api/openapi.json, docs at /api/docs."""

from ninja import NinjaAPI

from . import errors
from .auth import API_AUTH
from .health import router as health_router
from .parser import CoastalParser

ERROR_RESPONSES = {
    "401": "Not signed in, or the token is missing, expired or revoked.",
    "403": "Signed in, but this role may not use this endpoint at all.",
    "404": "No such object, or not one the caller may see.",
    "409": "A business rule refused it (insufficient funds, a limit, a frozen account, a closed drawer...).",
    "422": "Invalid input: a field-level message says which field and why.",
    "429": "Too many requests: wait (see Retry-After) and try again.",
}
WRITE_RESPONSES = {"428": "Money-moving POSTs need an Idempotency-Key header."}
SPECIAL_RESPONSES = {"/api/users/auth/login/": {"423": "Locked after 5 failed sign-ins from this address."},
                     "/api/health/": {"503": "A dependency (database, cache, job queue) is down."}}


class CoastalNinjaAPI(NinjaAPI):
    """The API with its error answers documented on every operation (API.md's conventions), so a client
    and the schemathesis run in CI know every status code an endpoint can send."""

    def get_openapi_schema(self, *args, **kwargs):
        schema = super().get_openapi_schema(*args, **kwargs)
        schema["components"].setdefault("schemas", {})["Error"] = {
            "type": "object", "required": ["detail", "code"],
            "properties": {"detail": {"type": "string"}, "code": {"type": "string"},
                           "errors": {"type": "array", "items": {"type": "object"}}},
        }
        error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
                extra = {**ERROR_RESPONSES, **(WRITE_RESPONSES if method == "post" else {}),
                         **SPECIAL_RESPONSES.get(path, {})}
                for status, description in extra.items():
                    operation["responses"].setdefault(status, {"description": description, **error})
        return schema


api = CoastalNinjaAPI(
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
