"""The staff console's look and its sidebar: each role sees only what it may use."""

from django.urls import reverse_lazy


def perm(*codenames: str):
    """Sidebar rule: show the item if the user has any of these permissions."""
    return lambda request: any(request.user.has_perm(code) for code in codenames)


def role(*roles: str):
    return lambda request: getattr(request.user, "role", None) in roles


def _item(title, icon, link, permission=None):
    return {"title": title, "icon": icon, "link": link, "permission": permission}


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
        "navigation": [
            {
                "title": "Overview",
                "items": [
                    _item("Dashboard", "dashboard", reverse_lazy("admin:index")),
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
                    _item("All sessions", "devices", reverse_lazy("admin:qsessions_session_changelist"),
                          perm("qsessions.view_session")),
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
        ],
    },
}
