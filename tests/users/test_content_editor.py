"""Content editors: they edit the public website in Wagtail (/cms/) through the staff sign-in with a
second factor, submit their work for a second person's approval, and are refused everything else
(the console, member data, money). Administrators manage pages too; members and cashiers do not."""

import pytest
from django.urls import reverse
from wagtail.models import Page, WorkflowState

from apps.portal.models import HomePage, PortalNotice

from ..support import PASSWORD, api_login, new_client, staff_client_for, totp_code

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
NOTICES = "wagtailsnippets_portal_portalnotice"


@pytest.fixture
def editor(make_user, totp_device):
    user = make_user("content_editor")
    totp_device(user)
    return user


@pytest.fixture
def editor2(make_user, totp_device):
    user = make_user("content_editor")
    totp_device(user)
    return user


def verified(make_user, totp_device, role):
    user = make_user(role)
    totp_device(user)
    return user


# --- signing in ------------------------------------------------------------------------------------

def test_the_cms_sign_in_asks_an_editor_for_the_second_factor(editor):
    client = new_client()
    response = client.get("/cms/login/?next=/cms/pages/")
    assert response.status_code == 302 and response["Location"] == "/admin/login/?next=%2Fcms%2Fpages%2F"

    refused = client.post(f"{LOGIN}?next=/cms/", {"username": editor.email, "password": PASSWORD})
    assert refused.status_code == 200
    assert "Enter the code from your authenticator app" in refused.content.decode() or \
        "code" in refused.content.decode().lower()
    assert client.session.get("_auth_user_id") is None

    device = editor.totpdevice_set.get()
    response = client.post(f"{LOGIN}?next=/cms/", {"username": editor.email, "password": PASSWORD,
                                                    "otp_token": totp_code(device)})
    assert response.status_code == 302 and response["Location"] == "/cms/"
    assert client.get("/cms/").status_code == 200


def test_an_editor_signing_in_without_a_destination_lands_in_the_cms(editor):
    client = new_client()
    device = editor.totpdevice_set.get()
    response = client.post(LOGIN, {"username": editor.email, "password": PASSWORD, "otp_token": totp_code(device)})
    assert response.status_code == 302 and response["Location"] == "/cms/"


def test_an_editor_signed_in_without_the_second_factor_is_sent_back_to_sign_in(editor):
    unverified = new_client()
    unverified.force_login(editor, backend="django.contrib.auth.backends.ModelBackend")
    response = unverified.get("/cms/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


# --- what an editor may do in /cms/ --------------------------------------------------------------

def test_an_editor_can_edit_pages_images_and_notices(editor):
    client = staff_client_for(editor)
    home = HomePage.objects.get()
    for url in ("/cms/", "/cms/pages/", f"/cms/pages/{home.pk}/edit/", f"/cms/pages/add/portal/contentpage/{home.pk}/",
                "/cms/images/", "/cms/images/add/", reverse(f"{NOTICES}:list"), reverse(f"{NOTICES}:add")):
        assert client.get(url).status_code == 200, url


def test_an_editor_cannot_publish_a_page_directly_but_submits_it(editor):
    client = staff_client_for(editor)
    home = HomePage.objects.get()
    response = client.post(f"/cms/pages/add/portal/contentpage/{home.pk}/", {
        "title": "Branch hours over the holidays", "slug": "holiday-hours", "summary": "Shorter hours",
        "body-count": "0", "action-publish": "action-publish"})
    page = Page.objects.get(slug="holiday-hours")
    assert response.status_code == 302
    assert not page.live  # publishing is not the editor's own decision
    assert not page.permissions_for_user(editor).can_publish()
    assert page.permissions_for_user(editor).can_edit()


def test_the_administrator_may_manage_the_page_tree(make_user, totp_device):
    admin = verified(make_user, totp_device, "admin")
    assert not admin.is_superuser
    client = staff_client_for(admin)
    home = HomePage.objects.get()
    assert client.get(f"/cms/pages/{home.pk}/edit/").status_code == 200
    permissions = home.permissions_for_user(admin)
    assert permissions.can_edit() and permissions.can_publish() and permissions.can_delete()


@pytest.mark.parametrize("role", ["customer", "cashier", "mobile_banker"])
def test_members_and_tellers_are_refused_the_cms(make_user, role):
    client = staff_client_for(make_user(role))
    response = client.get("/cms/pages/")
    assert response.status_code in (302, 403)
    assert client.get(reverse(f"{NOTICES}:add")).status_code in (302, 403)
    assert PortalNotice.objects.count() == 0


# --- refused everywhere else -----------------------------------------------------------------------

def test_the_console_front_page_sends_an_editor_to_the_cms(editor):
    client = staff_client_for(editor)
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"] == "/cms/"


@pytest.mark.parametrize("url", ["/admin/users/user/", "/admin/members/member/", "/admin/ledger/account/",
                                 "/admin/ledger/transaction/"])
def test_an_editor_is_refused_every_console_page_with_a_plain_message(editor, url):
    response = staff_client_for(editor).get(url)
    assert response.status_code == 403
    page = response.content.decode()
    assert "The staff console is not part of your role" in page
    assert "Content editors work on the website at /cms/" in page


def test_an_editor_is_not_staff(editor):
    # is_staff opens the console and every member's data and money: none of it is theirs.
    assert not editor.is_staff and not editor.is_superuser


def test_an_editor_is_refused_an_api_sign_in(editor):
    response, tokens = api_login(editor.email, otp=totp_code(editor.totpdevice_set.get()))
    assert response.status_code == 403 and tokens is None
    assert response.json()["detail"].startswith("Content editors work on the website at /cms/")


@pytest.mark.parametrize("url", ["/api/accounts/", "/api/members/", "/api/transactions/", "/api/loans/"])
def test_an_editors_cms_session_reaches_no_api_endpoint(editor, url):
    response = staff_client_for(editor).get(url)
    assert response.status_code == 403
    assert response.json() == {"detail": "Content editors work on the website at /cms/; the API (members, accounts "
                                         "and money) is not part of their role.", "code": "role_refused"}


def test_an_editor_cannot_sign_in_to_the_member_portal(editor):
    client = new_client()
    response = client.post("/login/", {"username": editor.email, "password": PASSWORD,
                                       "otp_token": totp_code(editor.totpdevice_set.get())})
    assert response.status_code == 200
    assert "Content editors sign in to the website editor at /cms/" in response.content.decode()
    assert client.session.get("_auth_user_id") is None


def test_an_editor_sees_no_member_pages(editor):
    client = staff_client_for(editor)
    for url in ("/my/accounts/", "/my/loans/"):
        response = client.get(url)
        assert response.status_code in (302, 403, 404), url


# --- moderation: a second person publishes -------------------------------------------------------

def notice_form(**fields):
    return {"title": "Closed on Friday", "body": "All branches are closed for the holiday.", "link": "",
            "level": "info", "audience": "everyone", "show_from": "", "show_until": "", **fields}


def submit_notice(editor):
    client = staff_client_for(editor)
    response = client.post(reverse(f"{NOTICES}:add"), {**notice_form(), "action-submit": "action-submit"})
    assert response.status_code == 302, response.content.decode()[:2000]
    notice = PortalNotice.objects.get()
    state = WorkflowState.objects.get(object_id=str(notice.pk))
    assert state.status == WorkflowState.STATUS_IN_PROGRESS and state.requested_by == editor
    return notice, state.current_task_state


def approve(user, notice, task_state):
    url = reverse(f"{NOTICES}:workflow_action", args=[notice.pk, "approve", task_state.pk])
    return staff_client_for(user).post(url, {"comment": ""})


def test_an_editor_cannot_approve_their_own_notice(editor):
    notice, task_state = submit_notice(editor)
    assert not notice.live
    task = task_state.task.specific
    assert task.get_actions(notice, editor) == []
    assert not task.get_task_states_user_can_moderate(editor).exists()

    response = approve(editor, notice, task_state)

    # Wagtail answers a refused action by sending the person to the dashboard with its message.
    assert response.status_code == 302 and response["Location"] == "/cms/"
    notice.refresh_from_db()
    assert not notice.live
    assert WorkflowState.objects.get(object_id=str(notice.pk)).status == WorkflowState.STATUS_IN_PROGRESS


def test_a_second_editor_approves_and_the_notice_is_published(editor, editor2):
    notice, task_state = submit_notice(editor)
    assert task_state.task.specific.get_task_states_user_can_moderate(editor2).exists()

    response = approve(editor2, notice, task_state)

    assert response.status_code in (200, 302)
    notice.refresh_from_db()
    assert notice.live
    assert WorkflowState.objects.get(object_id=str(notice.pk)).status == WorkflowState.STATUS_APPROVED


def test_an_editor_who_changed_the_notice_while_it_waits_cannot_approve_it(editor, editor2, make_user, totp_device):
    notice, task_state = submit_notice(editor)
    edit = reverse(f"{NOTICES}:edit", args=[notice.pk])
    response = staff_client_for(editor2).post(edit, notice_form(body="Closed Friday and Saturday."))
    assert response.status_code == 302
    notice.refresh_from_db()
    assert task_state.task.specific.get_actions(notice, editor2) == []
    assert approve(editor2, notice, task_state).status_code == 302
    notice.refresh_from_db()
    assert not notice.live

    manager = verified(make_user, totp_device, "manager")
    assert approve(manager, notice, task_state).status_code in (200, 302)
    notice.refresh_from_db()
    assert notice.live and notice.body == "Closed Friday and Saturday."


def test_a_manager_may_approve_an_editors_notice(editor, make_user, totp_device):
    manager = verified(make_user, totp_device, "manager")
    notice, task_state = submit_notice(editor)
    assert approve(manager, notice, task_state).status_code in (200, 302)
    notice.refresh_from_db()
    assert notice.live


def test_an_editor_cannot_publish_a_notice_without_approval(editor):
    client = staff_client_for(editor)
    client.post(reverse(f"{NOTICES}:add"), {**notice_form(), "action-publish": "action-publish"})
    assert not PortalNotice.objects.filter(live=True).exists()


def test_a_cashier_cannot_approve(editor, make_user):
    notice, task_state = submit_notice(editor)
    assert approve(make_user("cashier"), notice, task_state).status_code in (302, 403)
    notice.refresh_from_db()
    assert not notice.live


def test_a_page_an_editor_submits_is_published_by_a_second_editor(editor, editor2):
    home = HomePage.objects.get()
    response = staff_client_for(editor).post(f"/cms/pages/add/portal/contentpage/{home.pk}/", {
        "title": "New savings rates", "slug": "new-savings-rates", "summary": "From next month",
        "body-count": "0", "action-submit": "action-submit"})
    assert response.status_code == 302
    page = Page.objects.get(slug="new-savings-rates")
    state = WorkflowState.objects.get(object_id=str(page.pk))
    assert state.requested_by == editor and not page.live
    task_state = state.current_task_state

    def approve_page(user):
        url = reverse("wagtailadmin_pages:workflow_action", args=[page.pk, "approve", task_state.pk])
        return staff_client_for(user).post(url, {"comment": ""})

    approve_page(editor)
    page.refresh_from_db()
    assert not page.live
    assert approve_page(editor2).status_code in (200, 302)
    page.refresh_from_db()
    assert page.live
