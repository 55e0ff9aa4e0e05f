"""The staff console's statement page: pick a period and a format, download the file.

ReportsConfig.ready registers `statement_urls` with core.admin_site.register_admin_urls; the page is then
"admin:account_statement" at /admin/statements/<account_id>/. Access is the ledger's rule
(accounts_visible_to): staff see every account, a mobile banker only their assigned members'.
"""

from django.contrib import admin, messages
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods

from apps.ledger.selectors import accounts_visible_to

from .forms import AdminStatementForm
from .http import statement_download


@require_http_methods(["GET", "POST"])
def statement_admin_view(request, account_id: int):
    account = get_object_or_404(accounts_visible_to(request.user), pk=account_id)
    status = 200
    if request.method == "POST":
        form = AdminStatementForm(request.POST)
        download = statement_download(request, account=account, form=form)
        if download is not None:
            return download
        status = 422
        messages.error(request, "The statement was not produced: correct the period below.")
    else:
        form = AdminStatementForm(initial=AdminStatementForm.initial_period())
    context = {
        **admin.site.each_context(request),
        "title": f"Statement for {account.account_number}",
        "account": account,
        "form": form,
        "account_url": reverse("admin:ledger_account_change", args=[account.pk]),
    }
    return render(request, "reports/admin_statement.html", context, status=status)


def statement_urls(site=None) -> list:
    """URL patterns for the console (registered with register_admin_urls in ReportsConfig.ready)."""
    site = site or admin.site
    return [
        path("statements/<int:account_id>/", site.admin_view(statement_admin_view), name="account_statement"),
    ]
