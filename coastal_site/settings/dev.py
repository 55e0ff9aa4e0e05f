"""Embedded default for a developer's machine and the demo: SQLite, in-process layers."""

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DEBUG", False)  # the demo is used by people: never Django's debug pages

# django-q2 logs as "django-q" (base.py's "django_q" entry does not match it): without this the job
# cluster prints a line per process at start and one per task.
LOGGING["loggers"]["django-q"] = {"level": "WARNING"}  # noqa: F405
