"""Endpoint-level access checks. They run before any object is looked up, so a caller who may not
use an endpoint at all gets 403 whatever the id, and one who may gets 404 for an id that is missing
or not theirs: the answer never tells which ids exist (API.md)."""

from django.core.exceptions import PermissionDenied


def require_role(request, *roles: str) -> None:
    if request.user.role not in roles:
        raise PermissionDenied("Your role may not do this.")


def require_perm(request, perm: str, message: str = "Your role may not do this.") -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied(message)
