"""The end-of-day chain: a registry of steps that apps contribute, and the runner.

Apps register their steps in AppConfig.ready() with `register_step(name, position, func)`, and may
connect to `end_of_day_failed` to hear about a run that stopped (`core` imports no app);
`func(business_date, actor)` must be idempotent (safe to run again after a crash: it records
what it did per account and period and skips what is already recorded) and returns a small
dict for the summary. The runner runs them in position order, one database transaction per
step, marks each done, and stops at the first failure.

Each run has a background job (`JobRun`, kind "end_of_day", apps/core/jobs.py): the runner starts it
with a conditional queued -> running update (a second worker handed the same run does nothing), sets
current = steps done and total = steps between steps (outside the steps' transactions, so the
console's progress bar moves on SQLite too), and finishes or fails it with the run. A run whose job
lost its worker (no heartbeat for JOB_STALE_SECONDS) is released with `release_stale` and resumed.
"""

import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from . import jobs
from .models import BusinessDay, EndOfDayRun, EndOfDayStep, JobRun
from .money import format_money

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Step:
    name: str
    position: int
    func: Callable
    label: str


STEPS: dict[str, Step] = {}
# Sent when a step fails and the run stops: run (EndOfDayRun), step (Step), error (words).
end_of_day_failed = Signal()
# What each key of a step's result means, for the end-of-day report: key -> (words, is an amount of money).
RESULT_LABELS: dict[str, tuple[str, bool]] = {}
PLAIN_VALUES = {"ok": "Balanced", "none": "None"}


def register_step(name: str, position: int, func: Callable, label: str = "",
                  results: dict[str, str | tuple[str, bool]] | None = None) -> None:
    """`results` names the keys the step returns in words ({"susu_commission": ("Susu commission", True)},
    True for an amount of money), so the report never shows an internal key."""
    STEPS[name] = Step(name=name, position=position, func=func, label=label or name.replace("_", " ").capitalize())
    for key, words in (results or {}).items():
        RESULT_LABELS[key] = words if isinstance(words, tuple) else (words, False)


def describe_result(result: dict) -> list[tuple[str, str]]:
    """A step's result as (words, value) pairs for people: amounts as GH₵ with two places."""

    rows = []
    for key, value in (result or {}).items():
        words, is_money = RESULT_LABELS.get(key, (key.replace("_", " ").capitalize(), False))
        if is_money:
            value = format_money(value)  # text that is not a number comes back unchanged
        elif isinstance(value, str):
            value = PLAIN_VALUES.get(value, value[:1].upper() + value[1:])
        rows.append((words, str(value)))
    return rows


def ordered_steps() -> list[Step]:
    return sorted(STEPS.values(), key=lambda step: step.position)


JOB_KIND = "end_of_day"
# Whoever may watch end-of-day runs sees their progress bar in the console, whoever started them.
jobs.register_viewers(JOB_KIND, "core.view_endofdayrun")


def run_job(run: EndOfDayRun) -> JobRun:
    """The run's job, made (queued) the first time it is asked for."""
    if run.job_id:
        return run.job
    job = jobs.job_create(JOB_KIND, run.started_by, total=len(STEPS), message="Waiting for a worker.")
    if not EndOfDayRun.objects.filter(pk=run.pk, job__isnull=True).update(job=job):
        job.delete()  # another process attached one first
        run.refresh_from_db()
        return run.job
    run.job = job
    return job


def _claim(run: EndOfDayRun) -> JobRun | None:
    """The run's job, started by this worker; None when another worker is on it."""
    job = run_job(run)
    if job.status != JobRun.Status.QUEUED and not jobs.job_restart(job):
        return None  # running with a live heartbeat: someone else's
    return job if jobs.job_start(job) else None


def release_stale(run: EndOfDayRun) -> bool:
    """A running run whose worker is gone (its job has no heartbeat for JOB_STALE_SECONDS) is marked
    failed, with the step it was on, so it can be resumed. False when the run is not stale."""
    job = run.job
    if run.status != EndOfDayRun.Status.RUNNING or job is None or not jobs.is_stale(job):
        return False
    error = "The worker running this step stopped (no heartbeat); resume the run."
    with transaction.atomic():
        if not EndOfDayRun.objects.filter(pk=run.pk, status=EndOfDayRun.Status.RUNNING).update(
                status=EndOfDayRun.Status.FAILED, finished_at=timezone.now()):
            return False
        EndOfDayStep.objects.filter(run=run, status=EndOfDayStep.Status.RUNNING).update(
            status=EndOfDayStep.Status.FAILED, finished_at=timezone.now(), error=error)
        jobs.job_fail(job, error, message="The worker stopped.")
    run.refresh_from_db()
    return True


def run_chain(run_id: int) -> EndOfDayRun:
    """Run (or resume) an end-of-day run. Called by the django-q2 task; safe to call twice."""
    run = EndOfDayRun.objects.select_related("started_by", "job").get(pk=run_id)
    if run.status == EndOfDayRun.Status.COMPLETED:
        return run
    job = _claim(run)
    if job is None:
        return run
    EndOfDayRun.objects.filter(pk=run.pk).update(status=EndOfDayRun.Status.RUNNING)
    steps = ordered_steps()
    done = set(run.steps.filter(status=EndOfDayStep.Status.DONE).values_list("name", flat=True))
    for step in steps:
        record, _ = EndOfDayStep.objects.get_or_create(run=run, name=step.name, defaults={"position": step.position})
        if record.status == EndOfDayStep.Status.DONE:
            continue
        jobs.job_progress(job, sum(1 for s in steps if s.name in done), len(steps), message=f"{step.label}…",
                          force=True)
        EndOfDayStep.objects.filter(pk=record.pk).update(status=EndOfDayStep.Status.RUNNING,
                                                         started_at=timezone.now(), attempts=record.attempts + 1)
        try:
            with transaction.atomic():
                result = step.func(business_date=run.business_date, actor=run.started_by) or {}
                EndOfDayStep.objects.filter(pk=record.pk).update(
                    status=EndOfDayStep.Status.DONE, finished_at=timezone.now(), result=result, error="")
        except Exception as exc:  # any failure stops the chain; it is reported and can be re-run
            log.exception("End of day %s: step %s failed", run.business_date, step.name)
            EndOfDayStep.objects.filter(pk=record.pk).update(
                status=EndOfDayStep.Status.FAILED, finished_at=timezone.now(),
                error=f"{exc.__class__.__name__}: {exc}\n\n{traceback.format_exc(limit=6)}")
            EndOfDayRun.objects.filter(pk=run.pk).update(status=EndOfDayRun.Status.FAILED, finished_at=timezone.now())
            jobs.job_fail(job, f"{exc.__class__.__name__}: {exc}", message=f"Stopped at {step.label}.")
            _report_failure(run, step, exc)
            run.refresh_from_db()
            return run
        done.add(step.name)
    jobs.job_progress(job, len(steps), len(steps), message="Closing the business day…", force=True)
    try:
        _finish(run)
    except Exception as exc:
        jobs.job_fail(job, f"{exc.__class__.__name__}: {exc}", message="Could not close the business day.")
        raise
    jobs.job_finish(job, message="Business day closed.")
    run.refresh_from_db()
    return run


def _finish(run: EndOfDayRun) -> None:
    summary = {step.name: step.result for step in run.steps.all()}
    with transaction.atomic():
        EndOfDayRun.objects.filter(pk=run.pk).update(status=EndOfDayRun.Status.COMPLETED, finished_at=timezone.now(),
                                                     summary=summary)
        day = BusinessDay.objects.select_for_update().get(date=run.business_date)
        day.status, day.closed_at, day.closed_by = BusinessDay.Status.CLOSED, timezone.now(), run.started_by
        day._history_user = run.started_by  # the run happens in a job, outside any request
        day.save(update_fields=["status", "closed_at", "closed_by"])


def _report_failure(run: EndOfDayRun, step: Step, exc: Exception) -> None:
    """Tell whoever listens (ledger audits the failure and e-mails the people who can resume it). A
    listener that fails is logged and does not hide the failure being reported."""
    error = f"{exc.__class__.__name__}: {exc}"
    for receiver, response in end_of_day_failed.send_robust(sender=EndOfDayRun, run=run, step=step, error=error):
        if isinstance(response, Exception):
            log.error("End of day %s: %r could not report the failure", run.business_date, receiver,
                      exc_info=response)


def failed_runs_count() -> int:
    """End-of-day runs that stopped and wait for someone to resume them."""
    return EndOfDayRun.objects.filter(status=EndOfDayRun.Status.FAILED).count()


def failed_end_of_day_badge(request):
    """Sidebar badge: a stopped end-of-day run waits for someone to resume it."""
    return failed_runs_count() or None
