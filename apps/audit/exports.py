"""Compliance exports through django-import-export: who may export, an audit row for each one, and
the file made by a background job.

Every export is a job (one path, whatever its size). The admin's export form is import-export's own
(format, resource); when it is valid, `AuditedExportMixin` does not build the file in the request:
it queues a `JobRun` (kind "export", task `apps.audit.tasks.export_job`) holding what the request
said (the model, the changelist's filters and search, the form's answers, the person's address) and
sends the browser to the job's page (`admin:job_page`), where a progress bar follows it and a
"Download" link appears when it is done.

The worker (`export_run`) asks the same ModelAdmin for the same rows as the request would have: a
GET request for the changelist is put together again for the person who started the export, so
their visibility rules (`get_queryset(request)`: a mobile banker's own members), the filters and the
export permission are applied again at run time (someone whose role was taken away in between gets
a refused job, not the file). It reports progress every EXPORT_PROGRESS_ROWS rows (jobs.job_progress
throttles the writes further), writes the file to the job's private storage (no public media URL:
it is downloaded only through the checked `admin:job_result` / `GET /api/jobs/{id}/result/`, by
who started it and administrators), and writes `export.<model>` to the audit log with the number of
rows and the format, as the export always has.
"""

from django.apps import apps
from django.contrib import admin
from django.contrib.admin.sites import NotRegistered
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.http import HttpRequest, QueryDict
from django.shortcuts import redirect
from django.urls import reverse

from apps.core import jobs
from apps.core.roles import Role

from .services import client_ip, record

# Compliance CSV exports (members, accounts, transactions; every one audited).
EXPORT_ROLES = (Role.MANAGER, Role.OPERATIONS_MANAGER, Role.ADMIN)
EXPORT_TASK = "apps.audit.tasks.export_job"
EXPORT_KIND = "export"
EXPORT_PROGRESS_ROWS = 200  # rows between progress reports

# Form fields that are the request's plumbing, not the export's answers.
_NOT_ANSWERS = {"csrfmiddlewaretoken", "export_items"}


class AuditedExportMixin:
    """Mix into an import-export admin (before ExportMixin). Only EXPORT_ROLES may export; each
    export runs as a background job (module docstring) and writes `export.<model>` to the audit log
    with the number of rows and the format."""

    export_roles = EXPORT_ROLES

    def has_export_permission(self, request):
        return getattr(request.user, "role", None) in self.export_roles and super().has_export_permission(request)

    # --- in the request: queue the job -----------------------------------------------------------

    def _do_file_export(self, file_format, request, queryset, export_form=None):
        """import-export's export_action calls this with a valid form to build the file; here the file
        is left to a job, and the browser goes to the job's page."""
        if not self.has_export_permission(request):
            raise PermissionDenied
        job = export_queue(self, request, export_form=export_form)
        return redirect("admin:job_page", job.pk)

    # --- in the worker: build the file ---------------------------------------------------------

    def get_data_for_export(self, request, queryset, **kwargs):
        """import-export's own steps (pick the resource, build it, export the rows), with the resource's
        row iterator counted so the job shows how far it has got."""
        export_form = kwargs.get("export_form")
        resource_class = self.choose_export_resource_class(export_form, request)
        resource = resource_class(**self.get_export_resource_kwargs(request, **kwargs))
        job = getattr(request, "coastal_export_job", None)
        if job is not None:
            resource.iter_queryset = _counted(resource.iter_queryset, job)
        data = resource.export(queryset=queryset, export_fields=self.get_export_resource_fields_from_form(export_form),
                               **kwargs)
        request._coastal_export_rows = len(data)
        return data

    def get_export_data(self, file_format, request, queryset, **kwargs):
        data = super().get_export_data(file_format, request, queryset, **kwargs)
        record(request.user, f"export.{self.model._meta.model_name}", None, request=request,
               rows=getattr(request, "_coastal_export_rows", None), format=file_format.get_title())
        return data


def _counted(iter_queryset, job):
    """The resource's row iterator, reporting progress (rows done of the queryset's count)."""

    def rows(queryset):
        total = queryset.count() if hasattr(queryset, "count") and callable(queryset.count) else None
        jobs.job_progress(job, 0, total, message="Reading the rows…", force=True)
        done = 0
        for row in iter_queryset(queryset):
            yield row
            done += 1
            if done % EXPORT_PROGRESS_ROWS == 0:
                export_progress(job, done, total)
        if done % EXPORT_PROGRESS_ROWS:
            export_progress(job, done, total)  # the last rows

    return rows


def export_progress(job, done: int, total: int | None) -> None:
    """One progress report of an export (throttled by jobs.job_progress)."""
    jobs.job_progress(job, done, total, message=f"{done:,} row{'s' if done != 1 else ''} written…")


def _admin_title(model_admin) -> str:
    return f"{str(model_admin.model._meta.verbose_name_plural).capitalize()} export"


def export_queue(model_admin, request, *, export_form=None):
    """Queue the export the request asks for (its filters, search and form answers) as a job."""
    opts = model_admin.model._meta
    answers = {key: values for key, values in request.POST.lists() if key not in _NOT_ANSWERS}
    items = [str(pk) for pk in (export_form.cleaned_data.get("export_items") or [])] if (
        export_form is not None and "export_items" in export_form.changed_data) else []
    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    query = request.GET.urlencode()
    params = {"model": opts.label_lower, "query": query, "form": answers, "items": items,
              "ip": client_ip(request), "back": f"{changelist}?{query}" if query else changelist}
    return jobs.job_queue(EXPORT_KIND, started_by=request.user, task=EXPORT_TASK, params=params,
                          title=_admin_title(model_admin))


def _request_for(job) -> HttpRequest:
    """The changelist GET the export was asked from, for the person who asked."""
    params = job.params
    model = apps.get_model(params["model"])
    opts = model._meta
    request = HttpRequest()
    request.method = "GET"
    request.path = request.path_info = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    request.GET = QueryDict(params.get("query", ""))
    request.POST = QueryDict(mutable=True)
    for key, values in (params.get("form") or {}).items():
        request.POST.setlist(key, values)
    request.META = {"REMOTE_ADDR": params.get("ip") or "", "QUERY_STRING": params.get("query", ""),
                    "SERVER_NAME": "localhost", "SERVER_PORT": "80", "REQUEST_METHOD": "GET"}
    request.user = job.started_by
    request.coastal_export_job = job
    return request


def export_run(job) -> dict:
    """The export job's work (apps.audit.tasks.export_job): the file, its name and a message."""
    user = job.started_by
    if user is None or not user.is_active or not user.is_staff:
        raise jobs.JobRefused("The person who asked for this export can no longer sign in to the console.")
    model = apps.get_model(job.params["model"])
    try:
        model_admin = admin.site.get_model_admin(model)
    except NotRegistered as exc:
        raise jobs.JobRefused("This list can no longer be exported.") from exc
    request = _request_for(job)
    if not model_admin.has_export_permission(request):
        raise jobs.JobRefused("You may no longer export this list.")
    formats = model_admin.get_export_formats()
    form = model_admin.get_export_form_class()(formats, model_admin.get_export_resource_classes(request),
                                               data=request.POST)
    if not form.is_valid():
        raise jobs.JobRefused("The export's choices no longer fit this list; start it again from the list.")
    file_format = formats[int(form.cleaned_data["format"])]()
    queryset = model_admin.get_export_queryset(request)
    if job.params.get("items"):
        queryset = queryset.filter(pk__in=job.params["items"])
    try:
        data = model_admin.get_export_data(file_format, request, queryset, encoding=model_admin.to_encoding,
                                           export_form=form)
    except PermissionDenied as exc:
        raise jobs.JobRefused("You may no longer export this list.") from exc
    content = data if isinstance(data, bytes) else data.encode("utf-8")
    rows = getattr(request, "_coastal_export_rows", 0)
    return {"message": f"{rows:,} row{'s' if rows != 1 else ''} exported.",
            "result_name": model_admin.get_export_filename(request, queryset, file_format),
            "result_content": ContentFile(content)}
