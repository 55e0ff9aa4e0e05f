"""core.eod reports a stopped run through a signal (core imports no app); ledger listens, audits and
e-mails the kind of notification it registered."""

from datetime import date

import pytest

from apps.audit.models import AuditEvent
from apps.core import eod, notify
from apps.core.models import BusinessDay, EndOfDayRun
from apps.core.roles import Role

pytestmark = pytest.mark.django_db


def _broken(**kwargs):
    raise RuntimeError("disk full")


@pytest.fixture
def stopped_run(operations_manager, monkeypatch):
    monkeypatch.setattr(eod, "STEPS", {"broken": eod.Step("broken", 10, _broken, "A broken step")})
    BusinessDay.objects.create(date=date(2026, 3, 2), status=BusinessDay.Status.CLOSING)
    return EndOfDayRun.objects.create(business_date=date(2026, 3, 2), started_by=operations_manager)


def test_a_stopped_run_is_audited_and_mailed_by_the_listeners(stopped_run, operations_manager, administrator,
                                                                manager, mailoutbox):
    run = eod.run_chain(stopped_run.pk)
    assert run.status == EndOfDayRun.Status.FAILED
    event = AuditEvent.objects.get(action="eod.step_failed")
    assert event.details["step"] == "broken" and event.details["error"] == "RuntimeError: disk full"
    [mail] = mailoutbox
    assert sorted(mail.to) == sorted([operations_manager.email, administrator.email])  # the kind's roles
    assert "A broken step" in mail.subject and "RuntimeError: disk full" in mail.body


def test_a_listener_that_fails_does_not_hide_the_failure(stopped_run, caplog):
    heard = []

    def broken_listener(sender, **kwargs):
        raise ValueError("listener broke")

    def listener(sender, *, run, step, error, **kwargs):
        heard.append((run.pk, step.name, error))

    eod.end_of_day_failed.connect(broken_listener, dispatch_uid="test.broken")
    eod.end_of_day_failed.connect(listener, dispatch_uid="test.listener")
    try:
        run = eod.run_chain(stopped_run.pk)
    finally:
        eod.end_of_day_failed.disconnect(dispatch_uid="test.broken")
        eod.end_of_day_failed.disconnect(dispatch_uid="test.listener")
    assert run.status == EndOfDayRun.Status.FAILED
    assert heard == [(stopped_run.pk, "broken", "RuntimeError: disk full")]
    assert "could not report the failure" in caplog.text


def test_the_apps_register_the_kinds_they_send():
    kinds = notify.NOTIFICATION_KINDS
    assert kinds["eod.step_failed"].roles == (Role.OPERATIONS_MANAGER, Role.ADMIN)
    assert kinds["business_day.still_open"].roles == (Role.OPERATIONS_MANAGER,)
    assert kinds["ledger.approvals_waiting"].roles == (Role.MANAGER,)
    assert all(kind.label for kind in kinds.values())


def test_a_registered_kind_reaches_its_roles(monkeypatch, cashier, manager, mailoutbox):
    monkeypatch.setattr(notify, "NOTIFICATION_KINDS", {})
    notify.register_notification_kind("test.kind", "A test", roles=[Role.CASHIER])
    assert notify.notify("test.kind", subject="Hello", body="Body") == 1
    [mail] = mailoutbox
    assert mail.to == [cashier.email] and mail.subject.endswith("Hello")
    with pytest.raises(KeyError):
        notify.notify("nobody.registered.this", subject="x", body="y")


def test_the_job_pages_name_each_job_in_the_words_its_app_registered():
    from apps.core.admin import task_words

    assert task_words("apps.ledger.tasks.scheduled_end_of_day") == "Close the business day (nightly)"
    assert task_words("apps.ledger.dividends.post_lines") == "Post a declared dividend"
    assert task_words("apps.loans.tasks.mark_arrears") == "Mark arrears"  # nobody registered it
