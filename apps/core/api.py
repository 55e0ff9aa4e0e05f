"""GET /api/jobs/{id}/: how far a background job has got, for who started it and administrators
(anyone else gets 404, as for an id that does not exist). Its result file, when it has one, is
downloaded from /api/jobs/{id}/result/ with the same check: results live in private storage and
never have a public media URL."""

from datetime import datetime

from django.http import FileResponse, Http404
from django.urls import reverse
from ninja import Router, Schema

from . import jobs
from .models import JobRun

router = Router(tags=["jobs"])
ROUTERS = [("/jobs/", router)]


class JobOut(Schema):
    id: int
    kind: str
    status: str
    current: int
    total: int | None
    message: str
    started_at: datetime | None
    finished_at: datetime | None
    result_url: str | None


def _job_for(request, job_id: int) -> JobRun:
    job = JobRun.objects.filter(pk=job_id).first()
    if job is None or not jobs.can_see(request.user, job):
        raise Http404("No such job.")
    return job


def job_result_url(job: JobRun) -> str | None:
    if job.result_file:
        return reverse("api:job_result", kwargs={"job_id": job.pk})
    return job.result_url or None


def job_out(job: JobRun) -> dict:
    return {"id": job.pk, "kind": job.kind, "status": jobs.job_status(job), "current": job.current,
            "total": job.total, "message": job.message, "started_at": job.started_at,
            "finished_at": job.finished_at, "result_url": job_result_url(job)}


@router.get("/{int:job_id}/", response=JobOut, summary="A background job's progress")
def job_detail(request, job_id: int):
    return job_out(_job_for(request, job_id))


@router.get("/{int:job_id}/result/", url_name="job_result", summary="Download a finished job's result file")
def job_result(request, job_id: int):
    job = _job_for(request, job_id)
    if not job.result_file or job.status != JobRun.Status.DONE:
        raise Http404("This job has no result file.")
    name = job.result_file.name.rsplit("/", 1)[-1]
    return FileResponse(job.result_file.open("rb"), as_attachment=True, filename=name)
