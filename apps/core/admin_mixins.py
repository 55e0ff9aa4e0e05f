"""Admin building blocks shared by every app's staff console.

- `ReadOnlyAdminMixin`: a list to read (no add, change or delete from the console).
- `ReadOnlyHistoryMixin`: simple-history's "view this version" page saves the old version when
  POSTed to, whatever SIMPLE_HISTORY_REVERT_DISABLED says (the setting only hides the button).
  Fields kept out of history (a balance, an encrypted ID) would come back empty. We refuse it.
- `StrictMoneyFieldsMixin`: money columns are typed through the one strict amount parser.
- `ServiceFormMixin`: `save_model` calls a service; when the service refuses, the whole admin
  transaction is rolled back and the form is shown again with the service's message on it.
- `error_messages` / `action_done`: turn a service's refusal into words, and finish a detail
  action (a plain redirect, or HX-Redirect when unfold's dialog posted it through htmx).
"""

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import models
from django.http import HttpResponse, HttpResponseRedirect
from unfold.widgets import UnfoldAdminTextInputWidget

from .forms import money_formfield


def error_messages(exc: Exception) -> list[str]:
    """The human-readable messages of a ValidationError, LedgerError (`.message`) or PermissionDenied."""
    if isinstance(exc, ValidationError):
        return list(exc.messages)
    message = getattr(exc, "message", None) or str(exc)
    return [message or "You are not allowed to do that."]


def add_service_error(form, exc: Exception, field_map: dict[str, str] | None = None) -> None:
    """Put a service's refusal on a form: field errors on their field when the form has it."""
    field_map = field_map or {}
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            target = field_map.get(name, name)
            if target == NON_FIELD_ERRORS or target not in form.fields:
                target = None
            for message in errors:
                form.add_error(target, message)
        return
    for message in error_messages(exc):
        form.add_error(None, message)


def action_done(request, url: str) -> HttpResponse:
    """Finish a detail action. unfold's dialogs post through htmx, which needs HX-Redirect."""
    if request.headers.get("HX-Request"):
        return HttpResponse(headers={"HX-Redirect": url})
    return HttpResponseRedirect(url)


class ServiceRefused(Exception):
    def __init__(self, error: Exception):
        self.error = error
        super().__init__(str(error))


class StrictMoneyFieldsMixin:
    """Money columns (DecimalFields with two places) are typed through the one strict amount parser."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, models.DecimalField) and not db_field.choices:
            field = money_formfield(db_field, widget=UnfoldAdminTextInputWidget)
            if field is not None:
                return field
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class ServiceFormMixin(StrictMoneyFieldsMixin):
    """Call services from `save_model` / `save_related` and show their refusals on the form.

    A refusal raises `ServiceRefused`, which leaves Django's atomic change-form block (so nothing
    the request wrote is kept) and is caught here; the form is then built again from the same
    POST with the refusal added in `clean()`, so the person sees it where they typed.
    """

    service_errors: tuple[type[Exception], ...] = (ValidationError, PermissionDenied)
    service_field_map: dict[str, str] = {}

    def call_service(self, func, **kwargs):
        try:
            return func(**kwargs)
        except self.service_errors as exc:
            raise ServiceRefused(exc)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceRefused as refused:
            request._service_refusal = refused.error
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        refusal = getattr(request, "_service_refusal", None)
        if refusal is None or request.method != "POST":
            return form_class
        field_map = self.service_field_map

        class RefusedForm(form_class):
            def clean(self):
                cleaned = super().clean()
                add_service_error(self, refusal, field_map)
                return cleaned

        RefusedForm.__name__ = form_class.__name__
        return RefusedForm


class ReadOnlyAdminMixin:
    """A list to read: nobody adds, edits or deletes rows here from the console."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyHistoryMixin:
    """History is for reading: a POST to a historical version would overwrite the live row."""

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method != "GET":
            raise PermissionDenied("History is read-only.")
        return super().history_form_view(request, object_id, version_id, extra_context)


def copy_saved(target, saved) -> None:
    """Make the admin's in-memory object the row a service just saved (pk and every column),
    so the admin's inlines, log entry and redirect use it."""
    for field in saved._meta.concrete_fields:
        setattr(target, field.attname, getattr(saved, field.attname))
    target._state.adding = False
    target._state.db = saved._state.db
