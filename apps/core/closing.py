"""The business-day closing checklist: a registry of checks that apps contribute, and its reading.

Apps register a check in AppConfig.ready() with `register_check(name, position, func, label)`;
`func(business_date)` returns the things still open that day as `ChecklistItem`s, each with a
stable key (the same thing gives the same key on every reading), words for a person and a link
to the page where it is resolved. `core` knows no app: it only asks the registered checks.

An operations manager resolves an item where it lives (it then disappears from the check), or
overrides it with a written reason (kept in `CloseOverride` and audited by the caller). The day
closes only when every item is resolved or overridden.
"""

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    text: str
    link: str = ""


@dataclass(frozen=True)
class Check:
    name: str
    position: int
    func: Callable
    label: str


@dataclass
class CheckResult:
    check: Check
    items: list = field(default_factory=list)  # [(ChecklistItem, CloseOverride | None)]

    @property
    def open_items(self) -> list:
        return [item for item, override in self.items if override is None]

    @property
    def done(self) -> bool:
        return not self.open_items


CHECKS: dict[str, Check] = {}


def register_check(name: str, position: int, func: Callable, label: str) -> None:
    CHECKS[name] = Check(name=name, position=position, func=func, label=label)


def ordered_checks() -> list[Check]:
    return sorted(CHECKS.values(), key=lambda check: check.position)


def checklist(business_date) -> list[CheckResult]:
    """Every registered check for the date, each item paired with its override (None while open)."""
    from .models import CloseOverride

    overrides = {o.item_key: o for o in CloseOverride.objects.filter(business_date=business_date)
                 .select_related("overridden_by")}
    return [CheckResult(check=check, items=[(item, overrides.get(item.key)) for item in check.func(business_date)])
            for check in ordered_checks()]


def open_items(business_date) -> list[ChecklistItem]:
    """What still stops the day from closing."""
    return [item for result in checklist(business_date) for item in result.open_items]
