"""The staff console's sidebar: a registry of groups and items that apps contribute.

Each app registers its entries from AppConfig.ready() (core knows no app):

    from apps.core import sidebar

    sidebar.register_group("cash", "Cash", position=30, collapsible=True)
    sidebar.register_item("cash", "Cheques", "receipt", url="admin:cash_chequedeposit_changelist",
                          position=20, permission=sidebar.has_perm("cash.view_chequedeposit"),
                          badge="apps.cash.admin_views.held_cheques_badge")

Several apps may register the same group (same key, same title and position); its items are drawn
in position order. unfold reads the sidebar per request from `navigation` (settings UNFOLD["SIDEBAR"]),
and each role sees only the items whose `permission(request)` is true (the pages check again).

- `url` is a URL name, reversed when the sidebar is drawn; an item whose page is not mounted is
  left out rather than breaking every console page. `link` is a fixed address instead ("/cms/").
- `badge` is a function of the request, or its dotted path, returning a count (or words); nothing
  (0, None, "") leaves the badge off.
- `active` is a function of the request that says whether the item is lit (unfold's default lights
  every item whose link the address starts with); see `path_is`.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.urls import NoReverseMatch, reverse
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Group:
    key: str
    title: str
    position: int
    collapsible: bool = False


@dataclass(frozen=True)
class Item:
    group: str
    title: str
    icon: str
    position: int
    url: str = ""
    link: str = ""
    query: str = ""
    permission: Callable | None = None
    badge: Callable | str | None = None
    badge_variant: str = ""
    active: Callable | None = None
    extra: dict = field(default_factory=dict)


GROUPS: dict[str, Group] = {}
ITEMS: list[Item] = []


def register_group(key: str, title: str, *, position: int, collapsible: bool = False) -> Group:
    group = Group(key=key, title=title, position=position, collapsible=collapsible)
    if key in GROUPS and GROUPS[key] != group:
        raise ValueError(f"Sidebar group {key!r} is already registered as {GROUPS[key]}, not {group}.")
    GROUPS[key] = group
    return group


def register_item(group: str, title: str, icon: str, *, position: int, url: str = "", link: str = "",
                  query: str = "", permission: Callable | None = None, badge: Callable | str | None = None,
                  badge_variant: str = "", active: Callable | None = None, **extra) -> Item:
    """Add an item to a registered group. Registering the same title in the same group twice replaces it.
    `query` ("kyc_status__exact=pending") is added to the reversed `url`: a filtered list as its own item."""
    if group not in GROUPS:
        raise LookupError(f"Register the sidebar group {group!r} before its items.")
    if bool(url) == bool(link):
        raise ValueError("A sidebar item needs either a URL name (url=) or a fixed address (link=).")
    item = Item(group=group, title=title, icon=icon, position=position, url=url, link=link, query=query,
                permission=permission,
                badge=badge, badge_variant=badge_variant, active=active, extra=extra)
    ITEMS[:] = [other for other in ITEMS if (other.group, other.title) != (group, title)] + [item]
    return item


# --- rules for items ---------------------------------------------------------------------------------

def has_perm(*codenames: str) -> Callable:
    """Show the item if the user has any of these permissions."""
    return lambda request: any(request.user.has_perm(code) for code in codenames)


def has_role(*roles: str) -> Callable:
    """Show the item to these roles only."""
    return lambda request: getattr(request.user, "role", None) in roles


def path_is(name: str, *, prefix: bool = False, except_under: tuple[str, ...] = ()) -> Callable:
    """Light an item on exactly its page (or, with prefix, below it too, except under the paths that
    contain one of `except_under`), not on every page whose URL happens to start with its link."""
    def active(request):
        url = reverse(name)
        if prefix:
            return request.path.startswith(url) and not any(part in request.path for part in except_under)
        return request.path == url
    return active


def show_all_applications(request) -> bool:
    """unfold's "all applications" list: administrators only."""
    from .roles import Role

    return getattr(request.user, "role", None) == Role.ADMIN


# --- drawing ----------------------------------------------------------------------------------------

def badge_of(item: Item, request):
    """The item's badge for this request (its callback's value), or None when there is nothing to count."""
    if item.badge is None or not request.user.is_authenticated:
        return None
    func = import_string(item.badge) if isinstance(item.badge, str) else item.badge
    return func(request) or None


def link_of(item: Item) -> str | None:
    """The item's address, or None when its page is not mounted."""
    if not item.url:
        return item.link
    try:
        return reverse(item.url) + (f"?{item.query}" if item.query else "")
    except NoReverseMatch:
        return None


def _entry(item: Item, request) -> dict | None:
    link = link_of(item)
    if link is None:
        return None
    entry = {"title": item.title, "icon": item.icon, "link": link, "permission": item.permission, **item.extra}
    if item.active is not None:
        entry["active"] = item.active
    # Work the badge out now and leave it off when there is nothing to count: given a callback's dotted
    # path, unfold draws the badge whatever it returns, so "nothing waiting" came out as a red "NONE".
    badge = badge_of(item, request) if item.permission is None or item.permission(request) else None
    if badge:
        entry["badge"] = badge
        if item.badge_variant:
            entry["badge_variant"] = item.badge_variant
    return entry


def navigation(request) -> list[dict]:
    """The sidebar for this request, in unfold's format: the registered groups in position order, each
    with its items in position order (groups without items are left out)."""
    groups = []
    for group in sorted(GROUPS.values(), key=lambda g: (g.position, g.key)):
        items = sorted((item for item in ITEMS if item.group == group.key), key=lambda i: (i.position, i.title))
        if not items:
            continue
        entry = {"title": group.title, "items": [e for e in (_entry(item, request) for item in items) if e]}
        if group.collapsible:
            entry["collapsible"] = True
        groups.append(entry)
    return groups
