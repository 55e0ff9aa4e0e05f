"""An export in the browser (issue 15): an operations manager starts the members export from the list,
watches its progress bar move on the job's page, and downloads the file from the "Download" link."""

import threading
import time

import pytest
from django.db import connections
from django.utils.module_loading import import_string

from apps.audit import exports
from apps.core import jobs
from apps.core.models import JobRun
from tests.ledger.factories import make_member

from ..support import PASSWORD, add_totp_device, totp_code
from .pages import BROWSER_TEST, SHOTS, new_page

pytestmark = BROWSER_TEST

MEMBERS = 18


@pytest.fixture
def worker(monkeypatch, settings, tmp_path):
    """A stand-in for the qcluster worker, for this test only.

    In production `jobs.enqueue` hands the job to django-q2 and a qcluster worker runs it while the
    browser follows the job's page. The test settings run django-q2 tasks inside the request
    (Q_CLUSTER["sync"]), which would finish the export before its page is ever drawn, so here
    `jobs.enqueue` starts the task in a thread of its own instead, a second after the request that
    queued it, and each progress report of the export waits a little, so the bar has time to move
    between the page's polls (the live server speaks HTTP only, so this is the poll fallback; the
    push is the next test's). Nothing else is changed: the task, its progress writes, the page and
    its poll are production code. On in-memory SQLite the thread uses the test's database connection,
    as Django's live server thread does (a new connection would see an empty database)."""
    threads = []
    main = connections["default"]
    share = main.vendor == "sqlite" and main.is_in_memory_db()

    def enqueue(task, job_id, name):
        def run():
            if share:
                main.inc_thread_sharing()
                connections["default"] = main
            try:
                time.sleep(1.0)
                import_string(task)(job_id)
            finally:
                if share:
                    main.dec_thread_sharing()
                else:
                    connections.close_all()

        thread = threading.Thread(target=run, name=f"worker-{job_id}", daemon=True)
        threads.append(thread)
        thread.start()

    real_progress = exports.export_progress

    def slow_progress(job, done, total):
        real_progress(job, done, total)
        time.sleep(1.5)

    settings.JOB_PROGRESS_SECONDS = 0  # every report is written, for the bar to show each step
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path)
    monkeypatch.setattr(jobs, "enqueue", enqueue)
    monkeypatch.setattr(exports, "EXPORT_PROGRESS_ROWS", 3)
    monkeypatch.setattr(exports, "export_progress", slow_progress)
    yield threads
    for thread in threads:
        thread.join(timeout=60)


@pytest.fixture
def people(make_user):
    operations = make_user("operations_manager", first_name="Kojo", last_name="Annan")
    cashier = make_user("cashier", first_name="Ama", last_name="Owusu")
    for n in range(MEMBERS):
        make_member(registrar=cashier, first_name=f"Member{n:02d}", last_name="Boateng", phone=f"02441000{n:02d}")
    return {"operations": operations}


def test_an_export_shows_its_progress_bar_moving_then_a_download(browser, live_server, people, worker):
    from playwright.sync_api import expect

    user = people["operations"]
    device = add_totp_device(user)
    context, page = new_page(browser, live_server, 1400, 900)
    page.goto("/admin/login/")
    page.fill("input[name=username]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=otp_token]", totp_code(device))
    page.click("#login-form button[type=submit]")
    page.wait_for_load_state()

    page.goto("/admin/members/member/")
    page.get_by_role("link", name="Export").click()
    page.wait_for_url("**/admin/members/member/export/**")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url("**/admin/jobs/*/")
    bar = page.get_by_test_id("job-progress")
    expect(bar).to_be_visible()
    expect(page.get_by_text("Members export").first).to_be_visible()

    seen = []  # (status, aria-valuenow) as the page shows them, without reloading it
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline:
        state = (bar.get_attribute("data-status"), bar.get_attribute("aria-valuenow"))
        if not seen or seen[-1] != state:
            seen.append(state)
        if state[0] in ("done", "failed"):
            break
        time.sleep(0.2)
    page.screenshot(path=str(SHOTS / "export-progress.png"))
    assert seen[-1] == ("done", str(MEMBERS)), seen
    statuses = [status for status, _ in seen]
    assert "running" in statuses, seen  # it was seen running before it was done
    running_values = {value for status, value in seen if status == "running"}
    assert len(running_values) >= 2, seen  # the bar moved while the export ran
    assert page.get_by_test_id("job-status").inner_text() == "Done"
    expect(bar).to_contain_text(f"{MEMBERS} of {MEMBERS} (100 %)")

    download_link = page.get_by_test_id("job-download")
    expect(download_link).to_have_text("Download")
    with page.expect_download() as info:
        download_link.click()
    download = info.value
    assert download.suggested_filename.startswith("Member-") and download.suggested_filename.endswith(".csv")
    content = open(download.path(), encoding="utf-8-sig").read()
    header = content.splitlines()[0].split(",")
    assert header[0] == "member_number" and "first_name" in header and "national_id_masked" in header
    assert sum(1 for line in content.splitlines()[1:] if "Boateng" in line) == MEMBERS
    context.close()


def test_the_bar_redraws_at_once_on_its_own_jobs_push(browser, live_server, people):
    """The progress bar listens for live:job.progress (live.js re-dispatches the websocket's events on
    <body>; the live server has no websocket, so the test dispatches them as live.js would): its own
    job's event makes htmx redraw it at once, another job's does not. htmx tells which event asked
    for each redraw (htmx:confirm's triggeringEvent; none for the 2 s poll), so the poll running
    beside it cannot be mistaken for the push."""
    from playwright.sync_api import expect

    user = people["operations"]
    job = jobs.job_create("export", user, total=10)
    JobRun.objects.filter(pk=job.pk).update(title="Members export", task="apps.audit.tasks.export_job")
    device = add_totp_device(user)
    context, page = new_page(browser, live_server, 1400, 900)
    page.goto("/admin/login/")
    page.fill("input[name=username]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=otp_token]", totp_code(device))
    page.click("#login-form button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"/admin/jobs/{job.pk}/")
    expect(page.get_by_test_id("job-progress")).to_have_attribute("aria-valuenow", "0")
    page.evaluate("""() => {
        window.redrawnBy = [];
        document.body.addEventListener("htmx:confirm", (e) => {
            const by = e.detail.triggeringEvent;
            window.redrawnBy.push(by && by.type && by.type.startsWith("live:") ? by.type + "#" + by.detail.id : "poll");
        });
    }""")

    jobs.job_start(job)
    jobs.job_progress(job, 4, force=True)
    push = ("id => document.body.dispatchEvent("
            "new CustomEvent('live:job.progress', {detail: {type: 'job.progress', id}}))")
    page.evaluate(push, job.pk + 1000)  # someone else's job
    page.wait_for_timeout(700)
    assert not [by for by in page.evaluate("window.redrawnBy") if by != "poll"]
    page.evaluate(push, job.pk)
    page.wait_for_function(f"() => window.redrawnBy.includes('live:job.progress#{job.pk}')", timeout=2000)
    expect(page.get_by_test_id("job-progress")).to_have_attribute("aria-valuenow", "4")
    expect(page.get_by_test_id("job-progress")).to_have_attribute("data-status", "running")
    context.close()
