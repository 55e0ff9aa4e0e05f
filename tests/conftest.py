"""Shared fixtures: the test database, users per role with a known password, API sign-in, TOTP
codes, a clean cache."""

import itertools

import pytest
from django.core.cache import caches

from apps.users.models import User

from .database import test_databases
from .support import PASSWORD, add_totp_device, api_login, new_client, staff_client_for, totp_code

_emails = itertools.count(1)


@pytest.fixture(scope="session")
def django_db_setup(request, django_test_environment, django_db_blocker, django_db_use_migrations,
                    django_db_keepdb, django_db_createdb, django_db_modify_db_settings):
    """The migrated test database, built once per set of migrations and copied for each process
    (see tests/database.py) instead of migrated again by every pytest-xdist worker."""
    from pytest_django.fixtures import _get_databases_for_setup

    _, serialized_aliases = _get_databases_for_setup(request.session.items)
    with django_db_blocker.unblock(), test_databases(
            verbosity=request.config.option.verbose, serialized_aliases=serialized_aliases,
            use_migrations=django_db_use_migrations, keepdb=django_db_keepdb and not django_db_createdb,
            createdb=django_db_createdb):
        yield


def _clear_cache():
    # `cache` is a proxy: the backend's class is the one to ask (asking the proxy flushed the whole
    # shared Redis database, every worker's channel groups included, before and after each test).
    backend = caches["default"]
    prefix = backend.key_prefix
    if prefix and type(backend).__name__ == "RedisCache":
        # The Redis database is shared by every xdist worker: remove only this worker's keys
        # (its KEY_PREFIX); cache.clear() would flush the other workers' keys as well.
        client = backend._cache.get_client(write=True)
        keys = list(client.scan_iter(match=f"{prefix}:*"))
        if keys:
            client.delete(*keys)
    else:
        backend.clear()


@pytest.fixture(autouse=True)
def _clean_cache():
    """Throttle counters and anything else cached must not leak from one test into the next."""
    _clear_cache()
    yield
    _clear_cache()


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def make_user(db):
    """make_user(role="customer", *, email=None, password=PASSWORD, **fields) -> User"""

    def make(role="customer", *, email=None, password=PASSWORD, **fields):
        email = email or f"{role.replace('_', '-')}-{next(_emails)}@coastal.test"
        return User.objects.create_user(email, password, role=role, **fields)

    return make


@pytest.fixture
def customer(make_user):
    return make_user("customer")


@pytest.fixture
def cashier(make_user):
    return make_user("cashier")


@pytest.fixture
def mobile_banker(make_user):
    return make_user("mobile_banker")


@pytest.fixture
def manager(make_user):
    return make_user("manager")


@pytest.fixture
def operations_manager(make_user):
    return make_user("operations_manager")


@pytest.fixture
def administrator(make_user):
    return make_user("admin")


@pytest.fixture
def totp_device():
    """totp_device(user) -> a confirmed TOTPDevice"""
    return add_totp_device


@pytest.fixture
def code_for():
    """code_for(device) -> the 6-digit code the authenticator shows now"""
    return totp_code


@pytest.fixture
def client():
    """pytest-django's client, with a user agent so activity rows have one to record."""
    return new_client()


@pytest.fixture
def staff_client():
    """staff_client(user) -> a client signed in as the user (second factor verified if enrolled)"""
    return staff_client_for


@pytest.fixture
def api():
    """api(user_or_email, password=PASSWORD, otp=None) -> Bearer headers for a signed-in user."""

    def login(user, password=PASSWORD, *, otp=None):
        email = user if isinstance(user, str) else user.email
        response, tokens = api_login(email, password, otp=otp)
        assert response.status_code == 200, response.content
        return tokens["headers"]

    return login
