"""The member portal's statement page: /my/accounts/<pk>/statement/ (the statement itself is the
reports app's: `statement_generate`).

Members only (staff get the portal's 403 page: they use the staff console, where their access
is limited by role); a member sees only their own accounts, anything else is a 404.
"""

from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_http_methods

from apps.ledger.selectors import accounts_visible_to
from apps.reports.forms import StatementForm
from apps.reports.http import statement_download

from .banking import member_required


@member_required
@require_http_methods(["GET", "POST"])
def account_statement(request, pk: int):
    account = get_object_or_404(accounts_visible_to(request.user), pk=pk)
    if request.method != "POST":
        form = StatementForm(initial=StatementForm.initial_period())
        return render(request, "portal/banking/statement.html", {"account": account, "form": form})
    form = StatementForm(request.POST)
    download = statement_download(request, account=account, form=form)
    if download is not None:
        return download
    return render(request, "portal/banking/statement.html", {"account": account, "form": form}, status=422)
