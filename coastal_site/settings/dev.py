"""Embedded default for a developer's machine and the demo: SQLite, in-process layers."""

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DEBUG", False)  # the demo is used by people: never Django's debug pages
