"""The test suite: SQLite (or DATABASE_URL), synchronous jobs, fast hashing."""

import os

from .base import *  # noqa: F403
from .base import CACHES, CHANNEL_LAYERS, DATABASES, INSTALLED_APPS, Q_CLUSTER, REDIS_URL, SQLITE_ENGINE

DEBUG = False
INSTALLED_APPS = [*INSTALLED_APPS, "apps.demo"]  # the demo world is tested; production does not install it
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
if REDIS_URL:
    # One Redis database is shared by every pytest-xdist worker: give each its own key space,
    # so one worker's cache (throttle counters, health probe) and channel groups (`user-<id>`: the
    # workers' databases hand out the same ids) never leak into another's.
    _WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
    CACHES = {"default": {**CACHES["default"], "KEY_PREFIX": f"coastal-test-{_WORKER}"}}
    CHANNEL_LAYERS = {"default": {**CHANNEL_LAYERS["default"], "CONFIG": {
        **CHANNEL_LAYERS["default"]["CONFIG"], "prefix": f"coastal-test-{_WORKER}"}}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
Q_CLUSTER = {**Q_CLUSTER, "sync": True}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if DATABASES["default"]["ENGINE"] == SQLITE_ENGINE:
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}  # one in-memory database per test process
WHITENOISE_AUTOREFRESH = True
