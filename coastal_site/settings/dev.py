"""Embedded default for a developer's machine and the demo: SQLite, in-process layers."""

from .base import *  # noqa: F403
from .base import INSTALLED_APPS, env_bool

DEBUG = env_bool("DEBUG", False)  # the demo is used by people: never Django's debug pages
# The demo world and its `seed_demo` command: here and in the tests, never in production (its logins
# have a published password).
INSTALLED_APPS = [*INSTALLED_APPS, "apps.demo"]
