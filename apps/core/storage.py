"""Private files: loan documents, message and service-request attachments, job results.

They live under settings.PRIVATE_MEDIA_ROOT when set, else var/private beside MEDIA_ROOT: never under
MEDIA_ROOT, so no public media URL serves one. The storage has no URL at all; each kind of file is read
only through its own permission-checked download view."""

import os
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage


def private_root() -> Path:
    root = getattr(settings, "PRIVATE_MEDIA_ROOT", None)
    return Path(root) if root else Path(settings.MEDIA_ROOT).parent / "private"


class PrivateStorage(FileSystemStorage):
    """Files under `private_root()`, read when used (so a settings override applies), with no URL."""

    def __init__(self):
        super().__init__(base_url=None)

    @property
    def base_location(self):
        return str(private_root())

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("Private files have no public URL; use their permission-checked download.")


def private_storage():
    """The FileField `storage=` callable (a callable, so migrations do not freeze a path)."""
    return PrivateStorage()
