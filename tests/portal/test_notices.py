"""The site-wide notices banner: only live, current notices, only for their audience."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django_q.models import Schedule

from apps.portal.models import PortalNotice
from apps.portal.notices import current_notices, publish_scheduled

from ..support import new_client, staff_client_for

pytestmark = pytest.mark.django_db


def notice(title, *, publish=True, **fields):
    item = PortalNotice(title=title, body=f"{title}: details.", live=False, **fields)
    item.save()
    revision = item.save_revision()
    if publish:
        revision.publish()
    item.refresh_from_db()
    return item


def banner(client, url="/"):
    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    return page[page.index('class="notices-banner"'):] if 'class="notices-banner"' in page else ""


def test_everyone_sees_a_published_notice_on_the_home_page():
    notice("Branches close early on Friday")
    assert "Branches close early on Friday" in banner(new_client())


def test_a_draft_is_not_shown(customer):
    notice("Draft only", publish=False)
    assert banner(new_client()) == ""
    assert banner(staff_client_for(customer), "/my/") == ""


def test_an_unpublished_notice_disappears():
    item = notice("Gone soon")
    item.unpublish()
    assert banner(new_client()) == ""


def test_show_from_and_show_until_bound_the_banner():
    now = timezone.now()
    notice("Starts tomorrow", show_from=now + timedelta(days=1))
    notice("Ended yesterday", show_from=now - timedelta(days=3), show_until=now - timedelta(days=1))
    notice("Showing now", show_from=now - timedelta(hours=1), show_until=now + timedelta(hours=1))
    titles = [n.title for n in current_notices(None)]
    assert titles == ["Showing now"]
    later = [n.title for n in current_notices(None, now=now + timedelta(days=2))]
    assert later == ["Starts tomorrow"]


def test_members_notices_are_for_signed_in_members_only(customer, cashier):
    notice("Mobile app update for members", audience=PortalNotice.Audience.MEMBERS)
    assert banner(new_client()) == ""
    assert "Mobile app update for members" in banner(staff_client_for(customer), "/my/")
    assert [n.title for n in current_notices(cashier)] == []


def test_staff_notices_are_for_staff_only(customer, cashier):
    notice("Staff training on Monday", audience=PortalNotice.Audience.STAFF)
    assert banner(new_client()) == ""
    assert banner(staff_client_for(customer), "/my/") == ""
    assert [n.title for n in current_notices(cashier)] == ["Staff training on Monday"]


def test_notice_text_is_escaped():
    notice("<script>alert(1)</script>")
    page = banner(new_client())
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_show_until_must_come_after_show_from():
    now = timezone.now()
    item = PortalNotice(title="Backwards", body="x", show_from=now, show_until=now - timedelta(hours=1))
    with pytest.raises(Exception) as error:
        item.full_clean()
    assert "The notice must stop showing after it starts showing." in str(error.value)


def test_a_scheduled_notice_goes_live_when_the_schedule_runs():
    later = PortalNotice(title="Later", body="y", live=False)
    later.save()
    later.go_live_at = timezone.now() + timedelta(minutes=2)
    later.save_revision(approved_go_live_at=later.go_live_at)
    later.refresh_from_db()
    assert not later.live
    publish_scheduled()
    later.refresh_from_db()
    assert not later.live  # its time has not come
    with time_machine.travel(timezone.now() + timedelta(minutes=5), tick=False):
        publish_scheduled()
        later.refresh_from_db()
        assert later.live
        assert [n.title for n in current_notices(None)] == ["Later"]


def test_scheduled_publishing_runs_as_a_django_q_schedule():
    schedule = Schedule.objects.get(name="Publish scheduled pages and notices")
    assert schedule.func == "apps.portal.notices.publish_scheduled"
    assert schedule.repeats == -1 and schedule.minutes == 5


def test_the_preview_shows_the_banner(make_user, totp_device):
    editor = make_user("content_editor")
    totp_device(editor)
    client = staff_client_for(editor)
    url = reverse("wagtailsnippets_portal_portalnotice:preview_on_add")
    data = {"title": "Previewed notice", "body": "Looks right", "link": "", "level": "warning",
            "audience": "everyone", "show_from": "", "show_until": ""}
    assert client.post(url, data).json()["is_valid"] is True
    page = client.get(url).content.decode()
    assert "Previewed notice" in page and 'class="notices-banner"' in page
