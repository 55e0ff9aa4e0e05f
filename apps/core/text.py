"""Text from outside: refuse NUL, control characters and lone surrogates at the boundary.

PostgreSQL cannot store NUL in text (the request would end in a 500), and none of these characters
belongs in a name, a description, a reason or a search. One rule, used everywhere text comes in:
Django form fields (every `forms.CharField`, set in CoreConfig.ready), the JSON API's parser (bodies
and query strings) and the query strings of console and portal pages (ControlCharactersMiddleware).
Tab, line feed and carriage return are allowed: they are how a multi-line note is written.
"""

import re

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.utils.deconstruct import deconstructible

_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
MESSAGE = "Remove the control character from this text: it cannot contain invisible characters such as NUL."


def has_control_characters(value: str) -> bool:
    return bool(_FORBIDDEN.search(value))


@deconstructible
class PlainTextValidator:
    """The form validator: a field error, so the person sees which box to correct."""

    message = MESSAGE
    code = "control_characters"

    def __call__(self, value):
        if isinstance(value, str) and has_control_characters(value):
            raise ValidationError(self.message, code=self.code)

    def __eq__(self, other):
        return isinstance(other, PlainTextValidator)


validate_plain_text = PlainTextValidator()


class ControlCharactersMiddleware:
    """A console or portal page asked with a control character in its query string (a search box,
    a filter) is shown again without that parameter, with a message saying why. The JSON API judges
    its own query strings (apps.core.apikit.parser), with a 422 naming the field."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if has_control_characters(request.path):
            raise Http404("No such page.")
        if request.path.startswith("/api/"):
            return self.get_response(request)
        bad = [key for key, values in request.GET.lists()
               if has_control_characters(key) or any(has_control_characters(v) for v in values)]
        if bad:
            kept = request.GET.copy()
            for key in bad:
                del kept[key]
            messages.error(request, "Your search or filter contained an invisible control character, "
                                    "so it was cleared. Type it again.")
            query = kept.urlencode()
            return HttpResponseRedirect(request.path + (f"?{query}" if query else ""))
        return self.get_response(request)
