"""The staff console's look. The sidebar is drawn per request from what the apps registered
(apps/core/sidebar.py, filled from each app's AppConfig.ready()): each role sees only what it may use."""

from django.templatetags.static import static
from django.urls import reverse_lazy

UNFOLD = {
    # The institution's name and logo from its Wagtail setting (apps/core/institution.py).
    "SITE_TITLE": "apps.core.institution.console_title",
    "SITE_HEADER": "apps.core.institution.console_header",
    "SITE_ICON": "apps.core.institution.console_icon",
    "SITE_SUBHEADER": "Credit union core banking",
    "SITE_SYMBOL": "account_balance",
    "SITE_URL": "/",
    "SHOW_HISTORY": True,
    "SHOW_VIEW_ON_SITE": False,
    "ENVIRONMENT": "apps.core.dashboard.environment_badge",
    "DASHBOARD_CALLBACK": "apps.core.dashboard.dashboard_callback",
    "LOGIN": {"redirect_after": lambda request: reverse_lazy("admin:index")},
    # Live events (apps/messaging/static/messaging/live.js): "live:<type>" DOM events on <body>.
    "SCRIPTS": [lambda request: static("messaging/live.js")],
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
        "show_all_applications": "apps.core.sidebar.show_all_applications",
        "navigation": "apps.core.sidebar.navigation",
    },
}
