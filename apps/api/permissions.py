from django.core.exceptions import PermissionDenied


def require_role(request, *roles: str) -> None:
    if request.user.role not in roles:
        raise PermissionDenied("Your role may not do this.")


def require_staff(request) -> None:
    if not request.user.is_staff:
        raise PermissionDenied("Only staff may do this.")
