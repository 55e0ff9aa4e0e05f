"""Background job progress: a `JobRun` row per long django-q2 task (end of day, exports, statements).

The task's caller makes the job (`job_create`) and queues the task with the job's id; the task
calls `job_start` first, which is a conditional queued -> running update: a second worker handed the
same task (django-q2 retries it after `Q_CLUSTER["retry"]` seconds) gets False and must do nothing.
Then `job_progress` as it goes (throttled: it writes at most every `JOB_PROGRESS_SECONDS`, unless
the percent done moved by `JOB_PROGRESS_PERCENT` or more, the total changed, or the job is
complete), and `job_finish` or `job_fail` at the end.

Progress is written outside the caller's transaction where the database allows it, so a page (or
`GET /api/jobs/{id}/`) sees it while a long step is still running:

- PostgreSQL: when the caller is inside `transaction.atomic()`, the update goes through a second
  connection in autocommit (opened for the write, closed after it), with a short lock_timeout. If
  that connection cannot see the row (the job was made in the same, still open transaction) or the
  row is locked by that transaction, the update falls back to the caller's connection (visible at
  its commit).
- SQLite: one writer at a time, so there is no second connection to write with: inside an atomic
  block progress is written in the caller's transaction and becomes visible when it commits.
  Callers that want live progress on SQLite write it between their transactions (the end-of-day
  chain does: one transaction per step, progress between steps).

Every write also pushes a small `job.progress` event (ids and counts only) to the channel group
`user-<started_by id>` with `transaction.on_commit`, so nothing is announced that is rolled back.

A running job whose heartbeat is older than `JOB_STALE_SECONDS` has lost its worker (django-q2
kills a task after `Q_CLUSTER["timeout"]`, which is shorter): it is shown as failed
(`job_status`) and `job_restart` puts it back to queued.

Most jobs are made with `job_queue(kind, task=..., params=...)`: the job names its django-q2
function (called with the job's id alone) and keeps the plain-JSON parameters that function reads,
so the job is queued on commit and `job_requeue` can queue the very same work again after a failure
("Restart" on its page). The function's body is `job_run(job_id, work)`: the conditional start, then
`work(job)`, then `job_finish` with what it returns, or `job_fail`. Timing (coastal_site/settings):
Q_CLUSTER["timeout"] 600 s < Q_CLUSTER["retry"] 720 s < JOB_STALE_SECONDS 900 s. The longest task is
the end-of-day chain (a step per transaction over every account); an export or a five-year
statement of a busy account is meant to take seconds to a few minutes. A task still running at the
timeout is killed by django-q2; its job then has no heartbeat, is shown failed, and may be restarted.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.db.models import F, Q
from django.db.models.sql import UpdateQuery
from django.db.models.sql.constants import ROW_COUNT
from django.utils import timezone

from .models import JobRun

log = logging.getLogger(__name__)

Status = JobRun.Status
ACTIVE = (Status.QUEUED, Status.RUNNING)


def progress_seconds() -> float:
    return float(getattr(settings, "JOB_PROGRESS_SECONDS", 2))


def progress_percent() -> float:
    return float(getattr(settings, "JOB_PROGRESS_PERCENT", 5))


def stale_seconds() -> float:
    """No heartbeat for this long and the worker is gone: above Q_CLUSTER["timeout"] (600 s), after
    which django-q2 has killed the task anyway."""
    return float(getattr(settings, "JOB_STALE_SECONDS", 900))


# --- writing ------------------------------------------------------------------------------------

def _side_connection():
    """A second connection to the default PostgreSQL database (autocommit, no pool, short lock wait).
    One per write: writes are throttled, so this costs a connection every few seconds at most and
    leaves nothing open between them."""
    main = connections[DEFAULT_DB_ALIAS]
    settings_dict = {**main.settings_dict,
                     "OPTIONS": {k: v for k, v in main.settings_dict.get("OPTIONS", {}).items() if k != "pool"}}
    conn = main.__class__(settings_dict, alias=DEFAULT_DB_ALIAS)
    with conn.cursor() as cursor:
        cursor.execute("SET lock_timeout = '500ms'")
    return conn


def _update_aside(pk: int, fields: dict) -> int:
    """UPDATE through a second connection; 0 when it cannot (the row is not visible to it, locked by
    the caller's own transaction, or the connection failed)."""
    query = UpdateQuery(JobRun)
    query.add_filter("pk", pk)
    query.add_update_values(fields)
    conn = None
    try:
        conn = _side_connection()
        return query.get_compiler(connection=conn).execute_sql(ROW_COUNT) or 0
    except DatabaseError:
        log.debug("Job %s: progress written in the caller's transaction", pk, exc_info=True)
        return 0
    finally:
        if conn is not None:
            conn.close()


def _write(job: JobRun, **fields) -> None:
    """UPDATE the job's row, outside the caller's transaction when it can (module doc), and keep the
    instance in step."""
    main = connections[DEFAULT_DB_ALIAS]
    written = 0
    if main.in_atomic_block and main.vendor == "postgresql":
        written = _update_aside(job.pk, fields)
    if not written:
        JobRun.objects.filter(pk=job.pk).update(**fields)
    for name, value in fields.items():
        setattr(job, name, value)


def _push_later(job: JobRun) -> None:
    """Send `job.progress` to the starter's channel group once the caller's transaction commits."""
    if not job.started_by_id:
        return
    event = {"type": "job.progress", "id": job.pk, "kind": job.kind, "status": job.status,
             "current": job.current, "total": job.total}
    group = f"user-{job.started_by_id}"
    transaction.on_commit(lambda: _send(group, event))


def _send(group: str, event: dict) -> None:
    try:
        from asgiref.sync import async_to_sync
        from channels.layers import get_channel_layer

        layer = get_channel_layer()
        if layer is not None:
            async_to_sync(layer.group_send)(group, event)
    except Exception:  # a push that fails must never fail the job; the page polls as well
        log.warning("Could not push %s to %s", event.get("type"), group, exc_info=True)


# --- the service --------------------------------------------------------------------------------

def job_create(kind: str, started_by=None, total: int | None = None, message: str = "") -> JobRun:
    return JobRun.objects.create(kind=kind, started_by=started_by, total=total, message=message[:200])


def job_queue(kind: str, *, started_by, task: str, params: dict | None = None, title: str = "",
              total: int | None = None, message: str = "Waiting for a worker.") -> JobRun:
    """A queued job for `task` (the dotted path of a django-q2 function that takes the job's id and
    reads `job.params`), handed to the workers once the caller's transaction commits."""
    job = JobRun.objects.create(kind=kind, started_by=started_by, task=task, params=params or {},
                                title=title[:120], total=total, message=message[:200])
    _enqueue_later(job)
    return job


def enqueue(task: str, job_id: int, name: str) -> None:
    """Hand the job to django-q2 (a qcluster worker in production; run here and now with
    Q_CLUSTER["sync"], as in the tests). The one place jobs are queued from."""
    from django_q.tasks import async_task

    async_task(task, job_id, task_name=name)


def _enqueue_later(job: JobRun) -> None:
    task, pk, name = job.task, job.pk, f"{(job.title or job.kind)[:80]} (job {job.pk})"  # django-q2: 100 at most
    transaction.on_commit(lambda: enqueue(task, pk, name))


class JobRefused(Exception):
    """Raised by a job's work when it must not go on for a reason the person who started it should
    read (their permission was withdrawn, the account was closed): the job fails with this message."""


def job_run(job_id: int, work) -> str:
    """The body of a queued job's django-q2 task. Starts the job once (a second delivery of the same
    task, or a task for a job that is done, does nothing), calls `work(job)` (which reports progress
    with `job_progress` and returns `job_finish`'s keyword arguments), then finishes the job. An error
    fails the job (its page says so and offers Restart; the error and traceback go to the log) and is
    not raised again: the job is the record, and with Q_CLUSTER["sync"] django-q2 would raise it into
    the request that queued the job. A JobRefused is the job's answer, shown as its message."""
    job = JobRun.objects.select_related("started_by").filter(pk=job_id).first()
    if job is None:
        return f"Job {job_id} does not exist."
    if not job_start(job):
        return f"Job {job_id} is {job.status}: nothing to do."
    try:
        result = work(job) or {}
    except JobRefused as exc:
        job_fail(job, str(exc), message=str(exc))
        return str(exc)
    except Exception as exc:
        log.exception("Job %s (%s) failed", job.pk, job.kind)
        job_fail(job, f"{exc.__class__.__name__}: {exc}", message="Stopped with an error; restart it, or ask "
                                                                  "an administrator if it fails again.")
        return f"Job {job_id} failed: {exc.__class__.__name__}: {exc}"
    job_finish(job, **result)
    return job.message


def job_start(job: JobRun) -> bool:
    """queued -> running, once: False (and nothing changes) when the job is not queued, e.g. a second
    worker was handed the same task."""
    now = timezone.now()
    started = JobRun.objects.filter(pk=job.pk, status=Status.QUEUED).update(
        status=Status.RUNNING, started_at=now, heartbeat_at=now, finished_at=None, error="",
        attempts=F("attempts") + 1)
    job.refresh_from_db()
    if started:
        _push_later(job)
    return bool(started)


def job_progress(job: JobRun, current: int, total: int | None = None, message: str = "", *,
                 force: bool = False) -> bool:
    """Record how far the job has got; True when written (throttled, see the module doc)."""
    now = timezone.now()
    total = job.total if total is None else total
    due = force or job.heartbeat_at is None or total != job.total or (total is not None and current >= total)
    if not due:
        due = (now - job.heartbeat_at).total_seconds() >= progress_seconds()
    if not due and total:
        due = (current - job.current) * 100 / total >= progress_percent()
    if not due:
        return False
    _write(job, current=current, total=total, message=(message or job.message)[:200], heartbeat_at=now)
    _push_later(job)
    return True


def job_finish(job: JobRun, *, message: str = "", result_url: str = "", result_name: str = "",
               result_content=None) -> None:
    """running -> done. `result_content` (a django File or ContentFile) is saved in private storage
    as `result_name`; it is downloaded only through the job's permission-checked result_url."""
    fields = {"status": Status.DONE, "finished_at": timezone.now(), "heartbeat_at": timezone.now(),
              "message": (message or job.message)[:200], "error": ""}
    if job.total is not None:
        fields["current"] = job.total
    if result_url:
        fields["result_url"] = result_url
    if result_content is not None:
        job.result_file.save(result_name or f"job-{job.pk}", result_content, save=False)
        fields["result_file"] = job.result_file.name
    _write(job, **fields)
    _push_later(job)


def job_fail(job: JobRun, error: str, message: str = "") -> None:
    _write(job, status=Status.FAILED, finished_at=timezone.now(), error=error,
           message=(message or "Stopped with an error.")[:200])
    _push_later(job)


def stale_cutoff():
    return timezone.now() - timedelta(seconds=stale_seconds())


def stale_jobs():
    """Running jobs whose worker is gone (no heartbeat for JOB_STALE_SECONDS)."""
    return JobRun.objects.filter(status=Status.RUNNING).filter(
        Q(heartbeat_at__lt=stale_cutoff()) | Q(heartbeat_at__isnull=True, started_at__lt=stale_cutoff()))


def is_stale(job: JobRun) -> bool:
    if job.status != Status.RUNNING:
        return False
    seen = job.heartbeat_at or job.started_at
    return seen is not None and seen < stale_cutoff()


def job_status(job: JobRun) -> str:
    """The status to show: a stale running job is failed."""
    return Status.FAILED if is_stale(job) else job.status


def job_restart(job: JobRun) -> bool:
    """failed (or stale running) -> queued, so a task can `job_start` it again; False otherwise."""
    restarted = JobRun.objects.filter(pk=job.pk).filter(
        Q(status=Status.FAILED) | Q(pk__in=stale_jobs().values("pk"))).update(
        status=Status.QUEUED, finished_at=None, message="Queued again.")
    job.refresh_from_db()
    if restarted:
        _push_later(job)
    return bool(restarted)


def job_requeue(job: JobRun) -> bool:
    """Restart a failed (or stale) job that was made with `job_queue`: back to queued, and its task is
    queued again on commit. False, and nothing queued, when the job is not failed or has no task of
    its own. Only the queued -> running start runs the work, so a restart clicked twice, or arriving
    beside django-q2's own retry, still runs it once."""
    if not job.task or not job_restart(job):
        return False
    _enqueue_later(job)
    return True


def can_restart(user, job: JobRun) -> bool:
    """Who may restart the job from its page: who started it, or an administrator, when it failed."""
    return bool(job.task) and job_status(job) == Status.FAILED and can_see(user, job)


def can_see(user, job: JobRun) -> bool:
    """Who started the job, or an administrator (the API's rule)."""
    if not user.is_authenticated:
        return False
    from .roles import Role

    return job.started_by_id == user.pk or user.is_superuser or getattr(user, "role", None) == Role.ADMIN


# kind -> permission: console pages that show a kind of job to everyone who may use the page (the
# end-of-day page shows a run to every operations manager, whoever started it).
VIEWER_PERMS: dict[str, str] = {}


def register_viewers(kind: str, perm: str) -> None:
    VIEWER_PERMS[kind] = perm


def can_watch(user, job: JobRun) -> bool:
    """The console's rule: can_see, or the permission registered for the job's kind."""
    perm = VIEWER_PERMS.get(job.kind)
    return can_see(user, job) or bool(perm and user.is_authenticated and user.has_perm(perm))
