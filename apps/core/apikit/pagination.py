from typing import Any

from ninja import Field, Schema
from ninja.pagination import PaginationBase

MAX_PAGE = 1_000_000


class PageNumber(PaginationBase):
    """`?page=N&page_size=M` (at most 200) → `{"items": [...], "count": N}` as API.md asks."""

    class Input(Schema):
        # The upper bound keeps the row offset inside what every database can take (a 64-bit page
        # number used to reach SQLite and PostgreSQL as an offset they refuse, answering 500).
        page: int = Field(1, ge=1, le=MAX_PAGE, description=f"From 1 to {MAX_PAGE:,}.")
        page_size: int = Field(50, ge=1, le=200, description="From 1 to 200.")

    class Output(Schema):
        items: list[Any]
        count: int

    items_attribute = "items"

    def paginate_queryset(self, queryset, pagination: Input, **params):
        start = (pagination.page - 1) * pagination.page_size
        count = queryset.count() if hasattr(queryset, "count") and not isinstance(queryset, list) else len(queryset)
        return {"items": list(queryset[start:start + pagination.page_size]), "count": count}
