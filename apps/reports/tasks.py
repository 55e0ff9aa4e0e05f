"""django-q2 tasks of the reports app. They may be delivered twice: `jobs.job_run` starts a job once."""

from apps.core import jobs

from .services import statement_run


def statement_job(job_id: int) -> str:
    """Produce a queued statement's file (apps/reports/services.py)."""
    return jobs.job_run(job_id, statement_run)
