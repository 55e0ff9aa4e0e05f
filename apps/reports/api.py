"""`GET /api/accounts/{id}/statement/` of API.md.

Mounted next to the ledger's accounts router on the same prefix (ninja allows two routers on
one prefix): ROUTERS below, read by `app_routers()` in apps/api/api.py.
"""

from datetime import date
from typing import Literal

from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema

from apps.ledger.selectors import accounts_visible_to

from .http import file_response
from .services import statement_generate

router = Router(tags=["accounts"])
ROUTERS = [("/accounts/", router)]  # next to the ledger's accounts router


class StatementQuery(Schema):
    start: date
    end: date
    format: Literal["pdf", "csv"] = "pdf"


@router.get("/{int:account_id}/statement/", summary="Account statement (PDF or CSV)",
            response={200: None},
            openapi_extra={"responses": {200: {"description": "The statement file", "content": {
                "application/pdf": {"schema": {"type": "string", "format": "binary"}},
                "text/csv": {"schema": {"type": "string"}}}}}})
def account_statement(request, account_id: int, query: Query[StatementQuery]):
    """The statement for business dates `start`..`end` inclusive (YYYY-MM-DD), as a PDF (default) or
    CSV download. 404 for an account the caller may not see; 422 for a reversed period, one that ends
    in the future, or one longer than five years."""
    account = get_object_or_404(accounts_visible_to(request.user), pk=account_id)
    generated = statement_generate(actor=request.user, account=account, start=query.start, end=query.end,
                                   fmt=query.format, request=request)
    return file_response(generated)
