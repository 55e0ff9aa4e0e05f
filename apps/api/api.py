"""The NinjaAPI object: /api/, OpenAPI at /api/openapi.json, docs at /api/docs."""

from importlib import import_module

from django.apps import apps as django_apps
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import module_has_submodule
from ninja import NinjaAPI

from apps.core.apikit import errors
from apps.core.apikit.parser import CoastalParser

from .auth import API_AUTH
from .health import router as health_router

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


def app_routers():
    """(prefix, router) pairs of every installed Coastal app, in INSTALLED_APPS order.

    An app serves endpoints by having an `api` module that declares `ROUTERS`, a list of
    `(prefix, Router)`: `ROUTERS = [("/users/", router)]`. Two apps may share a prefix (ledger's
    accounts and reports' statements are both under "/accounts/"). This module lists no app, so
    adding one with an `api.py` needs no edit here."""
    for config in django_apps.get_app_configs():
        if not config.name.startswith("apps.") or config.name == __package__:
            continue
        if not module_has_submodule(config.module, "api"):
            continue
        module = import_module(f"{config.name}.api")
        routers = getattr(module, "ROUTERS", None)
        if routers is None:
            raise ImproperlyConfigured(f"{module.__name__} must declare ROUTERS, a list of (prefix, Router).")
        yield from routers


def _mount() -> None:
    api.add_router("/", health_router)
    for prefix, router in app_routers():
        api.add_router(prefix, router)


_mount()
