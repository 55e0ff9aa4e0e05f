"""The staff console's look and its sidebar: each role sees only what it may use."""

from django.urls import NoReverseMatch, reverse, reverse_lazy


def perm(*codenames: str):
    """Sidebar rule: show the item if the user has any of these permissions."""
    return lambda request: any(request.user.has_perm(code) for code in codenames)


def role(*roles: str):
    return lambda request: getattr(request.user, "role", None) in roles


def teller_page(kind: str):
    """Sidebar rule: show a teller page to the roles its view admits (read when the sidebar is drawn:
    settings load before the apps)."""
    def allowed(request):
        from apps.ledger.admin_views import TELLER_VIEWS

        return getattr(request.user, "role", None) in TELLER_VIEWS[kind].roles
    return allowed


def _item(title, icon, link, permission=None, **extra):
    return {"title": title, "icon": icon, "link": link, "permission": permission, **extra}


def _path_is(name: str, *, prefix: bool = False):
    """Mark a sidebar item active on exactly its page (or below it), not on every page whose URL
    happens to contain its link (unfold's default), so Transactions is not lit on the teller pages."""
    def active(request):
        url = str(reverse_lazy(name))
        return request.path.startswith(url) and not _under_custom_pages(request.path) if prefix else (
            request.path == url)
    return active


def _under_custom_pages(path: str) -> bool:
    return "/ledger/transaction/teller/" in path or "/ledger/transaction/approvals/" in path


def _page(title, icon, url_name, permission=None, **extra):
    """An item for a page another app mounts (cash desk, business day, ...): left out, rather than
    breaking every admin page, while that app's URL is not there."""
    try:
        return [_item(title, icon, reverse(url_name), permission, **extra)]
    except NoReverseMatch:
        return []


def _pending_approvals_badge(request):
    from apps.ledger.admin_views import pending_approvals_badge

    return pending_approvals_badge(request)


def failed_end_of_day_badge(request):
    """A stopped end-of-day run waits for someone to resume it."""
    from apps.core.eod import failed_runs_count

    return failed_runs_count() or None


def _resolve_badges(groups: list, request) -> list:
    """Work out each item's badge now and leave it off when there is nothing to count: given a
    callback's dotted path, unfold draws the badge whatever it returns, so "nothing waiting" came out
    as a red "NONE"."""
    from django.utils.module_loading import import_string

    for group in groups:
        for item in group.get("items", []):
            badge = item.get("badge")
            if isinstance(badge, str) and "." in badge:
                value = import_string(badge)(request) if request.user.is_authenticated else None
                if value:
                    item["badge"] = value
                else:
                    item.pop("badge")
                    item.pop("badge_variant", None)
    return groups


def navigation(request):
    """The sidebar, per request: each role sees what it may use (the pages check again)."""
    return _resolve_badges(_navigation(request), request)


def _navigation(request):
    badge = _pending_approvals_badge(request) if request.user.is_authenticated else None
    approvals = _item("Approvals", "fact_check", reverse_lazy("admin:ledger_approvals"),
                      perm("ledger.approve_transaction"))
    if badge:
        approvals.update(badge=badge, badge_variant="danger")
    return [
        {
            "title": "Overview",
            "items": [
                _item("Dashboard", "dashboard", reverse_lazy("admin:index")),
            ],
        },
        {
            "title": "Members",
            "collapsible": True,
            "items": [
                _item("Members", "groups", reverse_lazy("admin:members_member_changelist"),
                      lambda request: request.user.has_perm("members.view_member")
                      or getattr(request.user, "role", None) == "mobile_banker"),
                _item("Register a member", "person_add", reverse_lazy("admin:members_member_add"),
                      lambda request: request.user.has_perm("members.add_member")
                      and getattr(request.user, "role", None) != "mobile_banker"),
            ],
        },
        {
            "title": "Banking",
            "collapsible": True,
            "items": [
                _item("Deposit", "savings", reverse_lazy("admin:ledger_teller_deposit"), role("cashier")),
                _item("Withdrawal", "payments", reverse_lazy("admin:ledger_teller_withdrawal"),
                      teller_page("withdrawal")),
                _item("Transfer", "swap_horiz", reverse_lazy("admin:ledger_teller_transfer"), teller_page("transfer")),
                _item("Payment", "outbound", reverse_lazy("admin:ledger_teller_payment"), teller_page("payment")),
                _item("Fee", "price_change", reverse_lazy("admin:ledger_teller_fee"), teller_page("fee")),
                _item("Shares pay-out (member exit)", "logout", reverse_lazy("admin:ledger_teller_shares_exit"),
                      teller_page("shares_exit")),
                _item("Field deposit", "directions_walk", reverse_lazy("admin:ledger_teller_deposit"),
                      role("mobile_banker")),
                _item("Accounts", "account_balance_wallet", reverse_lazy("admin:ledger_account_changelist"),
                      perm("ledger.view_account")),
                _item("Transactions", "receipt_long", reverse_lazy("admin:ledger_transaction_changelist"),
                      perm("ledger.view_transaction"),
                      active=_path_is("admin:ledger_transaction_changelist", prefix=True)),
                _item("Journal", "menu_book", reverse_lazy("admin:ledger_journalentry_changelist"),
                      perm("ledger.view_journalentry")),
                approvals,
            ],
        },
        {
            "title": "Cash",
            "collapsible": True,
            "items": [
                *_page("My drawer", "point_of_sale", "admin:cash_my_drawer", role("cashier")),
                *_page("Deposit a cheque", "money", "admin:cash_chequedeposit_add", role("cashier")),
                *_page("Branch cash position", "account_balance", "admin:cash_position", role("manager")),
                *_page("Drawer sign-offs", "approval", "admin:cash_drawer_signoffs", role("manager"),
                       badge="apps.cash.admin_views.signoffs_badge"),
                _item("Cash advances", "currency_exchange", reverse_lazy("admin:cash_cashmovement_changelist"),
                      perm("cash.view_cashmovement")),
                _item("Cheques", "receipt", reverse_lazy("admin:cash_chequedeposit_changelist"),
                      perm("cash.view_chequedeposit"), badge="apps.cash.admin_views.held_cheques_badge"),
                _item("Cash drawers", "inventory_2", reverse_lazy("admin:cash_cashdrawer_changelist"),
                      perm("cash.view_cashdrawer"), active=_path_is("admin:cash_cashdrawer_changelist")),
                _item("Floats", "outbox", reverse_lazy("admin:cash_floatissue_changelist"),
                      perm("cash.view_floatissue")),
                _item("Collection runs", "route", reverse_lazy("admin:cash_collectionrun_changelist"),
                      perm("cash.view_collectionrun"), active=_path_is("admin:cash_collectionrun_changelist")),
                _item("Large cash", "flag", reverse_lazy("admin:cash_largecashtransaction_changelist"),
                      perm("cash.view_largecashtransaction")),
                _item("Denominations", "payments", reverse_lazy("admin:cash_denomination_changelist"),
                      perm("cash.change_denomination")),
                _item("Cash policy", "rule", reverse_lazy("admin:cash_cashpolicy_changelist"),
                      perm("cash.change_cashpolicy")),
            ],
        },
        {
            "title": "Field",
            "collapsible": True,
            "items": [
                *_page("Collection sheet", "checklist", "admin:cash_field_sheet", role("mobile_banker")),
                *_page("Remit to cashier", "send_money", "admin:cash_field_remit", role("mobile_banker")),
                *_page("Register a member", "person_add", "admin:cash_field_register", role("mobile_banker")),
            ],
        },
        {
            "title": "Ledger setup",
            "collapsible": True,
            "items": [
                _item("Products", "category", reverse_lazy("admin:ledger_product_changelist"),
                      perm("ledger.change_product")),
                _item("Service charges", "request_quote", reverse_lazy("admin:ledger_servicecharge_changelist"),
                      perm("ledger.change_servicecharge")),
                _item("Chart of accounts", "account_tree", reverse_lazy("admin:ledger_glaccount_changelist"),
                      perm("ledger.change_glaccount")),
                _item("Ledger policy", "policy", reverse_lazy("admin:ledger_ledgerpolicy_changelist"),
                      perm("ledger.change_ledgerpolicy")),
                *_page("Business day", "event_available", "admin:business_day", perm("core.change_businessday"),
                       badge="coastal_site.settings.unfold.failed_end_of_day_badge", badge_variant="danger"),
                *_page("Dividends", "volunteer_activism", "admin:dividends", perm("ledger.add_dividenddeclaration")),
            ],
        },
        {
            "title": "People",
            "collapsible": True,
            "items": [
                _item("Users", "group", reverse_lazy("admin:users_user_changelist"), perm("users.view_user")),
                _item("Sign-in activity", "login", reverse_lazy("admin:users_useractivity_changelist"),
                      perm("users.view_useractivity")),
                _item("Roles", "badge", reverse_lazy("admin:auth_group_changelist"), perm("auth.view_group")),
            ],
        },
        {
            "title": "Security",
            "collapsible": True,
            "items": [
                _item("Audit log", "policy", reverse_lazy("admin:audit_auditevent_changelist"),
                      perm("audit.view_auditevent")),
                _item("Failed sign-ins", "gpp_bad", reverse_lazy("admin:axes_accessattempt_changelist"),
                      perm("axes.view_accessattempt")),
                _item("All sessions", "devices", reverse_lazy("admin:my_sessions"), role("admin")),
                _item("Authenticator devices", "phonelink_lock",
                      reverse_lazy("admin:otp_totp_totpdevice_changelist"), perm("otp_totp.view_totpdevice")),
            ],
        },
        {
            "title": "Operations",
            "collapsible": True,
            "items": [
                _item("Scheduled jobs", "schedule", reverse_lazy("admin:django_q_schedule_changelist"),
                      perm("django_q.view_schedule")),
                _item("Finished jobs", "task_alt", reverse_lazy("admin:django_q_success_changelist"),
                      perm("django_q.view_success")),
                _item("Failed jobs", "error", reverse_lazy("admin:django_q_failure_changelist"),
                      perm("django_q.view_failure")),
                _item("Website content", "web", "/cms/", perm("wagtailadmin.access_admin")),
            ],
        },
        {
            "title": "My account",
            "items": [
                _item("My sessions", "devices_other", reverse_lazy("admin:my_sessions")),
                _item("Backup codes", "key", reverse_lazy("admin:otp_backup_codes")),
                _item("Change password", "password", reverse_lazy("admin:password_change")),
            ],
        },
    ]


UNFOLD = {
    "SITE_TITLE": "Coastal",
    "SITE_HEADER": "Coastal back office",
    "SITE_SUBHEADER": "Credit union core banking",
    "SITE_SYMBOL": "account_balance",
    "SITE_URL": "/",
    "SHOW_HISTORY": True,
    "SHOW_VIEW_ON_SITE": False,
    "ENVIRONMENT": "apps.reports.dashboard.environment_badge",
    "DASHBOARD_CALLBACK": "apps.reports.dashboard.dashboard_callback",
    "LOGIN": {"redirect_after": lambda request: reverse_lazy("admin:index")},
    "BORDER_RADIUS": "6px",
    "COLORS": {
        "primary": {
            "50": "oklch(97.8% .016 200)",
            "100": "oklch(95.1% .04 200)",
            "200": "oklch(90.4% .07 200)",
            "300": "oklch(84.5% .1 200)",
            "400": "oklch(75% .12 205)",
            "500": "oklch(64% .12 210)",
            "600": "oklch(55% .11 215)",
            "700": "oklch(47% .095 218)",
            "800": "oklch(40% .08 220)",
            "900": "oklch(35% .065 222)",
            "950": "oklch(26% .05 225)",
        },
    },
    "SIDEBAR": {
        "show_search": True,
        "show_all_applications": role("admin"),
        "navigation": navigation,
    },
}
