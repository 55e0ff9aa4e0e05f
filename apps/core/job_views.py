"""The console's job progress bar: a partial that htmx polls every 2 s while the job runs
(`{% include "core/job_progress.html" with progress=... %}`, `progress_context(job)`; the websocket
push comes with messaging)."""

from django.http import Http404
from django.shortcuts import render

from . import jobs
from .models import JobRun


def progress_context(job: JobRun) -> dict:
    from .api import job_result_url

    status = jobs.job_status(job)
    return {"job": job, "status": status, "polling": status in jobs.ACTIVE,
            "percent": job.percent if status != JobRun.Status.DONE else 100,
            "result_url": job_result_url(job) if status == JobRun.Status.DONE else None}


def job_progress_view(request, pk: int):
    job = JobRun.objects.filter(pk=pk).first()
    if job is None or not jobs.can_watch(request.user, job):
        raise Http404("No such job.")
    return render(request, "core/job_progress.html", {"progress": progress_context(job)})


def admin_urls(site):
    from django.urls import path

    return [path("jobs/<int:pk>/progress/", site.admin_view(job_progress_view), name="job_progress")]
