"""The console's loan reports: portfolio at risk (with its CSV) and the loan officer's portfolio.

Mounted by LoansConfig's `_admin_urls` (`report_urls`):

* "admin:loans_par_report" (/admin/loans/portfolio-at-risk/?date=) for managers and operations managers;
  "admin:loans_par_report_csv" the same figures as CSV through django-import-export, audited as
  ``export.portfolio_at_risk``.
* "admin:loans_officer_portfolio" (/admin/loans/my-portfolio/?officer=): a mobile banker's own loans,
  today's arrears to chase first; managers and operations managers pick the officer. Laid out for a
  phone first (one column at 360 px, tap-to-call numbers).
"""

import json
from decimal import Decimal

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.views.decorators.http import require_GET
from import_export.formats.base_formats import CSV
from unfold.widgets import UnfoldAdminSelectWidget

from apps.audit.services import record
from apps.core.business_day import reporting_date
from apps.core.money import in_currency
from apps.core.roles import Role

from .arrears import PAR_DAYS
from .forms import AdminDateInput
from .reports import (
    PORTFOLIO_ROLES,
    REPORT_ROLES,
    loans_for_officer_page,
    officer_choices,
    officer_portfolio,
    portfolio_report,
    report_json,
)
from .resources import PortfolioAtRiskResource

BAR_COLOUR = "var(--color-primary-600)"
PAR_COLOURS = {1: "var(--color-primary-300, #93c5fd)", 30: "var(--color-primary-500, #3b82f6)",
               60: "var(--color-orange-500, #f97316)", 90: "var(--color-red-500, #ef4444)"}


class ReportDateForm(forms.Form):
    date = forms.DateField(label="Report date", required=False, widget=AdminDateInput, input_formats=["%Y-%m-%d"])

    def __init__(self, *args, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["date"].widget.attrs["max"] = f"{today:%Y-%m-%d}"

    def clean_date(self):
        day = self.cleaned_data["date"] or self.today
        if day > self.today:
            raise forms.ValidationError(f"Pick a date on or before the business date, {self.today:%d %b %Y}.")
        return day


def _check(request, roles):
    if getattr(request.user, "role", None) not in roles:
        raise PermissionDenied


def _report_date(request):
    """(form, date, status): the date asked for in ?date=, else the business date; a bad or future date
    shows the business date's report with the form's error (422)."""
    today = reporting_date()
    if not request.GET.get("date"):
        return ReportDateForm(initial={"date": today}, today=today), today, 200
    form = ReportDateForm(request.GET, today=today)
    if form.is_valid():
        return form, form.cleaned_data["date"], 200
    return form, today, 422


def _percent(ratio: str) -> str:
    """"0.0625" -> "6.25" (a percentage to show; the ratio itself stays exact)."""
    return str((Decimal(ratio) * 100).quantize(Decimal("0.01")))


def _group_rows(rows: list[dict], key: str) -> list[dict]:
    return [{"name": row[key] or "No officer", "loans": row["loans"],
             "outstanding_principal": row["outstanding_principal"],
             "pars": [_percent(row["par"][str(n)]) for n in PAR_DAYS]} for row in rows]


def _charts(report: dict) -> tuple[str, str]:
    buckets = json.dumps({
        "labels": [row["name"] for row in report["buckets"]],
        "datasets": [{"label": in_currency("Outstanding principal"), "backgroundColor": BAR_COLOUR,
                      "data": [str(row["outstanding_principal"]) for row in report["buckets"]]}]})
    officers = report["by_officer"]
    by_officer = json.dumps({
        "labels": [row["officer"] or "No officer" for row in officers],
        "datasets": [{"label": f"PAR{n} (%)", "backgroundColor": PAR_COLOURS[n],
                      "data": [_percent(row["par"][str(n)]) for row in officers]} for n in PAR_DAYS]})
    return buckets, by_officer


@require_GET
def par_report_view(request):
    _check(request, REPORT_ROLES)
    form, on, status = _report_date(request)
    report = portfolio_report(on)
    bucket_chart, officer_chart = _charts(report)
    context = {
        **admin.site.each_context(request),
        "title": "Portfolio at risk",
        "form": form,
        "report": report_json(report),
        "par_cards": [(n, f"PAR{n}", report["par"][str(n)], _percent(report["par"][str(n)])) for n in PAR_DAYS],
        "by_officer": _group_rows(report["by_officer"], "officer"),
        "by_product": _group_rows(report["by_product"], "product"),
        "loans_count": sum(row["loans"] for row in report["buckets"]),
        "bucket_chart": bucket_chart,
        "officer_chart": officer_chart,
        "csv_url": f"{reverse('admin:loans_par_report_csv')}?date={on:%Y-%m-%d}",
    }
    return render(request, "loans/par_report.html", context, status=status)


@require_GET
def par_report_csv(request):
    """The report as CSV (PortfolioAtRiskResource), audited like every export."""
    _check(request, REPORT_ROLES)
    form, on, status = _report_date(request)
    if status != 200:
        return HttpResponse(form.errors["date"][0], status=422, content_type="text/plain; charset=utf-8")
    resource = PortfolioAtRiskResource()
    dataset = resource.export(PortfolioAtRiskResource.rows_of(portfolio_report(on)))
    file_format = CSV()
    body = file_format.export_data(dataset)
    record(request.user, "export.portfolio_at_risk", None, request=request, rows=len(dataset),
           format=file_format.get_title(), date=f"{on:%Y-%m-%d}")
    response = HttpResponse(body, content_type=file_format.get_content_type())
    response["Content-Disposition"] = f'attachment; filename="portfolio-at-risk-{on:%Y-%m-%d}.csv"'
    return response


class OfficerForm(forms.Form):
    officer = forms.ModelChoiceField(queryset=None, label="Loan officer", required=False,
                                     widget=UnfoldAdminSelectWidget, empty_label="Choose an officer")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["officer"].queryset = officer_choices()


@require_GET
def officer_portfolio_view(request):
    _check(request, PORTFOLIO_ROLES)
    user = request.user
    form, officer = None, None
    if user.role == Role.MOBILE_BANKER:
        officer = user
    else:
        form = OfficerForm(request.GET or None)
        if form.is_bound and form.is_valid():
            officer = form.cleaned_data["officer"]
    on = reporting_date()
    book = officer_portfolio(loans_for_officer_page(user, officer), on) if officer is not None else None
    context = {
        **admin.site.each_context(request),
        "title": "My loan portfolio" if officer == user else "Loan officer's portfolio",
        "form": form,
        "officer": officer,
        "book": book,
    }
    status = 422 if form is not None and form.is_bound and not form.is_valid() else 200
    return render(request, "loans/officer_portfolio.html", context, status=status)


def report_urls(site) -> list:
    """The report pages' URL patterns (added by LoansConfig's `_admin_urls`)."""
    return [
        path("loans/portfolio-at-risk/", site.admin_view(par_report_view), name="loans_par_report"),
        path("loans/portfolio-at-risk/csv/", site.admin_view(par_report_csv), name="loans_par_report_csv"),
        path("loans/my-portfolio/", site.admin_view(officer_portfolio_view), name="loans_officer_portfolio"),
    ]
