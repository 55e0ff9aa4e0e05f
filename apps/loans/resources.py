"""CSV exports of loans (django-import-export, export only): the console's loans list and the
portfolio-at-risk report. Both are audited as ``export.<thing>`` like every other export
(`apps.audit.exports.AuditedExportMixin` on the admin; `report_views.par_report_csv` for the report)."""

from import_export import fields, resources

from apps.core.business_day import reporting_date

from .arrears import PAR_DAYS, delinquency_bucket
from .models import Loan
from .reports import officer_label, portfolio_positions


def _money(value) -> str:
    return "" if value is None else f"{value:.2f}"


class LoanResource(resources.ModelResource):
    """Loans with their position on the reporting date (the open business date): outstanding principal,
    days in arrears and bucket as `reports.portfolio_positions` works them out, set-based for the whole
    export. A loan not in the portfolio on that date (not yet disbursed, closed, written off) has no
    outstanding principal, no days in arrears and no bucket."""

    member_number = fields.Field(attribute="member__member_number", column_name="member_number", readonly=True)
    member = fields.Field(column_name="member", readonly=True)
    product = fields.Field(attribute="product__name", column_name="product", readonly=True)
    principal = fields.Field(column_name="principal", readonly=True)
    outstanding_principal = fields.Field(column_name="outstanding_principal", readonly=True)
    days_in_arrears = fields.Field(column_name="days_in_arrears", readonly=True)
    bucket = fields.Field(column_name="bucket", readonly=True)
    officer = fields.Field(column_name="officer", readonly=True)

    class Meta:
        model = Loan
        name = "Loans with arrears"
        fields = ("number", "member_number", "member", "product", "status", "principal", "disbursed_on",
                  "outstanding_principal", "days_in_arrears", "bucket", "officer")
        export_order = fields

    def __init__(self, *args, on=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.on = on
        self._positions = {}

    def filter_export(self, queryset, **kwargs):
        self.on = self.on or reporting_date()
        self._positions = {p.loan_id: p for p in portfolio_positions(self.on, queryset)}
        return queryset.select_related("member", "product", "officer")

    def dehydrate_member(self, loan):
        return loan.member.full_name

    def dehydrate_principal(self, loan):
        return _money(loan.principal)

    def dehydrate_outstanding_principal(self, loan):
        position = self._positions.get(loan.pk)
        return _money(position.outstanding_principal) if position else ""

    def dehydrate_days_in_arrears(self, loan):
        position = self._positions.get(loan.pk)
        return position.days_in_arrears if position else ""

    def dehydrate_bucket(self, loan):
        position = self._positions.get(loan.pk)
        return delinquency_bucket(position.days_in_arrears) if position else ""

    def dehydrate_officer(self, loan):
        officer = loan.officer
        return officer_label(officer.first_name, officer.last_name, officer.email) if officer else ""


class PortfolioAtRiskResource(resources.Resource):
    """The portfolio-at-risk report as one table: a ``portfolio`` row (the totals), then one row per
    bucket, per officer and per product. Rows are dicts (`rows_of`); PAR ratios are 0 to 1."""

    section = fields.Field(attribute="section", column_name="section")
    name = fields.Field(attribute="name", column_name="name")
    loans = fields.Field(attribute="loans", column_name="loans")
    outstanding_principal = fields.Field(attribute="outstanding_principal", column_name="outstanding_principal")
    par1 = fields.Field(attribute="par1", column_name="par1")
    par30 = fields.Field(attribute="par30", column_name="par30")
    par60 = fields.Field(attribute="par60", column_name="par60")
    par90 = fields.Field(attribute="par90", column_name="par90")

    class Meta:
        name = "Portfolio at risk"
        export_order = ("section", "name", "loans", "outstanding_principal", "par1", "par30", "par60", "par90")

    @staticmethod
    def rows_of(report: dict) -> list[dict]:
        def row(section, name, loans, principal, par=None):
            return {"section": section, "name": name if name is not None else "(no officer)", "loans": loans,
                    "outstanding_principal": _money(principal),
                    **{f"par{n}": (par or {}).get(str(n), "") for n in PAR_DAYS}}

        total_loans = sum(bucket["loans"] for bucket in report["buckets"])
        rows = [row("portfolio", f"{report['date']:%Y-%m-%d}", total_loans, report["gross_portfolio"], report["par"])]
        rows += [row("bucket", b["name"], b["loans"], b["outstanding_principal"]) for b in report["buckets"]]
        rows += [row("officer", o["officer"], o["loans"], o["outstanding_principal"], o["par"])
                 for o in report["by_officer"]]
        rows += [row("product", p["product"], p["loans"], p["outstanding_principal"], p["par"])
                 for p in report["by_product"]]
        return rows
