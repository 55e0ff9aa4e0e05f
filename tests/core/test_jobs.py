"""Background job progress (apps/core/jobs.py): lifecycle, the conditional start, throttling, stale
jobs, the job.progress push on commit, and GET /api/jobs/{id}/."""

from datetime import date, timedelta
from unittest import mock

import pytest
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from apps.core import jobs
from apps.core.models import BusinessDay, EndOfDayRun, JobRun

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_root(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path / "private")


@pytest.fixture
def layer():
    """A channel layer that records what is sent."""
    fake = mock.Mock()
    sent = []

    async def group_send(group, event):
        sent.append((group, event))

    fake.group_send = group_send
    fake.sent = sent
    with mock.patch("channels.layers.get_channel_layer", return_value=fake):
        yield fake


def test_lifecycle_queued_running_done(operations_manager):
    job = jobs.job_create("export", operations_manager, total=4)
    assert job.status == JobRun.Status.QUEUED and job.current == 0
    assert jobs.job_start(job)
    assert job.status == JobRun.Status.RUNNING and job.started_at and job.heartbeat_at and job.attempts == 1
    assert jobs.job_progress(job, 2, message="Half way")
    job.refresh_from_db()
    assert (job.current, job.total, job.message) == (2, 4, "Half way")
    jobs.job_finish(job, message="Exported")
    job.refresh_from_db()
    assert job.status == JobRun.Status.DONE and job.current == job.total == 4 and job.finished_at


def test_a_failed_job_keeps_its_error_and_can_be_restarted(operations_manager):
    job = jobs.job_create("export", operations_manager)
    jobs.job_start(job)
    jobs.job_fail(job, "RuntimeError: disk full")
    job.refresh_from_db()
    assert job.status == JobRun.Status.FAILED and job.error == "RuntimeError: disk full"
    assert jobs.job_restart(job) and job.status == JobRun.Status.QUEUED
    assert jobs.job_start(job) and job.attempts == 2 and job.error == ""


def test_start_is_conditional_a_second_worker_does_nothing(operations_manager):
    job = jobs.job_create("end_of_day", operations_manager)
    assert jobs.job_start(job) is True
    started_at = job.started_at
    second = JobRun.objects.get(pk=job.pk)
    assert jobs.job_start(second) is False
    job.refresh_from_db()
    assert job.attempts == 1 and job.started_at == started_at and job.status == JobRun.Status.RUNNING
    assert jobs.job_restart(job) is False  # running with a fresh heartbeat: not restartable


def test_progress_is_throttled_by_time_and_percent(operations_manager, settings):
    settings.JOB_PROGRESS_SECONDS = 2
    settings.JOB_PROGRESS_PERCENT = 5
    job = jobs.job_create("export", operations_manager, total=1000)
    jobs.job_start(job)
    writes = [jobs.job_progress(job, n) for n in range(1, 40)]
    assert not any(writes)  # under 2 s since start wrote the heartbeat, and under 5 %
    assert JobRun.objects.get(pk=job.pk).current == job.current == 0
    assert jobs.job_progress(job, job.current + 50)  # 5 % more: written at once
    later = timezone.now() + timedelta(seconds=3)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert jobs.job_progress(job, job.current + 1)  # 2 s later: written
    assert jobs.job_progress(job, 1000)  # complete: always written
    assert JobRun.objects.get(pk=job.pk).current == 1000


def test_stale_running_job_is_shown_failed_and_can_be_restarted(operations_manager, settings):
    settings.JOB_STALE_SECONDS = 60
    job = jobs.job_create("end_of_day", operations_manager)
    jobs.job_start(job)
    assert list(jobs.stale_jobs()) == [] and jobs.job_status(job) == "running"
    JobRun.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=61))
    job.refresh_from_db()
    assert list(jobs.stale_jobs()) == [job]
    assert jobs.job_status(job) == "failed"
    assert jobs.job_restart(job) and job.status == JobRun.Status.QUEUED
    assert jobs.job_start(job)


def test_progress_is_pushed_to_the_starter_only_on_commit(operations_manager, layer,
                                                          django_capture_on_commit_callbacks):
    job = jobs.job_create("export", operations_manager, total=10)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        jobs.job_start(job)
        jobs.job_progress(job, 5, message="Half")
    assert layer.sent == [] and len(callbacks) == 2  # nothing before the commit
    with django_capture_on_commit_callbacks(execute=True):
        jobs.job_progress(job, 10)
    [(group, event)] = layer.sent
    assert group == f"user-{operations_manager.pk}"
    assert event == {"type": "job.progress", "id": job.pk, "kind": "export", "status": "running", "current": 10,
                     "total": 10}


def test_a_rolled_back_progress_is_not_pushed(operations_manager, layer, django_capture_on_commit_callbacks):
    job = jobs.job_create("export", operations_manager, total=10)
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                jobs.job_progress(job, 3)
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
    assert layer.sent == []


def test_a_push_that_fails_does_not_fail_the_job(operations_manager, django_capture_on_commit_callbacks):
    job = jobs.job_create("export", operations_manager, total=2)
    with mock.patch("channels.layers.get_channel_layer", side_effect=OSError("redis down")), \
            django_capture_on_commit_callbacks(execute=True):
        assert jobs.job_progress(job, 1)
    assert JobRun.objects.get(pk=job.pk).current == 1


# --- the API ------------------------------------------------------------------------------------

@pytest.fixture
def api_get(api, totp_device, code_for):
    """api_get(user, url): a GET with the user's Bearer token (signed in once, with a code if the role needs one)."""
    from django.test import Client

    headers = {}

    def get(user, url):
        if user.pk not in headers:
            otp = code_for(totp_device(user)) if user.role != "customer" and user.role != "cashier" else None
            headers[user.pk] = api(user, otp=otp)
        return Client().get(url, headers=headers[user.pk])

    return get


FIELDS = {"id", "kind", "status", "current", "total", "message", "started_at", "finished_at", "result_url"}


def test_the_starter_reads_the_job_with_exactly_the_documented_fields(api_get, operations_manager):
    job = jobs.job_create("export", operations_manager, total=3)
    jobs.job_start(job)
    jobs.job_progress(job, 1, message="Members")
    response = api_get(operations_manager, f"/api/jobs/{job.pk}/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == FIELDS
    assert body["status"] == "running" and body["current"] == 1 and body["total"] == 3
    assert body["message"] == "Members" and body["result_url"] is None and body["finished_at"] is None


def test_someone_else_gets_404_and_an_admin_may_read(api_get, operations_manager, make_user, administrator):
    job = jobs.job_create("export", operations_manager)
    other = make_user("operations_manager")
    assert api_get(other, f"/api/jobs/{job.pk}/").status_code == 404
    assert api_get(other, "/api/jobs/999999/").status_code == 404
    assert api_get(administrator, f"/api/jobs/{job.pk}/").status_code == 200


def test_a_result_file_is_downloaded_only_through_the_checked_url(api_get, operations_manager, make_user):
    job = jobs.job_create("export", operations_manager, total=1)
    jobs.job_start(job)
    jobs.job_finish(job, result_name="members.csv", result_content=ContentFile(b"id,name\n1,Ama\n"))
    with pytest.raises(ValueError):
        _ = job.result_file.url  # private storage: no public media URL
    body = api_get(operations_manager, f"/api/jobs/{job.pk}/").json()
    assert body["status"] == "done" and body["result_url"] == f"/api/jobs/{job.pk}/result/"
    download = api_get(operations_manager, body["result_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"id,name\n1,Ama\n"
    other = make_user("operations_manager")
    assert api_get(other, body["result_url"]).status_code == 404


def test_a_stale_job_is_reported_failed(api_get, operations_manager, settings):
    settings.JOB_STALE_SECONDS = 60
    job = jobs.job_create("end_of_day", operations_manager)
    jobs.job_start(job)
    JobRun.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=5))
    assert api_get(operations_manager, f"/api/jobs/{job.pk}/").json()["status"] == "failed"


# --- end of day -----------------------------------------------------------------------------------

@pytest.fixture
def chain(monkeypatch):
    """Two steps; the second sees the job's progress as written between the steps."""
    from apps.core import eod

    seen = []

    def first(**kwargs):
        return {"first": "ok"}

    def second(business_date, actor):
        run = EndOfDayRun.objects.select_related("job").get(business_date=business_date)
        seen.append((run.job.status, run.job.current, run.job.total))
        return {"second": "ok"}

    monkeypatch.setattr(eod, "STEPS", {"first": eod.Step("first", 10, first, "First"),
                                       "second": eod.Step("second", 20, second, "Second")})
    return seen


def _closing_run(user, day=date(2026, 3, 2)):
    BusinessDay.objects.create(date=day, status=BusinessDay.Status.CLOSING)
    return EndOfDayRun.objects.create(business_date=day, started_by=user)


def test_the_end_of_day_run_is_a_job_that_reaches_done_with_current_equal_total(chain, operations_manager, layer,
                                                                                 django_capture_on_commit_callbacks):
    from apps.core import eod

    run = _closing_run(operations_manager)
    with django_capture_on_commit_callbacks(execute=True):
        run = eod.run_chain(run.pk)
    assert run.status == EndOfDayRun.Status.COMPLETED
    job = run.job
    assert job.kind == "end_of_day" and job.started_by == operations_manager
    assert job.status == JobRun.Status.DONE and job.current == job.total == 2 and job.finished_at
    assert chain == [("running", 1, 2)]  # while the second step ran, the first was counted done
    events = [event for group, event in layer.sent if group == f"user-{operations_manager.pk}"]
    assert events[-1] == {"type": "job.progress", "id": job.pk, "kind": "end_of_day", "status": "done",
                          "current": 2, "total": 2}
    assert eod.run_chain(run.pk).job.attempts == 1  # done: nothing runs again


def test_a_second_worker_on_a_running_run_does_nothing(chain, operations_manager):
    from apps.core import eod

    run = _closing_run(operations_manager)
    job = eod.run_job(run)
    jobs.job_start(job)  # the first worker has it
    assert eod.run_chain(run.pk).status == EndOfDayRun.Status.RUNNING
    assert chain == [] and not run.steps.exists()


def test_a_failed_step_fails_the_job_and_resuming_finishes_it(operations_manager, monkeypatch):
    from apps.core import eod

    calls = []

    def flaky(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("power cut")
        return {}

    monkeypatch.setattr(eod, "STEPS", {"flaky": eod.Step("flaky", 10, flaky, "Flaky")})
    run = eod.run_chain(_closing_run(operations_manager).pk)
    assert run.status == EndOfDayRun.Status.FAILED
    assert run.job.status == JobRun.Status.FAILED and run.job.error == "RuntimeError: power cut"
    assert run.job.message == "Stopped at Flaky."
    run = eod.run_chain(run.pk)
    assert run.status == EndOfDayRun.Status.COMPLETED
    assert (run.job.status, run.job.current, run.job.total, run.job.attempts) == ("done", 1, 1, 2)


def test_a_run_whose_worker_died_is_released_and_resumed_from_the_page(chain, operations_manager, settings,
                                                                       django_capture_on_commit_callbacks):
    from apps.core import eod
    from tests.support import add_totp_device, staff_client_for

    settings.JOB_STALE_SECONDS = 60
    run = _closing_run(operations_manager)
    job = eod.run_job(run)
    jobs.job_start(job)
    EndOfDayRun.objects.filter(pk=run.pk).update(status=EndOfDayRun.Status.RUNNING)
    add_totp_device(operations_manager)
    ops = staff_client_for(operations_manager)
    page = ops.get("/admin/business-day/").content.decode()
    assert 'data-testid="job-progress" data-status="running"' in page
    # redrawn at once by this job's websocket push, and polled every 2 s when the socket is down
    assert f'hx-trigger="every 2s, live:job.progress[detail.id=={job.pk}] from:body"' in page
    assert "Resume from the failed step" not in page
    JobRun.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=5))
    page = ops.get("/admin/business-day/").content.decode()
    assert 'data-status="failed"' in page and "The worker stopped" in page and "Resume from the failed step" in page
    with django_capture_on_commit_callbacks(execute=True):
        ops.post("/admin/business-day/", {"action": "resume", "run": run.pk})
    run.refresh_from_db()
    job.refresh_from_db()
    assert run.status == EndOfDayRun.Status.COMPLETED
    assert job.status == JobRun.Status.DONE and job.current == job.total == 2 and job.attempts == 2


def test_the_progress_partial_polls_while_running_and_stops_when_done(chain, operations_manager, cashier):
    from apps.core import eod
    from tests.support import add_totp_device, staff_client_for

    run = _closing_run(operations_manager)
    job = eod.run_job(run)
    add_totp_device(operations_manager)
    ops = staff_client_for(operations_manager)
    url = f"/admin/jobs/{job.pk}/progress/"
    partial = ops.get(url).content.decode()
    assert 'data-status="queued"' in partial and 'hx-get="' + url + '"' in partial
    eod.run_chain(run.pk)
    partial = ops.get(url).content.decode()
    assert 'data-status="done"' in partial and "hx-get" not in partial and "2 of 2" in partial
    assert "HX-Refresh" not in ops.get(url, headers={"HX-Request": "true"})
    assert ops.get(url + "?reload=1", headers={"HX-Request": "true"})["HX-Refresh"] == "true"
    assert staff_client_for(cashier).get(url).status_code == 404


# --- progress outside the caller's transaction ------------------------------------------------------

def _current_seen_by_another_connection(job_pk: int) -> int | None:
    from django.db import connections

    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT current FROM core_jobrun WHERE id = %s", [job_pk])
            row = cursor.fetchone()
        return row[0] if row else None
    finally:
        other.close()


@pytest.mark.django_db(transaction=True)
def test_progress_inside_a_transaction_is_seen_at_once_on_postgresql(operations_manager):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer: progress inside a transaction is seen at its commit (jobs.py)")
    job = jobs.job_create("export", operations_manager, total=10)
    jobs.job_start(job)
    with transaction.atomic():
        assert jobs.job_progress(job, 5)
        assert _current_seen_by_another_connection(job.pk) == 5  # before the caller's commit
        inner = jobs.job_create("export", operations_manager, total=10)  # made in this very transaction
        assert jobs.job_progress(inner, 5)  # the second connection cannot see it: written here instead
        assert JobRun.objects.get(pk=inner.pk).current == 5
        JobRun.objects.select_for_update().get(pk=job.pk)  # the caller holds the row's lock
        assert jobs.job_progress(job, 8)  # no deadlock: lock_timeout, then written in the transaction
        assert JobRun.objects.get(pk=job.pk).current == 8
    jobs.job_finish(job)
    assert JobRun.objects.get(pk=job.pk).status == "done"


# --- queued jobs: their own task, restart ---------------------------------------------------------------

RUNS: list[int] = []


def flaky_task(job_id: int) -> str:
    """A job's task for these tests: fails on its first run (as a crash would), then finishes."""

    def work(job):
        RUNS.append(job.pk)
        if RUNS.count(job.pk) == 1:
            raise RuntimeError("disk full")
        return {"message": "Finished.", "result_name": "out.csv", "result_content": ContentFile(b"a,b\n1,2\n")}

    return jobs.job_run(job_id, work)


TASK = "tests.core.test_jobs.flaky_task"


@pytest.fixture
def queued(operations_manager, django_capture_on_commit_callbacks):
    RUNS.clear()
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.job_queue("export", started_by=operations_manager, task=TASK, params={"n": 1}, title="Test export")
    job.refresh_from_db()
    return job


def test_a_queued_job_runs_its_task_on_commit_and_a_crash_fails_it(queued):
    assert RUNS == [queued.pk]
    assert queued.status == "failed" and queued.error == "RuntimeError: disk full"
    assert queued.message.startswith("Stopped with an error")
    assert (queued.task, queued.params, queued.title) == (TASK, {"n": 1}, "Test export")


def test_a_restarted_job_runs_once_even_when_restarted_twice(queued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.job_requeue(queued) is True
        assert jobs.job_requeue(queued) is False  # already queued again: nothing more is queued
    queued.refresh_from_db()
    assert RUNS == [queued.pk, queued.pk]  # the first run, then one more
    assert queued.status == "done" and queued.attempts == 2 and queued.message == "Finished."
    assert flaky_task(queued.pk) == f"Job {queued.pk} is done: nothing to do."  # a late duplicate delivery
    assert RUNS == [queued.pk, queued.pk] and jobs.job_requeue(queued) is False


def test_a_job_without_a_task_of_its_own_is_not_requeued(operations_manager):
    job = jobs.job_create("end_of_day", operations_manager)
    jobs.job_start(job)
    jobs.job_fail(job, "power cut")
    assert jobs.job_requeue(job) is False and JobRun.objects.get(pk=job.pk).status == "failed"


def test_the_job_page_offers_restart_to_the_starter_only_and_it_runs_again(
        queued, operations_manager, make_user, administrator, django_capture_on_commit_callbacks):
    from tests.support import add_totp_device, staff_client_for

    add_totp_device(operations_manager)
    ops = staff_client_for(operations_manager)
    page = ops.get(f"/admin/jobs/{queued.pk}/").content.decode()
    assert 'data-status="failed"' in page and 'data-testid="job-restart"' in page and "Test export" in page
    other = make_user("operations_manager")
    add_totp_device(other)
    assert staff_client_for(other).get(f"/admin/jobs/{queued.pk}/").status_code == 404
    assert staff_client_for(other).post(f"/admin/jobs/{queued.pk}/restart/").status_code == 404
    add_totp_device(administrator)
    admin_page = staff_client_for(administrator).get(f"/admin/jobs/{queued.pk}/").content.decode()
    assert 'data-testid="job-restart"' in admin_page
    with django_capture_on_commit_callbacks(execute=True):
        response = ops.post(f"/admin/jobs/{queued.pk}/restart/", headers={"Referer": f"/admin/jobs/{queued.pk}/"})
    assert response.status_code == 302 and response["Location"] == f"/admin/jobs/{queued.pk}/"
    queued.refresh_from_db()
    assert queued.status == "done" and RUNS == [queued.pk, queued.pk]
    page = ops.get(f"/admin/jobs/{queued.pk}/").content.decode()
    assert 'data-testid="job-restart"' not in page and f'href="/admin/jobs/{queued.pk}/result/"' in page
    again = ops.post(f"/admin/jobs/{queued.pk}/restart/", follow=True)  # done: refused, nothing queued
    assert "Only a job that failed can be restarted" in again.content.decode() and RUNS == [queued.pk, queued.pk]


def test_a_stale_queued_job_offers_restart(operations_manager, settings):
    from tests.support import add_totp_device, staff_client_for

    settings.JOB_STALE_SECONDS = 60
    job = jobs.job_create("export", operations_manager)
    JobRun.objects.filter(pk=job.pk).update(task=TASK)
    job.refresh_from_db()
    jobs.job_start(job)
    JobRun.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=5))
    add_totp_device(operations_manager)
    page = staff_client_for(operations_manager).get(f"/admin/jobs/{job.pk}/").content.decode()
    assert 'data-status="failed"' in page and "The worker stopped: restart the job." in page
    assert 'data-testid="job-restart"' in page
