"""A generated statement as a download, for the pages and endpoints that serve one in the request (the
API and the member portal; the staff console queues a background job instead, see admin_views)."""

from django.core.exceptions import ValidationError
from django.http import HttpResponse

from .services import StatementFile, statement_generate


def file_response(generated: StatementFile) -> HttpResponse:
    response = HttpResponse(generated.content, content_type=generated.content_type)
    response["Content-Disposition"] = generated.content_disposition
    return response


def statement_download(request, *, account, form) -> HttpResponse | None:
    """The statement a bound period form asks for, as a download; None when the form (or the service,
    whose errors are added to it) refuses the period."""
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        generated = statement_generate(actor=request.user, account=account, start=data["start"], end=data["end"],
                                       fmt=data["format"], request=request)
    except ValidationError as exc:
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
        return None
    return file_response(generated)
