"""core.eod reports a stopped run through a signal (core imports no app); ledger listens, audits and
notifies (bell and e-mail) the kind of notification it registered in core's registry."""

from datetime import date

import pytest

from apps.audit.models import AuditEvent
from apps.core import eod, notify
from apps.core.models import BusinessDay, EndOfDayRun
from apps.core.roles import Role
from apps.messaging.models import Notification

pytestmark = pytest.mark.django_db


def _broken(**kwargs):
    raise RuntimeError("disk full")


@pytest.fixture
def stopped_run(operations_manager, monkeypatch):
    monkeypatch.setattr(eod, "STEPS", {"broken": eod.Step("broken", 10, _broken, "A broken step")})
    BusinessDay.objects.create(date=date(2026, 3, 2), status=BusinessDay.Status.CLOSING)
    return EndOfDayRun.objects.create(business_date=date(2026, 3, 2), started_by=operations_manager)


def test_a_stopped_run_is_audited_and_mailed_by_the_listeners(stopped_run, operations_manager, administrator,
                                                                manager, mailoutbox,
                                                                django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # e-mails go after the commit
        run = eod.run_chain(stopped_run.pk)
    assert run.status == EndOfDayRun.Status.FAILED
    event = AuditEvent.objects.get(action="eod.step_failed")
    assert event.details["step"] == "broken" and event.details["error"] == "RuntimeError: disk full"
    # the kind's roles, one e-mail each (nobody sees who else was told); not the manager
    assert sorted(address for mail in mailoutbox for address in mail.to) == sorted(
        [operations_manager.email, administrator.email])
    assert all("A broken step" in mail.subject and "RuntimeError: disk full" in mail.body for mail in mailoutbox)
    told = Notification.objects.filter(kind="eod.step_failed")
    assert sorted(told.values_list("user_id", flat=True)) == sorted([operations_manager.pk, administrator.pk])


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


def test_a_registered_kind_reaches_its_roles(monkeypatch, cashier, manager, mailoutbox,
                                             django_capture_on_commit_callbacks):
    from apps.messaging.services import notify as tell

    monkeypatch.setattr(notify, "NOTIFICATION_KINDS", {})
    kind = notify.register_notification_kind("test.kind", "A test", roles=[Role.CASHIER], email_default=True)
    with django_capture_on_commit_callbacks(execute=True):
        assert len(tell(kind.roles, "test.kind", "Hello", "Body")) == 1
    [mail] = mailoutbox
    assert mail.to == [cashier.email] and mail.subject.endswith("Hello")
    with pytest.raises(KeyError):
        tell(kind.roles, "nobody.registered.this", "x", "y")
    assert notify.kinds_for_role(Role.CASHIER) == [kind] and notify.kinds_for_role(Role.MANAGER) == []
    with pytest.raises(ValueError):
        notify.register_notification_kind("test.bad", "Bad", roles=["teller"])


def test_the_job_pages_name_each_job_in_the_words_its_app_registered():
    from apps.core.admin import task_words

    assert task_words("apps.ledger.tasks.scheduled_end_of_day") == "Close the business day (nightly)"
    assert task_words("apps.ledger.dividends.post_lines") == "Post a declared dividend"
    assert task_words("apps.loans.tasks.mark_arrears") == "Mark arrears"  # nobody registered it
