"""A generated statement as a download, for every page and endpoint that serves one (the API, the
staff console, the member portal)."""

from django.http import HttpResponse

from .services import StatementFile


def file_response(generated: StatementFile) -> HttpResponse:
    response = HttpResponse(generated.content, content_type=generated.content_type)
    response["Content-Disposition"] = generated.content_disposition
    return response
