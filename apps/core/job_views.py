"""The console's background-job screens.

- The progress bar partial (`{% include "core/job_progress.html" with progress=... %}`,
  `progress_context(job, user=request.user)`): while the job runs, htmx redraws it at once when the
  websocket brings this job's `job.progress` event (live.js turns it into `live:job.progress` on
  <body>) and every 2 s anyway, so it keeps moving when the socket is down. A finished job shows
  "Download"; a failed one a "Restart" button for who started it (or an administrator) when the job
  can run again (`jobs.can_restart`).
- `admin:job_page` (/admin/jobs/<id>/): a job's own page, where an export leads.
- `admin:job_result` (/admin/jobs/<id>/result/): the result file, for who started the job and
  administrators only (404 for anyone else), from private storage; the console's twin of
  GET /api/jobs/{id}/result/.
- `admin:job_restart` (POST /admin/jobs/<id>/restart/): `jobs.job_requeue`, then back to the page the
  button was on (its Referer, when it is one of ours), else the job's page.
"""

from django.contrib import admin, messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from . import jobs
from .models import JobRun


def progress_context(job: JobRun, *, reload_when_over: bool = False, user=None) -> dict:
    """`reload_when_over`: when the polled job ends, htmx reloads the whole page (the end-of-day page,
    whose step table is drawn by the server), instead of only drawing the finished bar. `user`: who
    looks, for the Restart button (none without one)."""
    status = jobs.job_status(job)
    return {"job": job, "status": status, "polling": status in jobs.ACTIVE, "reload": reload_when_over,
            "percent": job.percent if status != JobRun.Status.DONE else 100,
            "result_url": result_url(job) if status == JobRun.Status.DONE else None,
            "result_name": job.result_file.name.rsplit("/", 1)[-1] if job.result_file else "",
            "can_restart": user is not None and jobs.can_restart(user, job),
            "stale": jobs.is_stale(job)}


def result_url(job: JobRun) -> str | None:
    """Where the console downloads a finished job's result: its file through the checked download,
    or the page it names."""
    if job.result_file:
        return reverse("admin:job_result", args=[job.pk])
    return job.result_url or None


def _watched(request, pk: int) -> JobRun:
    job = JobRun.objects.filter(pk=pk).first()
    if job is None or not jobs.can_watch(request.user, job):
        raise Http404("No such job.")
    return job


def _own(request, pk: int) -> JobRun:
    job = JobRun.objects.filter(pk=pk).first()
    if job is None or not jobs.can_see(request.user, job):
        raise Http404("No such job.")
    return job


def job_progress_view(request, pk: int):
    job = _watched(request, pk)
    progress = progress_context(job, reload_when_over=request.GET.get("reload") == "1", user=request.user)
    response = render(request, "core/job_progress.html", {"progress": progress})
    if progress["reload"] and not progress["polling"] and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"
    return response


def job_page_view(request, pk: int):
    job = _watched(request, pk)
    back = job.params.get("back") if isinstance(job.params, dict) else None
    if back and not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = None
    context = {**admin.site.each_context(request), "title": job.title or "Background job", "job": job,
               "progress": progress_context(job, user=request.user), "back": back}
    return render(request, "core/job_page.html", context)


def job_result_view(request, pk: int):
    job = _own(request, pk)
    if not job.result_file or job.status != JobRun.Status.DONE:
        raise Http404("This job has no result file.")
    name = job.result_file.name.rsplit("/", 1)[-1]
    return FileResponse(job.result_file.open("rb"), as_attachment=True, filename=name)


@require_POST
def job_restart_view(request, pk: int):
    job = _own(request, pk)
    if jobs.can_restart(request.user, job) and jobs.job_requeue(job):
        messages.success(request, "Restarted: the job is queued again and this page follows it.")
    else:
        messages.error(request, "Only a job that failed can be restarted; this one is "
                                f"{jobs.job_status(job)}.")
    following = request.headers.get("Referer", "")  # the page whose Restart button was pressed
    if not url_has_allowed_host_and_scheme(following, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()) or "/progress/" in following:
        following = reverse("admin:job_page", args=[job.pk])
    return redirect(following)


def admin_urls(site):
    from django.urls import path

    return [
        path("jobs/<int:pk>/", site.admin_view(job_page_view), name="job_page"),
        path("jobs/<int:pk>/progress/", site.admin_view(job_progress_view), name="job_progress"),
        path("jobs/<int:pk>/result/", site.admin_view(job_result_view), name="job_result"),
        path("jobs/<int:pk>/restart/", site.admin_view(job_restart_view), name="job_restart"),
    ]
