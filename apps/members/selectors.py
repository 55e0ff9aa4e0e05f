from guardian.shortcuts import get_objects_for_user

from apps.core.roles import Role

from .models import Member


def members_visible_to(user):
    """Members this user may see: a customer their own, a mobile banker those assigned to them,
    other staff every member."""
    if not user.is_authenticated:
        return Member.objects.none()
    if user.role == Role.CUSTOMER:
        return Member.objects.filter(user=user)
    if user.role == Role.MOBILE_BANKER:
        return get_objects_for_user(user, "members.view_member", klass=Member, accept_global_perms=False)
    if user.is_staff:
        return Member.objects.all()
    return Member.objects.none()


def can_collect_from(user, member: Member) -> bool:
    return user.role == Role.MOBILE_BANKER and user.has_perm("members.collect_member", member)
