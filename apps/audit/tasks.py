"""django-q2 tasks of the audit app. They may be delivered twice: `jobs.job_run` starts a job once."""

from apps.core import jobs

from .exports import export_run


def export_job(job_id: int) -> str:
    """Build a queued export's file (apps/audit/exports.py)."""
    return jobs.job_run(job_id, export_run)
