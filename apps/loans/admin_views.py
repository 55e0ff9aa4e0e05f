"""The console's schedule preview: staff pick a product, an amount, a term and a date and see the
schedule a loan would have. Nothing is saved. LoansConfig.ready registers it as
"admin:loans_schedule_preview" (/admin/loans/schedule-preview/)."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from apps.core.admin_mixins import add_service_error

from . import applications, services
from .forms import SchedulePreviewForm
from .models import Loan, LoanDocument

FIELD_MAP = {"product_id": "product"}


@require_http_methods(["GET", "POST"])
def schedule_preview_view(request):
    if not request.user.has_perm("loans.view_loanproduct"):
        raise PermissionDenied
    schedule = fees = None
    status = 200
    if request.method == "POST":
        form = SchedulePreviewForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                schedule = services.schedule_preview(
                    product=data["product"], principal=data["principal"], term=data["term"],
                    disbursement_date=data["disbursement_date"],
                    first_repayment_date=data["first_repayment_date"])
                fees = services.fee_amounts(data["product"], data["principal"])
            except ValidationError as exc:
                add_service_error(form, exc, FIELD_MAP)
        if schedule is None:
            status = 422
    else:
        initial = SchedulePreviewForm.initial_values()
        if request.GET.get("product", "").isdigit():
            initial["product"] = int(request.GET["product"])
        form = SchedulePreviewForm(initial=initial)
    context = {
        **admin.site.each_context(request),
        "title": "Loan schedule preview",
        "form": form,
        "schedule": schedule,
        "fees": fees,
        "product": form.cleaned_data.get("product") if schedule is not None else None,
    }
    return render(request, "loans/schedule_preview.html", context, status=status)


@require_http_methods(["GET"])
def document_download(request, pk: int):
    """A loan document, to staff who may see the loan (apps.loans.applications.loans_visible_to); 404
    otherwise. Documents are stored outside MEDIA_ROOT, so this is the only way to read one."""
    document = LoanDocument.objects.filter(
        pk=pk, loan__in=applications.loans_visible_to(request.user)).first()
    if document is None or not request.user.has_perm("loans.view_loandocument"):
        raise Http404
    return FileResponse(document.file.open("rb"), as_attachment=True,
                        filename=document.file.name.rsplit("/", 1)[-1])


def applications_badge(request) -> int | None:
    """Applications waiting for a manager's decision (the Loan applications item's badge)."""
    if not applications.can_decide(request.user):
        return None
    return Loan.objects.filter(status=Loan.Status.SUBMITTED).count() or None
