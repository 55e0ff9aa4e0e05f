"""A notice across the portal, in a real browser: one content editor drafts it in /cms/ and submits
it, a second content editor approves (which publishes it), and a member signed in to the portal sees
the banner. Both editors sign in through the staff sign-in with their authenticator code."""

import re
from importlib import import_module

import pytest
from django.apps import apps as django_apps
from wagtail.models import WorkflowState

from apps.portal.models import PortalNotice

from ..support import PASSWORD, add_totp_device, totp_code
from .pages import BROWSER_TEST, SHOTS, new_page

pytestmark = BROWSER_TEST

TITLE = "Branches close at noon on Friday"


@pytest.fixture
def cms_access():
    """The workflow and Wagtail permissions a flush between transactional tests removes."""
    import_module("apps.portal.migrations.0005_cms_access").create(django_apps, None)


def cms_sign_in(page, user, device):
    page.goto("/cms/login/")  # the staff sign-in, with the second factor
    page.wait_for_url(re.compile(r"/admin/login/"))
    page.fill("input[name=username]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=otp_token]", totp_code(device))
    page.click("#login-form button[type=submit]")
    page.wait_for_url(re.compile(r"/cms/$"))


def test_an_editor_drafts_a_notice_a_second_editor_publishes_it_a_member_sees_it(
        browser, live_server, make_user, cms_access):
    from playwright.sync_api import expect

    editor = make_user("content_editor", first_name="Esi", last_name="Ansah")
    editor2 = make_user("content_editor", first_name="Kojo", last_name="Mensah")
    member = make_user("customer", first_name="Kwame", last_name="Appiah")
    devices = {editor.pk: add_totp_device(editor), editor2.pk: add_totp_device(editor2)}

    # The first editor drafts the notice and submits it for approval.
    context, page = new_page(browser, live_server, 1400, 900)
    try:
        cms_sign_in(page, editor, devices[editor.pk])
        page.goto("/cms/snippets/portal/portalnotice/add/")
        page.fill("input[name=title]", TITLE)
        page.fill("textarea[name=body]", "All branches close at 12:00 for the staff day.")
        page.select_option("select[name=audience]", "members")
        page.get_by_role("button", name="More actions").click()
        page.get_by_role("button", name=re.compile("Submit to Second person approval")).click()
        page.wait_for_load_state()
        notice = PortalNotice.objects.get(title=TITLE)
        assert not notice.live
        state = WorkflowState.objects.get(object_id=str(notice.pk))
        assert state.status == WorkflowState.STATUS_IN_PROGRESS and state.requested_by == editor
        # Their own submission offers them no approval.
        page.goto(f"/cms/snippets/portal/portalnotice/edit/{notice.pk}/")
        page.get_by_role("button", name="More actions").click()
        expect(page.get_by_role("button", name="Approve and Publish", exact=True)).to_have_count(0)
    finally:
        context.close()

    # The second editor approves, which publishes it.
    context, page = new_page(browser, live_server, 1400, 900)
    try:
        cms_sign_in(page, editor2, devices[editor2.pk])
        page.goto(f"/cms/snippets/portal/portalnotice/edit/{notice.pk}/")
        page.get_by_role("button", name="More actions").click()
        page.get_by_role("button", name="Approve and Publish", exact=True).click()
        page.wait_for_load_state()
        notice.refresh_from_db()
        assert notice.live
        page.screenshot(path=str(SHOTS / "notice-approved.png"), full_page=True)
    finally:
        context.close()

    # A member sees the banner on the portal; nobody signed out does (it is for members).
    context, page = new_page(browser, live_server, 360, 740)
    try:
        page.goto("/")
        expect(page.get_by_text(TITLE)).to_have_count(0)
        page.goto("/login/")
        page.fill("input[name=username]", member.email)
        page.fill("input[name=password]", PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        banner = page.get_by_role("region", name="Notices")
        expect(banner.get_by_text(TITLE)).to_be_visible()
        expect(banner.get_by_text("All branches close at 12:00 for the staff day.")).to_be_visible()
        page.screenshot(path=str(SHOTS / "notice-banner.png"), full_page=True)
    finally:
        context.close()
