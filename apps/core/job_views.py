"""The console's job progress bar: a partial that htmx polls every 2 s while the job runs
(`{% include "core/job_progress.html" with progress=... %}`, `progress_context(job)`; the websocket
push comes with messaging)."""

from django.http import Http404
from django.shortcuts import render

from . import jobs
from .models import JobRun


def progress_context(job: JobRun, *, reload_when_over: bool = False) -> dict:
    """`reload_when_over`: when the polled job ends, htmx reloads the whole page (the end-of-day page,
    whose step table is drawn by the server), instead of only drawing the finished bar."""
    from .api import job_result_url

    status = jobs.job_status(job)
    return {"job": job, "status": status, "polling": status in jobs.ACTIVE, "reload": reload_when_over,
            "percent": job.percent if status != JobRun.Status.DONE else 100,
            "result_url": job_result_url(job) if status == JobRun.Status.DONE else None}


def job_progress_view(request, pk: int):
    job = JobRun.objects.filter(pk=pk).first()
    if job is None or not jobs.can_watch(request.user, job):
        raise Http404("No such job.")
    progress = progress_context(job, reload_when_over=request.GET.get("reload") == "1")
    response = render(request, "core/job_progress.html", {"progress": progress})
    if progress["reload"] and not progress["polling"] and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"
    return response


def admin_urls(site):
    from django.urls import path

    return [path("jobs/<int:pk>/progress/", site.admin_view(job_progress_view), name="job_progress")]
