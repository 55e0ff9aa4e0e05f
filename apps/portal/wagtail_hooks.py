"""Wagtail admin (/cms/) registrations: the portal notices snippet."""

from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .models import PortalNotice


class PortalNoticeViewSet(SnippetViewSet):
    model = PortalNotice
    icon = "warning"
    menu_label = "Portal notices"
    add_to_admin_menu = True
    menu_order = 250
    list_display = ["title", "audience", "show_from", "show_until", "live"]
    list_filter = ["audience", "live"]
    search_fields = ["title", "body"]


register_snippet(PortalNoticeViewSet)
