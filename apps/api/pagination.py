from typing import Any

from ninja import Field, Schema
from ninja.pagination import PaginationBase


class PageNumber(PaginationBase):
    """`?page=N&page_size=M` (at most 200) → `{"items": [...], "count": N}` as API.md asks."""

    class Input(Schema):
        page: int = Field(1, ge=1)
        page_size: int = Field(50, ge=1, le=200)

    class Output(Schema):
        items: list[Any]
        count: int

    items_attribute = "items"

    def paginate_queryset(self, queryset, pagination: Input, **params):
        start = (pagination.page - 1) * pagination.page_size
        count = queryset.count() if hasattr(queryset, "count") and not isinstance(queryset, list) else len(queryset)
        return {"items": list(queryset[start:start + pagination.page_size]), "count": count}
