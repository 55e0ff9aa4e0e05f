"""The staff console's statement page: pick a period and a format; the statement is made by a
background job (a busy account over five years takes a while), whose progress bar the page shows,
with a "Download" link when it is done.

ReportsConfig.ready registers `statement_urls` with core.admin_site.register_admin_urls; the page is then
"admin:account_statement" at /admin/statements/<account_id>/. Access is the ledger's rule
(accounts_visible_to): staff see every account, a mobile banker only their assigned members'. The
page lists the statements of this account the signed-in person asked for (newest first); each file
is theirs alone (and administrators'), downloaded through the checked `admin:job_result`.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods

from apps.core.job_views import progress_context
from apps.core.models import JobRun
from apps.ledger.selectors import accounts_visible_to

from .forms import AdminStatementForm
from .services import STATEMENT_KIND, statement_queue

RECENT = 5  # statements of the account listed on the page


def _queued(request, account, form):
    """The job a bound form asks for, queued; None when the form (or the service, whose errors are
    added to it) refuses the period."""
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        return statement_queue(actor=request.user, account=account, start=data["start"], end=data["end"],
                               fmt=data["format"], request=request)
    except ValidationError as exc:
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
        return None
    except PermissionDenied:
        form.add_error(None, "You may not see this account.")
        return None


@require_http_methods(["GET", "POST"])
def statement_admin_view(request, account_id: int):
    account = get_object_or_404(accounts_visible_to(request.user), pk=account_id)
    status = 200
    if request.method == "POST":
        form = AdminStatementForm(request.POST)
        job = _queued(request, account, form)
        if job is not None:
            messages.success(request, "Statement requested: it is being prepared below; download it when it is ready.")
            return redirect("admin:account_statement", account.pk)
        status = 422
        messages.error(request, "The statement was not produced: correct the period below.")
    else:
        form = AdminStatementForm(initial=AdminStatementForm.initial_period())
    recent = JobRun.objects.filter(kind=STATEMENT_KIND, started_by=request.user,
                                   params__account_id=account.pk).order_by("-created_at", "-pk")[:RECENT]
    context = {
        **admin.site.each_context(request),
        "title": f"Statement for {account.account_number}",
        "account": account,
        "form": form,
        "account_url": reverse("admin:ledger_account_change", args=[account.pk]),
        "statements": [progress_context(job, user=request.user) for job in recent],
    }
    return render(request, "reports/admin_statement.html", context, status=status)


def statement_urls(site=None) -> list:
    """URL patterns for the console (registered with register_admin_urls in ReportsConfig.ready)."""
    site = site or admin.site
    return [
        path("statements/<int:account_id>/", site.admin_view(statement_admin_view), name="account_statement"),
    ]
