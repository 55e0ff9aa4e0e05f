"""Console exports run as background jobs (apps/audit/exports.py): helpers for tests that export.

`export_through_job(client, url, data)` posts the export form as the browser does, lets the queued
job run (the test settings run django-q2 tasks in the process, `Q_CLUSTER["sync"]`, once the
request's transaction commits) and returns the file as the person who started it downloads it from
the job's page: an HttpResponse whose `.content` is the file. A refused form (403, or the form again)
comes back as it was answered. Result files go to a temporary private root, removed afterwards."""

import shutil
import tempfile

from django.http import HttpResponse
from django.test import Client, TestCase, override_settings
from django.urls import resolve, reverse

from apps.core.models import JobRun


def export_job(client: Client, url: str, data: dict) -> tuple[HttpResponse, JobRun | None]:
    """Post the export form; (the response, the job it queued or None)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(url, data)
    if response.status_code != 302:
        return response, None
    match = resolve(response["Location"])
    assert match.url_name == "job_page", response["Location"]
    return response, JobRun.objects.get(pk=match.kwargs["pk"])


def export_through_job(client: Client, url: str, data: dict) -> HttpResponse:
    root = tempfile.mkdtemp(prefix="coastal-jobs-")
    try:
        with override_settings(PRIVATE_MEDIA_ROOT=root):
            return _export_and_download(client, url, data)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _export_and_download(client: Client, url: str, data: dict) -> HttpResponse:
    response, job = export_job(client, url, data)
    if job is None:
        return response
    assert job.status == JobRun.Status.DONE, (job.status, job.error)
    download = client.get(reverse("admin:job_result", args=[job.pk]))
    assert download.status_code == 200, download.status_code
    content = b"".join(download.streaming_content)
    file = HttpResponse(content, content_type=download["Content-Type"], status=download.status_code)
    file["Content-Disposition"] = download["Content-Disposition"]
    return file
