"""Every API error is `{"detail": "...", "code": "..."}` with the status API.md gives it."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.http.multipartparser import MultiPartParserError
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from apps.core.errors import RuleRefused
from apps.core.text import MESSAGE

from .parser import ControlCharacterInBody


class ApiError(Exception):
    def __init__(self, status: int, code: str, detail: str, **extra):
        self.status, self.code, self.detail, self.extra = status, code, detail, extra
        super().__init__(detail)


def _field_name(loc) -> str:
    parts = [str(p) for p in loc if p not in ("body", "payload", "query", "path", "data")]
    return ".".join(parts) or "body"


def _validation_messages(errors) -> list[dict]:
    fields = []
    for error in errors:
        message = error.get("msg", "Invalid value.")
        message = message.removeprefix("Value error, ")
        if error.get("type") == "missing":
            message = "This field is required."
        fields.append({"field": _field_name(error.get("loc", ())), "message": message})
    return fields


def django_validation_fields(exc: DjangoValidationError) -> list[dict]:
    if hasattr(exc, "error_dict"):
        return [{"field": field, "message": " ".join(messages)} for field, messages in exc.message_dict.items()]
    return [{"field": "__all__", "message": " ".join(exc.messages)}]


def _body(detail: str, code: str, **extra) -> dict:
    return {"detail": detail, "code": code, **extra}


def install(api) -> None:
    def respond(request, payload, status):
        return api.create_response(request, payload, status=status)

    @api.exception_handler(ApiError)
    def api_error(request, exc: ApiError):
        response = respond(request, _body(exc.detail, exc.code, **exc.extra), exc.status)
        if exc.extra.get("retry_after"):
            response["Retry-After"] = str(exc.extra["retry_after"])
        return response

    @api.exception_handler(RuleRefused)
    def refused_by_rule(request, exc: RuleRefused):
        return respond(request, _body(exc.message, exc.code), exc.status)

    @api.exception_handler(NinjaValidationError)
    def invalid_input(request, exc: NinjaValidationError):
        fields = _validation_messages(exc.errors)
        detail = "; ".join(f"{f['field']}: {f['message']}" for f in fields)
        return respond(request, _body(detail, "invalid", errors=fields), 422)

    @api.exception_handler(DjangoValidationError)
    def invalid_by_rule(request, exc: DjangoValidationError):
        fields = django_validation_fields(exc)
        detail = "; ".join(f"{f['field']}: {f['message']}" if f["field"] != "__all__" else f["message"]
                           for f in fields)
        return respond(request, _body(detail, "invalid", errors=fields), 422)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, exc):
        return respond(request, _body("Sign in to use this endpoint.", "not_authenticated"), 401)

    @api.exception_handler(PermissionDenied)
    def forbidden(request, exc):
        return respond(request, _body(str(exc) or "Your role may not do this.", "forbidden"), 403)

    @api.exception_handler(MultiPartParserError)
    def malformed_multipart(request, exc):
        return respond(request, _body("The multipart body could not be read: send the file again.",
                                      "malformed_multipart"), 422)

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return respond(request, _body("Not found.", "not_found"), 404)

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        if exc.status_code == 400 and isinstance(exc.__cause__, ControlCharacterInBody):
            field = exc.__cause__.field
            errors = [{"field": field, "message": MESSAGE}]
            return respond(request, _body(f"{field}: {MESSAGE}", "invalid", errors=errors), 422)
        if exc.status_code == 400 and isinstance(exc.__cause__, (ValueError, UnicodeDecodeError)):
            # json.JSONDecodeError is a ValueError, and so is NaN/Infinity (not JSON numbers).
            return respond(request, _body("The request body is not valid JSON.", "malformed_json"), 422)
        if exc.status_code == 403 and "CSRF" in str(exc):
            return respond(request, _body("CSRF check failed: send the X-CSRFToken header.", "csrf_failed"), 403)
        if exc.status_code == 429:
            return respond(request, _body("Too many requests. Wait a moment and try again.", "throttled"), 429)
        return respond(request, _body(str(exc), "error"), exc.status_code)
