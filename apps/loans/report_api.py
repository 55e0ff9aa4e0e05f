"""GET /api/reports/portfolio-at-risk/ ("Loans" in API.md): mounted as ``("/reports/", reports_router)``."""

from datetime import date

from ninja import Field, Query, Router, Schema

from apps.core.apikit.errors import ApiError
from apps.core.apikit.permissions import require_role
from apps.core.business_day import reporting_date

from .reports import REPORT_ROLES, portfolio_report, report_json

reports_router = Router(tags=["reports"])


class BucketOut(Schema):
    name: str = Field(..., description="current, 1-30, 31-60, 61-90, 91-180 or over-180 (days in arrears)")
    loans: int
    outstanding_principal: str


class OfficerOut(Schema):
    officer: str | None = Field(..., description="The loan officer's name (their e-mail without one); "
                                                 "null for loans without an officer")
    loans: int
    outstanding_principal: str
    par: dict[str, str]


class ProductOut(Schema):
    product: str
    loans: int
    outstanding_principal: str
    par: dict[str, str]


class PortfolioAtRiskOut(Schema):
    date: date
    gross_portfolio: str
    par: dict[str, str] = Field(..., description='PARn for n in 1, 30, 60, 90: outstanding principal of loans more '
                                                 'than n days in arrears / gross portfolio ("0.0625" = 6.25 %)')
    buckets: list[BucketOut]
    by_officer: list[OfficerOut]
    by_product: list[ProductOut]


@reports_router.get("/portfolio-at-risk/", response=PortfolioAtRiskOut, summary="Portfolio at risk on a date")
def portfolio_at_risk_report(request, day: date | None = Query(  # noqa: B008 (ninja's parameter declaration)
        None, alias="date", description="YYYY-MM-DD; default the open business date; never after it")):
    """Managers and operations managers. The portfolio as it stood on the date (loans disbursed by then and
    not yet closed or written off; principal repaid by then; arrears aged to then)."""
    require_role(request, *REPORT_ROLES)
    today = reporting_date()
    on = day or today
    if on > today:
        message = f"The date {on:%Y-%m-%d} is after the business date {today:%Y-%m-%d}: no report for the future."
        raise ApiError(422, "invalid", f"date: {message}", errors=[{"field": "date", "message": message}])
    return report_json(portfolio_report(on))
