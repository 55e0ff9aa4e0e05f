"""The staff console's home page: a registry of dashboard cards that apps contribute.

An app registers a card from its AppConfig.ready() (core knows no app):

    from apps.core.dashboard import register_card

    register_card("security", position=20, template="admin/dashboard/security.html", context=security_card)

`context(request)` (a function or its dotted path, imported when the page is drawn, so registering
does not import the app's queries) returns the card's figures as a dict, or None when the viewer may not see the card
(then it is not drawn). The home page (templates/admin/index.html) draws the cards in position order,
each with its template; the figures are added to the page's context, so a card's keys should be its
own (prefix them, or put them under one key). unfold calls `dashboard_callback` (settings UNFOLD
"DASHBOARD_CALLBACK").
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Card:
    name: str
    position: int
    template: str
    context: Callable | str


CARDS: dict[str, Card] = {}


def register_card(name: str, *, position: int, template: str, context: Callable | str) -> Card:
    card = Card(name=name, position=position, template=template, context=context)
    CARDS[name] = card
    return card


def cards_for(request) -> list[tuple[Card, dict]]:
    """The cards this viewer may see, in position order, each with its figures."""
    shown = []
    for card in sorted(CARDS.values(), key=lambda c: (c.position, c.name)):
        func = import_string(card.context) if isinstance(card.context, str) else card.context
        figures = func(request)
        if figures is not None:
            shown.append((card, figures))
    return shown


def dashboard_callback(request, context):
    cards = cards_for(request)
    for _card, figures in cards:
        context.update(figures)
    context["dashboard_cards"] = [card.template for card, _figures in cards]
    return context


def environment_badge(request):
    if settings.DEBUG:
        return ["Demo (embedded)", "warning"]
    return ["Production", "danger"] if not settings.DATABASES["default"]["ENGINE"].endswith("sqlite3") else [
        "Embedded", "info"]
