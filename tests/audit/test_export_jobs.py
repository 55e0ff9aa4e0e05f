"""Console exports run as background jobs (apps/audit/exports.py): the export form leads to the job's
page, the file is exactly the rows the list shows (filters included), progress is reported in
throttled steps, the file is the starter's (and administrators') alone, and every export is audited."""

import csv
import io
from unittest import mock

import pytest
from django.test import TestCase
from django.urls import reverse

from apps.audit import exports
from apps.audit.models import AuditEvent
from apps.core import jobs
from apps.core.models import JobRun
from tests.exports import export_job
from tests.ledger.factories import make_member
from tests.support import add_totp_device, staff_client_for

pytestmark = pytest.mark.django_db

EXPORT = "admin:members_member_export"


@pytest.fixture(autouse=True)
def _private_root(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path / "private")


def console(user):
    if user.role in ("manager", "operations_manager", "admin"):
        add_totp_device(user)
    return staff_client_for(user)


@pytest.fixture
def members(cashier):
    return [make_member(registrar=cashier, first_name=name, last_name="Boateng", phone=f"02441234{n:02d}")
            for n, name in enumerate(["Ama", "Kofi", "Yaw", "Efua", "Akosua"])]


def _rows(content: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def _download(client, job) -> bytes:
    response = client.get(reverse("admin:job_result", args=[job.pk]))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_the_export_form_leads_to_the_job_page_with_a_download_of_the_file(operations_manager, members):
    client = console(operations_manager)
    response, job = export_job(client, reverse(EXPORT), {"format": "0", "resource": "0"})
    assert response["Location"] == f"/admin/jobs/{job.pk}/"
    assert (job.kind, job.status, job.started_by, job.title) == ("export", "done", operations_manager,
                                                                  "Members export")
    assert (job.current, job.total, job.message) == (5, 5, "5 rows exported.")
    page = client.get(response["Location"]).content.decode()
    assert 'data-status="done"' in page and "Members export" in page and "5 rows exported." in page
    assert f'href="/admin/jobs/{job.pk}/result/"' in page and ">Download<" in page
    assert 'aria-valuenow="5"' in page and f"/admin/jobs/{job.pk}/progress/" not in page  # done: no more polling
    content = _download(client, job)
    rows = _rows(content)
    assert list(rows[0])[0] == "member_number"
    assert sorted(row["first_name"] for row in rows) == ["Akosua", "Ama", "Efua", "Kofi", "Yaw"]
    event = AuditEvent.objects.get(action="export.member")
    assert event.actor == operations_manager and event.details == {"rows": 5, "format": "csv"}


def test_the_file_has_the_rows_the_filtered_list_shows(operations_manager, members):
    client = console(operations_manager)
    _, job = export_job(client, reverse(EXPORT) + "?q=Kofi", {"format": "0", "resource": "0"})
    assert [row["first_name"] for row in _rows(_download(client, job))] == ["Kofi"]
    assert job.params["back"] == reverse("admin:members_member_changelist") + "?q=Kofi"
    assert AuditEvent.objects.get(action="export.member").details["rows"] == 1


def test_the_file_is_refused_to_anyone_but_the_starter_and_administrators(operations_manager, manager,
                                                                          administrator, members):
    _, job = export_job(console(operations_manager), reverse(EXPORT), {"format": "0", "resource": "0"})
    other = console(manager)  # may export too, but this file is not theirs
    for url in (f"/admin/jobs/{job.pk}/", f"/admin/jobs/{job.pk}/result/", f"/admin/jobs/{job.pk}/progress/"):
        assert other.get(url).status_code == 404, url
    assert other.post(f"/admin/jobs/{job.pk}/restart/").status_code == 404
    assert _rows(_download(console(administrator), job))


def test_a_role_that_may_not_export_queues_nothing(cashier, members):
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = console(cashier).post(reverse(EXPORT), {"format": "0", "resource": "0"})
    assert response.status_code == 403
    assert not JobRun.objects.exists() and not AuditEvent.objects.filter(action__startswith="export.").exists()


def test_an_export_whose_starter_lost_the_role_before_it_ran_is_refused(operations_manager, members):
    client = console(operations_manager)
    with TestCase.captureOnCommitCallbacks(execute=False) as queued:
        response = client.post(reverse(EXPORT), {"format": "0", "resource": "0"})
    assert response.status_code == 302 and len(queued) == 1
    job = JobRun.objects.get()
    assert job.status == "queued"
    type(operations_manager).objects.filter(pk=operations_manager.pk).update(role="cashier")
    queued[0]()  # the worker picks it up now
    job.refresh_from_db()
    assert job.status == "failed" and job.message == "You may no longer export this list."
    assert not job.result_file and not AuditEvent.objects.filter(action__startswith="export.").exists()


def test_progress_is_reported_in_throttled_steps(operations_manager, cashier, settings):
    for n in range(30):
        make_member(registrar=cashier, first_name=f"Member{n}", phone=f"02440000{n:02d}")
    settings.JOB_PROGRESS_SECONDS = 3600  # only the percent rule lets a write through
    settings.JOB_PROGRESS_PERCENT = 25
    reports, writes = [], []
    real_progress, real_write = jobs.job_progress, jobs._write

    def progress(job, current, *args, **kwargs):
        reports.append(current)
        return real_progress(job, current, *args, **kwargs)

    def write(job, **fields):
        if "current" in fields and "status" not in fields:
            writes.append(fields["current"])
        return real_write(job, **fields)

    with mock.patch.object(exports, "EXPORT_PROGRESS_ROWS", 2), mock.patch.object(jobs, "job_progress", progress), \
            mock.patch.object(jobs, "_write", write):
        _, job = export_job(console(operations_manager), reverse(EXPORT), {"format": "0", "resource": "0"})
    assert job.status == "done" and job.total == 30
    assert reports == [0, *range(2, 31, 2)]  # at the start, then every 2 rows
    # written: the start, each step of 25 % or more, and the end; not all 16 reports
    assert writes == [0, 8, 16, 24, 30]


def test_a_job_delivered_twice_runs_once(operations_manager, members):
    client = console(operations_manager)
    _, job = export_job(client, reverse(EXPORT), {"format": "0", "resource": "0"})
    from apps.audit.tasks import export_job as task

    assert task(job.pk) == f"Job {job.pk} is done: nothing to do."
    assert AuditEvent.objects.filter(action="export.member").count() == 1
