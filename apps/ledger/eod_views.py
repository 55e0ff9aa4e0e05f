"""Staff console pages for operations managers: the business day, its end-of-day runs, dividends."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from unfold.widgets import UnfoldAdminDateWidget, UnfoldAdminDecimalFieldWidget

from apps.core import eod
from apps.core.closing import checklist
from apps.core.job_views import progress_context
from apps.core.models import BusinessDay, CloseOverride, EndOfDayRun

from . import business_days, dividends
from .errors import LedgerError
from .models import DividendDeclaration


def _ops_only(request, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied("Only operations managers may use this page.")


def _report(request, func, success: str, **kwargs):
    try:
        result = func(actor=request.user, request=request, **kwargs)
    except (LedgerError, ValidationError, PermissionDenied) as exc:
        text = getattr(exc, "message", None) or " ".join(getattr(exc, "messages", [str(exc)]))
        messages.error(request, text)
        return None
    messages.success(request, success)
    return result


def business_day_view(request):
    """Open or close the business date; watch and resume end-of-day runs."""
    _ops_only(request, "core.view_businessday")
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "open":
            _report(request, business_days.business_day_open, "The business day is open.")
        elif action == "close":
            _report(request, business_days.business_day_close,
                    "End of day started. This page shows each step as it runs.")
        elif action == "override":
            _report(request, business_days.close_item_override,
                    "Override recorded with your reason; the item no longer stops the close.",
                    item_key=request.POST.get("item", ""), reason=request.POST.get("reason", ""))
        elif action == "resume":
            run = get_object_or_404(EndOfDayRun.objects.select_related("job"), pk=request.POST.get("run"))
            if request.user.has_perm("core.change_businessday"):
                eod.release_stale(run)  # a run whose worker died is failed first, so it can be resumed
            _report(request, business_days.end_of_day_resume, "End of day resumed.", run=run)
        return redirect("admin:business_day")
    runs = EndOfDayRun.objects.select_related("started_by", "job").prefetch_related("steps")[:10]
    for position, run in enumerate(runs):
        if run.job_id is None and run.status == EndOfDayRun.Status.RUNNING:
            run.job = eod.run_job(run)  # queued, waiting for a worker: the bar shows it and starts polling
        # The progress bar (polled every 2 s while the run goes): the newest run, and any still running.
        run.progress = (progress_context(run.job, reload_when_over=True)
                        if run.job and (position == 0 or run.status == "running") else None)
        run.stale = bool(run.progress) and run.status == "running" and run.progress["status"] == "failed"
    labels = {step.name: step.label for step in eod.ordered_steps()}
    current = business_days.open_business_day()
    overrides = {}
    for override in CloseOverride.objects.filter(business_date__in=[run.business_date for run in runs]).select_related(
            "overridden_by"):
        overrides.setdefault(override.business_date, []).append(override)
    checks = checklist(current.date) if current and current.status == BusinessDay.Status.OPEN else []
    context = {
        **admin.site.each_context(request), "title": "Business day",
        "current": current,
        "last_closed": BusinessDay.objects.filter(status=BusinessDay.Status.CLOSED).order_by("-date").first(),
        "runs": [(run, [(labels.get(s.name, s.name.replace("_", " ").capitalize()), s, eod.describe_result(s.result))
                        for s in run.steps.all()], overrides.get(run.business_date, [])) for run in runs],
        "checks": checks,
        "items_open": sum(len(result.open_items) for result in checks),
        "can_change": request.user.has_perm("core.change_businessday"),
    }
    return render(request, "ledger/business_day.html", context)


class DividendForm(forms.Form):
    period_start = forms.DateField(widget=UnfoldAdminDateWidget)
    period_end = forms.DateField(widget=UnfoldAdminDateWidget)
    rate = forms.DecimalField(label="Rate (% a year)", max_digits=7, decimal_places=4,
                              widget=UnfoldAdminDecimalFieldWidget)


def dividends_view(request):
    """Declare a dividend: preview every member's share before posting it."""
    _ops_only(request, "ledger.view_dividenddeclaration")
    form = DividendForm(request.POST or None)
    if request.method == "POST" and request.POST.get("action") == "post":
        declaration = get_object_or_404(DividendDeclaration, pk=request.POST.get("declaration"))
        _report(request, dividends.dividend_post, "Posting queued: members are credited by a background job.",
                declaration=declaration)
        return redirect("admin:dividends")
    if request.method == "POST" and form.is_valid():
        declaration = _report(request, dividends.dividend_preview, "Preview ready: check it, then post.",
                              **form.cleaned_data)
        if declaration is not None:
            return redirect(f"{request.path}?preview={declaration.pk}")
    preview = None
    if request.GET.get("preview"):
        preview = get_object_or_404(DividendDeclaration, pk=request.GET["preview"])
    context = {**admin.site.each_context(request), "title": "Dividends", "form": form, "preview": preview,
               "lines": preview.lines.select_related("shares_account__member", "paid_to")[:500] if preview else [],
               "declarations": DividendDeclaration.objects.all()[:12]}
    return render(request, "ledger/dividends.html", context)
