"""The staff console's cash screens: my drawer (open, live balance, requests, close), sign-offs,
the branch cash position, the field pages on a phone (collection sheet, receipt, remittance,
onboarding), and the cash model admins with their detail actions. Every page checks the role."""

import io
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from apps.cash import services as cash
from apps.cash.models import CashDrawer, CashMovement, ChequeDeposit, CollectionRun, FloatIssue
from apps.ledger.models import Account, Transaction
from apps.members.models import Member, MemberDocument
from apps.members.selectors import can_collect_from
from apps.members.services import member_assign
from tests.ledger.factories import make_member, open_account
from tests.support import add_totp_device, form_fields, staff_client_for

pytestmark = pytest.mark.django_db

MY_DRAWER = reverse("admin:cash_my_drawer")
SIGNOFFS = reverse("admin:cash_drawer_signoffs")
POSITION = reverse("admin:cash_position")
SHEET = reverse("admin:cash_field_sheet")
COLLECT = reverse("admin:cash_field_collect")
REMIT = reverse("admin:cash_field_remit")
REGISTER = reverse("admin:cash_field_register")


def texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def counts(prefix: str, **by_value) -> dict:
    """Form data for a denomination count: counts(prefix, n_200_00=5) -> {"prefix-n_200_00": "5"}."""
    return {f"{prefix}-{name}": str(number) for name, number in by_value.items()}


@pytest.fixture
def vault(manager):
    cash.vault_receive(actor=manager, amount="50000.00", note="Bank withdrawal slip 0042")
    return manager


@pytest.fixture
def float_issued(vault, manager, cashier):
    return cash.float_issue(actor=manager, cashier=cashier, amount="1500.00")


@pytest.fixture
def drawer(float_issued, cashier):
    return cash.drawer_open(actor=cashier, denominations={"200.00": 5, "100.00": 4, "50.00": 2})


@pytest.fixture
def account(cashier, operations_manager):
    member = make_member(registrar=cashier, verifier=operations_manager, first_name="Esi", last_name="Quaye")
    return open_account(actor=cashier, member=member)


@pytest.fixture
def banker_account(cashier, operations_manager, manager, mobile_banker):
    member = make_member(registrar=cashier, verifier=operations_manager, first_name="Mansa", last_name="Boateng",
                         phone="024 412 3456")
    member_assign(actor=manager, member=member, banker=mobile_banker)
    account = open_account(actor=cashier, member=member)
    account.contribution_amount = Decimal("20.00")
    account.save()
    return account


# --- who may open which page ----------------------------------------------------------------------

PAGES = {
    "admin:cash_my_drawer": ("cashier",),
    "admin:cash_drawer_signoffs": ("manager",),
    "admin:cash_position": ("manager",),
    "admin:cash_field_sheet": ("mobile_banker",),
    "admin:cash_field_remit": ("mobile_banker",),
    "admin:cash_field_register": ("mobile_banker",),
}
STAFF_ROLES = ("cashier", "mobile_banker", "manager", "operations_manager")


@pytest.mark.parametrize("url_name", PAGES)
@pytest.mark.parametrize("role", STAFF_ROLES)
def test_each_page_is_for_its_role_and_403_for_the_others(console, make_user, url_name, role):
    response = console(make_user(role)).get(reverse(url_name))
    assert response.status_code == (200 if role in PAGES[url_name] else 403)


@pytest.mark.parametrize("url_name", PAGES)
def test_pages_need_a_signed_in_staff_user(client, url_name):
    response = client.get(reverse(url_name))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_a_manager_without_the_second_factor_is_sent_to_sign_in(manager):
    add_totp_device(manager)
    client = staff_client_for(manager)
    session = client.session
    del session["otp_device_id"]  # signed in with a password only
    session.save()
    response = client.get(POSITION)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_json_balance_is_for_cashiers_only(console, manager, cashier, drawer):
    assert console(manager).get(reverse("admin:cash_my_drawer_expected")).status_code == 403
    data = console(cashier).get(reverse("admin:cash_my_drawer_expected")).json()
    assert data == {"open": True, "expected": "1500.00", "expected_display": "1,500.00"}


# --- my drawer: open ------------------------------------------------------------------------------

def test_without_a_float_the_page_says_to_ask_a_manager(console, cashier):
    body = console(cashier).get(MY_DRAWER).content.decode()
    assert 'data-testid="no-float"' in body and 'data-testid="open-form"' not in body


def test_opening_through_the_page_posts_what_the_service_posts(console, cashier, float_issued):
    client = console(cashier)
    page = client.get(MY_DRAWER)
    body = page.content.decode()
    assert 'data-testid="open-form"' in body and "1,500.00" in body
    # one input per active denomination, 200 down to 0.10
    assert body.count('class="cash-count-row"') == 11

    response = client.post(MY_DRAWER, {"action": "open", **counts("open", n_200_00=5, n_100_00=4, n_50_00=2)})
    assert response.status_code == 302 and response["Location"] == MY_DRAWER
    drawer = CashDrawer.objects.get(cashier=cashier)
    assert drawer.status == CashDrawer.Status.OPEN and drawer.opening_balance == Decimal("1500.00")
    assert cash.drawer_expected(drawer) == Decimal("1500.00")
    assert cash.vault_balance() == Decimal("48500.00")
    opening = drawer.counts.get()
    assert {k: v for k, v in opening.counts.items() if v} == {"200.00": 5, "100.00": 4, "50.00": 2}
    FloatIssue.objects.get(pk=float_issued.pk, drawer=drawer)

    page = client.get(MY_DRAWER).content.decode()
    assert 'data-testid="drawer-open"' in page and 'data-testid="close-form"' in page
    assert 'data-testid="expected-balance"' in page


@pytest.mark.parametrize("data,message", [
    (counts("open", n_200_00=7), "Your count comes to 1,400.00 but the float issued is 1,500.00"),
    (counts("open", n_200_00=-1), "A count cannot be negative."),
    (counts("open", n_200_00="1.5"), "Count whole notes or coins."),
])
def test_a_wrong_opening_count_is_refused_and_nothing_is_posted(console, cashier, float_issued, data, message):
    response = console(cashier).post(MY_DRAWER, {"action": "open", **data})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not CashDrawer.objects.exists()
    assert cash.vault_balance() == Decimal("50000.00")


# --- my drawer: open, live, requests, close ---------------------------------------------------------

def test_the_open_drawer_shows_the_ledger_balance_and_what_went_through(console, cashier, drawer, account):
    from apps.ledger import services

    services.deposit_create(actor=cashier, account=account, amount="250.00")
    body = console(cashier).get(MY_DRAWER).content.decode()
    assert "1,750.00" in body  # expected = float + deposit
    assert 'data-testid="drawer-activity"' in body and "Esi Quaye" in body and "250.00" in body


def test_a_cash_advance_is_requested_on_the_page_and_decided_on_sign_offs(console, cashier, manager, drawer):
    client = console(cashier)
    response = client.post(MY_DRAWER, {"action": "advance", "advance-amount": "500", "advance-reason": "Busy day"})
    assert response.status_code == 302
    movement = CashMovement.objects.get()
    assert (movement.kind, movement.amount, movement.status) == ("advance", Decimal("500.00"), "pending")

    refused = client.post(MY_DRAWER, {"action": "return", "return-amount": "9000", "return-reason": "x"})
    assert "Your drawer holds 1,500.00" in refused.content.decode()
    assert CashMovement.objects.count() == 1

    boss = console(manager)
    page = boss.get(SIGNOFFS).content.decode()
    assert 'data-testid="movement-row"' in page and "Busy day" in page
    boss.post(SIGNOFFS, {"action": "approve", "movement": movement.pk})
    movement.refresh_from_db()
    assert movement.status == "approved"
    assert cash.drawer_expected(drawer) == Decimal("2000.00")


def test_closing_short_beyond_tolerance_waits_for_sign_off(console, cashier, manager, drawer):
    client = console(cashier)
    data = {"action": "close", **counts("close", n_200_00=5, n_100_00=4, n_20_00=2), "close-total": "1440.00"}
    response = client.post(MY_DRAWER, data)
    drawer.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:cash_drawer_result", args=[drawer.pk])
    assert drawer.status == CashDrawer.Status.PENDING_APPROVAL
    assert (drawer.expected_balance, drawer.counted_balance, drawer.variance) == (
        Decimal("1500.00"), Decimal("1440.00"), Decimal("-60.00"))

    result = client.get(response["Location"]).content.decode()
    assert 'data-testid="waiting-signoff"' in result and "waiting for sign-off" in result
    assert "-60.00" in result and "1,440.00" in result
    assert 'data-testid="drawer-pending"' in client.get(MY_DRAWER).content.decode()

    boss = console(manager)
    assert 'data-testid="signoff-row"' in boss.get(SIGNOFFS).content.decode()
    boss.post(SIGNOFFS, {"action": "signoff", "drawer": drawer.pk, "reason": ""})
    drawer.refresh_from_db()
    assert drawer.status == CashDrawer.Status.PENDING_APPROVAL  # a reason is required
    boss.post(SIGNOFFS, {"action": "signoff", "drawer": drawer.pk, "reason": "Counted twice; short confirmed"})
    drawer.refresh_from_db()
    assert drawer.status == CashDrawer.Status.CLOSED and drawer.approved_by == manager
    assert cash.vault_balance() == Decimal("48500.00") + Decimal("1440.00")


def test_closing_within_tolerance_settles_at_once(console, cashier, drawer):
    data = {"action": "close", **counts("close", n_200_00=5, n_100_00=4, n_50_00=1, n_20_00=2, n_5_00=1,
                                        n_2_00=1, n_1_00=1),
            "close-total": "1,498.00"}
    refused = console(cashier).post(MY_DRAWER, data)  # one strict amount parser: no grouping commas
    assert "Type the amount without commas, as a number: 1498.00." in refused.content.decode()
    response = console(cashier).post(MY_DRAWER, {**data, "close-total": "1498.00"})
    drawer.refresh_from_db()
    assert drawer.status == CashDrawer.Status.CLOSED and drawer.variance == Decimal("-2.00")
    assert cash.vault_balance() == Decimal("48500.00") + Decimal("1498.00")
    result = console(cashier).get(response["Location"]).content.decode()
    assert 'data-testid="closed-ok"' in result


def test_a_close_whose_total_disagrees_with_the_counts_is_refused(console, cashier, drawer):
    data = {"action": "close", **counts("close", n_200_00=7), "close-total": "1500.00"}
    response = console(cashier).post(MY_DRAWER, data)
    assert response.status_code == 200
    assert "The denominations add up to 1,400.00, not 1,500.00." in response.content.decode()
    drawer.refresh_from_db()
    assert drawer.status == CashDrawer.Status.OPEN


def test_a_cashier_sees_only_their_own_drawer_result(console, make_user, cashier, drawer):
    other = make_user("cashier")
    url = reverse("admin:cash_drawer_result", args=[drawer.pk])
    assert console(other).get(url).status_code == 404
    assert console(cashier).get(url).status_code == 200


# --- branch cash position -----------------------------------------------------------------------------

def test_position_shows_vault_drawers_field_cash_and_what_waits(console, manager, cashier, mobile_banker, drawer,
                                                               banker_account, account):
    cash.field_collect(actor=mobile_banker, account=banker_account, amount="20.00", idempotency_key="k1")
    cash.cash_movement_request(actor=cashier, kind="advance", amount="300", reason="Queue")
    cash.cheque_deposit(actor=cashier, account=account, amount="750.00", drawer_bank="GCB", cheque_number="000123")
    body = console(manager).get(POSITION).content.decode()
    assert "48,500.00" in body  # vault
    assert "1,500.00" in body  # the drawer's expected balance
    assert "20.00" in body and mobile_banker.email in body  # field cash
    assert "300.00" in body and "750.00" in body  # advances, cheques held
    assert "50,020.00" in body  # cash in the branch


def test_receive_into_vault_and_issue_a_float_from_the_position_page(console, manager, cashier):
    client = console(manager)
    response = client.post(POSITION, {"action": "vault", "vault-amount": "10000", "vault-note": "Slip 77"})
    assert response.status_code == 302 and cash.vault_balance() == Decimal("10000.00")
    response = client.post(POSITION, {"action": "float", "float-cashier": cashier.pk, "float-amount": "2000"})
    assert response.status_code == 302
    assert FloatIssue.objects.get(cashier=cashier).amount == Decimal("2000.00")
    # a second float for the same cashier today is not offered, and refused if forced
    page = client.get(POSITION)
    assert cashier.pk not in [c.pk for c in page.context["float_form"].fields["cashier"].queryset]
    again = client.post(POSITION, {"action": "vault", "vault-amount": "-5", "vault-note": "x"})
    assert again.status_code == 200 and "The amount must be positive." in again.content.decode()


# --- field pages --------------------------------------------------------------------------------

def test_the_collection_sheet_lists_only_assigned_members_with_a_collect_form(console, mobile_banker,
                                                                             banker_account, account):
    response = console(mobile_banker).get(SHEET)
    body = response.content.decode()
    assert body.count('data-testid="sheet-row"') == 1
    assert banker_account.account_number in body and account.account_number not in body
    row = response.context["rows"][0]
    # the daily amount is shown, never pre-filled: one tap posts nothing (issue 12, item 13)
    assert not row["form"].initial.get("amount") and row["form"].initial["idempotency_key"]
    assert row["daily_amount"] == Decimal("20.00")
    assert f'value="{row["form"].initial["idempotency_key"]}"' in body


def test_the_same_collect_form_sent_twice_posts_once(console, mobile_banker, banker_account):
    client = console(mobile_banker)
    data = form_fields(client.get(SHEET).content.decode().split('data-testid="collect-form"', 1)[1]
                       .split("</form>", 1)[0].join(["<form ", "</form>"]))
    assert data["amount"] == "" and data["account_id"] == str(banker_account.pk)
    data["amount"] = "20.00"  # typed by the banker

    first = client.post(COLLECT, data)
    second = client.post(COLLECT, data)  # a double tap
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    txn = Transaction.objects.get(to_account=banker_account)
    assert txn.amount == Decimal("20.00") and txn.channel == "field"
    assert cash.gl_balance(CollectionRun.objects.get().gl_account) == Decimal("20.00")

    receipt = client.get(first["Location"]).content.decode()
    assert cash.receipt_text(txn).replace("'", "&#x27;") in receipt
    assert 'data-testid="print-button"' in receipt and "sms:0244123456?body=" in receipt
    sheet = client.get(SHEET).content.decode()
    assert "Paid today" in sheet


def test_collecting_from_an_unassigned_member_is_refused(console, mobile_banker, account):
    client = console(mobile_banker)
    response = client.post(COLLECT, {"account_id": account.pk, "amount": "20.00", "idempotency_key": "k-1"})
    assert response.status_code == 302
    assert any("not assigned to you" in text for text in texts(response))
    assert not Transaction.objects.filter(to_account=account).exists()


def test_another_bankers_receipt_is_not_found(console, make_user, mobile_banker, banker_account):
    txn = cash.field_collect(actor=mobile_banker, account=banker_account, amount="20.00")
    url = reverse("admin:cash_field_receipt", args=[txn.pk])
    assert console(make_user("mobile_banker")).get(url).status_code == 404
    assert console(mobile_banker).get(url).status_code == 200


def test_remit_to_a_cashier_through_the_page(console, mobile_banker, cashier, drawer, banker_account):
    cash.field_collect(actor=mobile_banker, account=banker_account, amount="20.00", idempotency_key="a")
    cash.field_collect(actor=mobile_banker, account=banker_account, amount="40.00", confirm=True,
                       idempotency_key="b")  # a second collection the same day is confirmed
    client = console(mobile_banker)
    page = client.get(REMIT)
    assert 'data-testid="remit-form"' in page.content.decode() and page.context["expected"] == Decimal("60.00")
    assert [c.pk for c in page.context["form"].fields["cashier"].queryset] == [cashier.pk]

    response = client.post(REMIT, {"remit-cashier": cashier.pk, **counts("remit", n_20_00=2, n_10_00=1, n_5_00=1)})
    assert response.status_code == 302
    run = CollectionRun.objects.get()
    assert (run.status, run.counted_amount, run.variance) == ("remitted", Decimal("55.00"), Decimal("-5.00"))
    assert cash.drawer_expected(drawer) == Decimal("1555.00")
    assert 'data-testid="remit-result"' in client.get(REMIT).content.decode()
    again = client.post(REMIT, {"remit-cashier": cashier.pk, **counts("remit", n_20_00=1)})
    assert "already remitted" in again.content.decode()


def image(name="photo.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (20, 120, 160)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def onboarding(client, **overrides):
    key = client.get(REGISTER).context["form"].initial["idempotency_key"]
    data = {"idempotency_key": key, "first_name": "Akosua", "last_name": "Mensah", "other_names": "",
            "phone": "0209876543", "date_of_birth": "1990-04-12", "address": "Kaneshie market, stall 14",
            "occupation": "Fish trader", "next_of_kin_name": "Kofi Mensah", "next_of_kin_phone": "0241112233",
            "next_of_kin_relationship": "Brother", "national_id": "GHA-723456789-3", "daily_amount": "15.00",
            "photo": image("photo.png"), "id_image": image("card.png"), "id_back_image": image("back.png")}
    data.update(overrides)
    return data


def test_field_onboarding_registers_a_pending_kyc_member_with_a_daily_susu_account(console, mobile_banker):
    client = console(mobile_banker)
    data = onboarding(client)
    response = client.post(REGISTER, data)
    assert response.status_code == 302
    member = Member.objects.get(last_name="Mensah")
    assert response["Location"] == reverse("admin:cash_field_registered", args=[member.pk])
    assert member.kyc_status == Member.Kyc.PENDING
    assert member.assigned_banker == mobile_banker and member.registered_by == mobile_banker
    assert can_collect_from(mobile_banker, member)
    assert member.national_id == "GHA-723456789-3" and member.photo
    assert sorted(MemberDocument.objects.filter(member=member).values_list("kind", flat=True)) == [
        MemberDocument.Kind.ID_BACK, MemberDocument.Kind.ID_FRONT]
    account = Account.objects.get(member=member)
    assert account.product.kind == "daily_susu" and account.contribution_amount == Decimal("15.00")

    confirmation = client.get(response["Location"]).content.decode()
    assert member.member_number in confirmation and account.account_number in confirmation
    assert "KYC pending" in confirmation
    # the new member is on the collection sheet with the agreed daily amount
    assert client.get(SHEET).context["rows"][0]["daily_amount"] == Decimal("15.00")

    # the same form sent again (a double tap): one member, the same confirmation
    data["photo"], data["id_image"], data["id_back_image"] = image(), image("card.png"), image("back.png")
    again = client.post(REGISTER, data)
    assert again["Location"] == response["Location"]
    assert Member.objects.filter(last_name="Mensah").count() == 1


def test_field_onboarding_refuses_bad_input_and_keeps_nothing(console, mobile_banker):
    client = console(mobile_banker)
    data = onboarding(client, national_id="12345", phone="abc", daily_amount="0")
    data.pop("id_image")
    response = client.post(REGISTER, data)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Enter the Ghana Card number as GHA-123456789-0." in body
    assert "Enter a phone number" in body and "The amount must be greater than zero." in body
    assert not Member.objects.exists() and not Account.objects.exists()


# --- model admins ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("model,roles", [
    ("cashdrawer", ("cashier", "manager", "operations_manager")),
    ("cashmovement", ("cashier", "manager")),
    ("chequedeposit", ("cashier", "manager", "operations_manager")),
    ("floatissue", ("manager",)),
    ("collectionrun", ("mobile_banker", "manager", "operations_manager")),
    ("denomination", ("cashier", "manager", "operations_manager")),
])
@pytest.mark.parametrize("role", STAFF_ROLES)
def test_changelists_follow_the_role_permissions(console, make_user, model, roles, role):
    response = console(make_user(role)).get(reverse(f"admin:cash_{model}_changelist"))
    assert response.status_code == (200 if role in roles else 403)


def test_drawer_admin_is_read_only_and_shows_counts(console, manager, cashier, make_user, drawer):
    client = console(manager)
    body = client.get(reverse("admin:cash_cashdrawer_changelist")).content.decode()
    assert "1,500.00" in body
    detail = client.get(reverse("admin:cash_cashdrawer_change", args=[drawer.pk])).content.decode()
    assert "Opening count" in detail and "GH₵ 200" in detail
    assert client.get(reverse("admin:cash_cashdrawer_add")).status_code == 403
    assert client.post(reverse("admin:cash_cashdrawer_delete", args=[drawer.pk]), {"post": "yes"}).status_code == 403
    assert CashDrawer.objects.filter(pk=drawer.pk).exists()
    # another cashier does not see this drawer
    other = console(make_user("cashier"))
    assert other.get(reverse("admin:cash_cashdrawer_change", args=[drawer.pk])).status_code == 404


def test_drawer_sign_off_as_a_detail_action(console, manager, cashier, drawer):
    cash.drawer_close(actor=cashier, drawer=drawer, denominations={"200.00": 7})
    url = reverse("admin:cash_cashdrawer_sign_off", args=[drawer.pk])
    assert console(cashier).post(url, {"_form_submitted": "on", "reason": "x"}).status_code == 403
    console(manager).post(url, {"_form_submitted": "on", "reason": "Recounted with the cashier"})
    drawer.refresh_from_db()
    assert drawer.status == CashDrawer.Status.CLOSED and drawer.approval_note == "Recounted with the cashier"


def test_cash_movement_queue_approve_and_reject_detail_actions(console, manager, make_user, cashier, drawer):
    advance = cash.cash_movement_request(actor=cashier, kind="advance", amount="200", reason="Queue")
    back = cash.cash_movement_request(actor=cashier, kind="return", amount="100", reason="Surplus")
    client = console(manager)
    assert "Queue" in client.get(reverse("admin:cash_cashmovement_changelist")).content.decode()
    assert console(cashier).post(reverse("admin:cash_cashmovement_approve", args=[advance.pk]),
                                 {"_form_submitted": "on"}).status_code == 403
    client.post(reverse("admin:cash_cashmovement_approve", args=[advance.pk]), {"_form_submitted": "on"})
    reject_url = reverse("admin:cash_cashmovement_reject", args=[back.pk])
    assert client.post(reject_url, {"_form_submitted": "on", "reason": ""}).status_code == 200  # dialog, error
    client.post(reject_url, {"_form_submitted": "on", "reason": "Keep it for the afternoon"})
    advance.refresh_from_db()
    back.refresh_from_db()
    assert advance.status == "approved" and back.status == "rejected"
    assert back.decision_note == "Keep it for the afternoon"
    assert cash.drawer_expected(drawer) == Decimal("1700.00")
    # decided requests offer no more decisions
    assert client.post(reverse("admin:cash_cashmovement_approve", args=[advance.pk]),
                       {"_form_submitted": "on"}).status_code == 403


def test_a_cashier_requests_an_advance_through_the_admin_add_form(console, cashier, drawer):
    client = console(cashier)
    response = client.post(reverse("admin:cash_cashmovement_add"),
                           {"kind": "advance", "amount": "250.00", "reason": "Pension day"})
    assert response.status_code == 302
    assert CashMovement.objects.get().requested_by == cashier
    refused = client.post(reverse("admin:cash_cashmovement_add"),
                          {"kind": "return", "amount": "99999.00", "reason": "Too much"})
    assert refused.status_code == 200 and "Your drawer holds" in refused.content.decode()
    assert CashMovement.objects.count() == 1


def test_cheque_deposit_through_the_admin_then_clear_and_bounce(console, cashier, operations_manager, account):
    client = console(cashier)
    add_url = reverse("admin:cash_chequedeposit_add")
    key = client.get(add_url).context["adminform"].form.initial["idempotency_key"]
    data = {"account_number": account.account_number, "amount": "750.00", "drawer_bank": "GCB Bank",
            "cheque_number": "000123", "idempotency_key": key, "image": image("cheque.png")}
    response = client.post(add_url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    cheque = ChequeDeposit.objects.get()
    assert cheque.status == ChequeDeposit.Status.HELD and cheque.image
    account.refresh_from_db()
    assert account.held_balance == Decimal("750.00")
    data["image"] = image("cheque.png")
    assert client.post(add_url, data).status_code == 302  # the same form again: the same cheque
    assert ChequeDeposit.objects.count() == 1

    dup = client.post(add_url, {**data, "amount": "751.00", "idempotency_key": "another", "image": image("c.png")})
    assert dup.status_code == 200 and "was already deposited" in dup.content.decode()

    ops = console(operations_manager)
    listing = ops.get(reverse("admin:cash_chequedeposit_changelist")).content.decode()
    assert "Held until cleared" in listing
    assert client.post(reverse("admin:cash_chequedeposit_clear", args=[cheque.pk]),
                       {"_form_submitted": "on"}).status_code == 403
    ops.post(reverse("admin:cash_chequedeposit_clear", args=[cheque.pk]), {"_form_submitted": "on"})
    cheque.refresh_from_db()
    account.refresh_from_db()
    assert cheque.status == ChequeDeposit.Status.CLEARED and account.held_balance == Decimal("0.00")

    second = cash.cheque_deposit(actor=cashier, account=account, amount="100.00", drawer_bank="Ecobank",
                                 cheque_number="555")
    ops.post(reverse("admin:cash_chequedeposit_bounce", args=[second.pk]),
             {"_form_submitted": "on", "reason": "Refer to drawer", "fee": "10.00"})
    second.refresh_from_db()
    assert second.status == ChequeDeposit.Status.BOUNCED and second.bounce_fee == Decimal("10.00")


def test_a_cheque_for_an_unknown_account_is_refused_on_the_form(console, cashier):
    client = console(cashier)
    response = client.post(reverse("admin:cash_chequedeposit_add"), {
        "account_number": "0000000000", "amount": "10", "drawer_bank": "GCB", "cheque_number": "1",
        "idempotency_key": "k"})
    assert response.status_code == 200 and "No account you may use has that number." in response.content.decode()
    assert not ChequeDeposit.objects.exists()


def test_a_manager_issues_a_float_in_the_admin_through_the_service(console, manager, cashier, make_user):
    client = console(manager)
    response = client.post(reverse("admin:cash_floatissue_add"), {"cashier": cashier.pk, "amount": "1200.00"})
    assert response.status_code == 302
    issue = FloatIssue.objects.get()
    assert issue.issued_by == manager and issue.amount == Decimal("1200.00")
    again = client.post(reverse("admin:cash_floatissue_add"), {"cashier": cashier.pk, "amount": "10.00"})
    assert again.status_code == 200 and "already has a float for today" in again.content.decode()


def test_cash_policy_is_one_row_changed_by_operations(console, operations_manager, manager):
    client = console(operations_manager)
    response = client.get(reverse("admin:cash_cashpolicy_changelist"))
    assert response.status_code == 302
    client.post(response["Location"], {"variance_tolerance": "10.00", "field_collection_multiple": "3.00"})
    from apps.cash.models import CashPolicy

    assert CashPolicy.current().variance_tolerance == Decimal("10.00")
    page = console(manager).get(response["Location"])
    assert page.status_code == 200 and 'name="variance_tolerance"' not in page.content.decode()


def test_a_mobile_banker_sees_only_their_own_collection_runs(console, mobile_banker, make_user, banker_account):
    cash.field_collect(actor=mobile_banker, account=banker_account, amount="20.00")
    run = CollectionRun.objects.get()
    assert console(mobile_banker).get(reverse("admin:cash_collectionrun_change", args=[run.pk])).status_code == 200
    other = console(make_user("mobile_banker"))
    assert other.get(reverse("admin:cash_collectionrun_change", args=[run.pk])).status_code == 404


def test_sidebar_badges_count_what_waits(rf, manager, operations_manager, cashier, drawer, account):
    from apps.cash.admin_views import held_cheques_badge, signoffs_badge

    def request_for(user):
        request = rf.get("/admin/")
        request.user = user
        return request

    assert signoffs_badge(request_for(manager)) is None
    cash.cash_movement_request(actor=cashier, kind="advance", amount="100", reason="Queue")
    assert signoffs_badge(request_for(manager)) == 1
    assert signoffs_badge(request_for(cashier)) is None
    cash.cheque_deposit(actor=cashier, account=account, amount="50.00", drawer_bank="GCB", cheque_number="9")
    assert held_cheques_badge(request_for(operations_manager)) == 1
    assert held_cheques_badge(request_for(manager)) is None
