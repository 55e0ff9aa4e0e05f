"""Issue 12, security items 2-9: every bad input is a clear 422 that changes nothing, status codes say
only what the caller may know, private answers are not cached, and sign-in locks cannot be abused."""

import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from apps.cash import services as cash
from apps.cash.models import CashMovement, ChequeDeposit
from apps.ledger.models import JournalEntry, Transaction
from apps.members.services import member_assign
from apps.users.models import ApiToken, UserActivity
from tests.ledger.factories import fund, make_member, open_account, open_drawer
from tests.support import LOGIN_URL, PASSWORD, api_login, keyed, new_client, post_json, staff_client_for

pytestmark = pytest.mark.django_db

DEPOSIT_URL = "/api/transactions/deposit/"


@pytest.fixture
def account(cashier, operations_manager):
    member = make_member(registrar=cashier, verifier=operations_manager, first_name="Esi")
    return fund(open_account(actor=cashier, member=member), "500.00", cashier=cashier)


def _raw_post(client, url, text, headers):
    return client.post(url, text, content_type="application/json", headers=headers)


# --- 2. NUL and control characters -------------------------------------------------------------

@pytest.mark.parametrize("bad", ["a\x00b", "tab\x07bell", "esc\x1b[0m", "\x7f", "\ud800"])
def test_control_characters_in_a_description_are_422_and_post_nothing(client, api, cashier, account, bad):
    before = Transaction.objects.count()
    response = post_json(client, DEPOSIT_URL, {"account_id": account.pk, "amount": "5.00", "description": bad},
                         headers=keyed(api(cashier)))
    assert response.status_code == 422, response.content
    assert response.json()["errors"] == [{"field": "description", "message": response.json()["errors"][0]["message"]}]
    assert "control character" in response.json()["detail"]
    assert Transaction.objects.count() == before


def test_nul_in_the_login_email_is_422_not_500(client):
    response = post_json(client, LOGIN_URL, {"email": "cashier\x00@coastal.test", "password": "x"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "email"


def test_nul_in_a_query_string_is_422_naming_the_parameter(client, api, manager, totp_device, code_for):
    headers = api(manager, otp=code_for(totp_device(manager)))
    response = client.get("/api/users/auth/login-attempts/", {"email": "a\x00b"}, headers=headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "email"


def test_a_multi_line_note_is_still_accepted(client, api, cashier, account):
    response = post_json(client, DEPOSIT_URL, {"account_id": account.pk, "amount": "5.00",
                                               "description": "Line one\r\n\tline two"},
                         headers=keyed(api(cashier)))
    assert response.status_code == 201


def test_the_console_search_box_refuses_nul_with_a_message(operations_manager, totp_device):
    totp_device(operations_manager)
    console = staff_client_for(operations_manager)
    response = console.get("/admin/members/member/", {"q": "Ama\x00", "o": "1"})
    assert response.status_code == 302
    assert response["Location"] == "/admin/members/member/?o=1"
    page = console.get(response["Location"])
    assert page.status_code == 200
    assert "invisible control character" in page.content.decode()


def test_a_console_form_refuses_a_control_character_as_a_field_error(client):
    response = client.post("/admin/login/", {"username": "x@coastal.test", "password": "what\x00ever"})
    assert response.status_code == 200
    assert ("Remove the control character from this text: it cannot contain invisible characters such as NUL."
            in response.context["form"].errors["password"])
    email = client.post("/admin/login/", {"username": "x\x00@coastal.test", "password": "whatever"})
    assert email.status_code == 200 and "username" in email.context["form"].errors


def test_the_portal_sign_in_refuses_nul_with_a_form_error(client):
    response = client.post("/login/", {"username": "a@b.c", "password": "whatever\x07"})
    assert response.status_code == 200
    assert "control character" in response.content.decode()


# --- 3. paging ---------------------------------------------------------------------------------

@pytest.mark.parametrize("params", [
    {"page": "9223372036854775807"}, {"page": "0"}, {"page": "-1"}, {"page": "abc"}, {"page": "1.5"},
    {"page_size": "0"}, {"page_size": "201"}, {"page_size": "99999999999999999999"}, {"page_size": "x"},
])
def test_paging_out_of_range_is_422_with_a_field_message(client, api, customer, params):
    response = client.get("/api/accounts/", params, headers=api(customer))
    assert response.status_code == 422, response.content
    field = next(iter(params))
    assert response.json()["errors"][0]["field"] == field


def test_a_page_past_the_end_is_an_empty_page(client, api, customer):
    body = client.get("/api/accounts/", {"page": "1000"}, headers=api(customer)).json()
    assert body == {"items": [], "count": 0}


# --- 4. one strict amount parser ---------------------------------------------------------------

BAD_AMOUNTS = ['"1e3"', '"1E+2"', '"1_000"', '"+5"', '" 5 "', '"\u0665"', "1e3", "1E2", "true", "false",
               "null", '"5.001"', "5.001", "-5", '""', "[5]", '{"a": 1}', "NaN", "Infinity"]


@pytest.mark.parametrize("amount", BAD_AMOUNTS)
def test_a_deposit_with_a_bad_amount_is_422_and_posts_nothing(client, api, cashier, account, amount):
    before = (Transaction.objects.count(), JournalEntry.objects.count())
    body = f'{{"account_id": {account.pk}, "amount": {amount}}}'
    response = _raw_post(client, DEPOSIT_URL, body, keyed(api(cashier)))
    assert response.status_code == 422, (amount, response.content)
    assert (Transaction.objects.count(), JournalEntry.objects.count()) == before


@pytest.mark.parametrize("amount", ["true", "1e3", '"1e3"', '"+5"'])
def test_cash_advances_cheques_and_field_collections_refuse_what_they_once_posted(
        client, api, cashier, manager, mobile_banker, operations_manager, account, amount):
    member_assign(actor=manager, member=account.member, banker=mobile_banker)
    before = (Transaction.objects.count(), CashMovement.objects.count(), ChequeDeposit.objects.count())
    cashier_headers = keyed(api(cashier))
    advance = _raw_post(client, "/api/cash-advances/", f'{{"amount": {amount}, "reason": "Busy day"}}',
                        cashier_headers)
    cheque = _raw_post(client, "/api/cheque-deposits/",
                       f'{{"account_id": {account.pk}, "amount": {amount}, "drawer_bank": "GCB", '
                       f'"cheque_number": "000123"}}', cashier_headers)
    collection = _raw_post(client, "/api/field-collections/", f'{{"account_id": {account.pk}, "amount": {amount}}}',
                           keyed(api(mobile_banker)))
    assert (advance.status_code, cheque.status_code, collection.status_code) == (422, 422, 422)
    assert (Transaction.objects.count(), CashMovement.objects.count(), ChequeDeposit.objects.count()) == before


def test_a_json_number_with_two_places_is_an_amount(client, api, cashier, account):
    response = _raw_post(client, DEPOSIT_URL, f'{{"account_id": {account.pk}, "amount": 12.50}}',
                         keyed(api(cashier)))
    assert response.status_code == 201 and response.json()["amount"] == "12.50"


def test_the_console_refuses_an_exponent_in_a_money_field(operations_manager, totp_device):
    from apps.ledger.models import LedgerPolicy

    totp_device(operations_manager)
    console = staff_client_for(operations_manager)
    policy = LedgerPolicy.objects.first() or LedgerPolicy.objects.create()
    page = console.get(f"/admin/ledger/ledgerpolicy/{policy.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: form.initial.get(name) if form.initial.get(name) is not None else ""
            for name in form.fields}
    money_field = next(name for name, field in form.fields.items() if field.__class__.__name__ == "AmountField")
    data[money_field] = "1e3"
    response = console.post(f"/admin/ledger/ledgerpolicy/{policy.pk}/change/", data)
    assert response.status_code == 200
    assert "plain digits" in response.content.decode()


# --- 6. status codes ----------------------------------------------------------------------------

@pytest.mark.parametrize("token", ["not-a-token", "Bearer.x.y", ""])
def test_a_post_with_a_bad_bearer_token_is_401_never_a_csrf_error(account, token):
    client = new_client(enforce_csrf_checks=True)
    response = post_json(client, DEPOSIT_URL, {"account_id": account.pk, "amount": "5.00"},
                         headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "k"})
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_an_expired_bearer_token_is_401_on_a_post(cashier, account):
    _, tokens = api_login(cashier.email)
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = post_json(new_client(enforce_csrf_checks=True), DEPOSIT_URL,
                         {"account_id": account.pk, "amount": "5.00"}, headers=keyed(tokens["headers"]))
    assert response.status_code == 401


def test_a_cashier_gets_the_same_answer_for_an_existing_and_a_missing_id(client, api, cashier, account):
    request = cash.cash_movement_request(actor=cashier, kind=CashMovement.Kind.ADVANCE, amount="50.00",
                                         reason="Busy")
    cheque = cash.cheque_deposit(actor=cashier, account=account, amount="20.00", drawer_bank="GCB",
                                 cheque_number="1", idempotency_key="c-1")
    headers = api(cashier)
    for existing, missing in ((f"/api/cash-advances/{request.pk}/approve/", "/api/cash-advances/999999/approve/"),
                              (f"/api/cheque-deposits/{cheque.pk}/clear/", "/api/cheque-deposits/999999/clear/")):
        first, second = post_json(client, existing, {}, headers=headers), post_json(client, missing, {},
                                                                                     headers=headers)
        assert first.status_code == second.status_code, (existing, first.content, second.content)
        assert first.json()["code"] == second.json()["code"]


def test_another_cashiers_drawer_is_404_like_a_missing_one(client, api, cashier, make_user):
    other = make_user("cashier")
    drawer = open_drawer(other)
    headers = api(cashier)
    theirs = post_json(client, f"/api/cash-drawers/{drawer.pk}/close/", {"denominations": {}}, headers=headers)
    missing = post_json(client, "/api/cash-drawers/999999/close/", {"denominations": {}}, headers=headers)
    assert theirs.status_code == missing.status_code == 404


# --- 7. headers and open doors --------------------------------------------------------------------

def test_balances_are_never_cached(client, api, customer, account, cashier, operations_manager):
    headers = api(cashier)
    response = client.get(f"/api/accounts/{account.pk}/", headers=headers)
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_portal_pages_of_a_signed_in_member_are_never_cached(customer):
    client = new_client()
    client.force_login(customer, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get("/my/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


@override_settings(METRICS_TOKEN="prometheus-secret-token")
def test_metrics_need_the_token_or_a_staff_sign_in(cashier, customer):
    assert new_client().get("/metrics").status_code == 401
    assert new_client().get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    member = new_client()
    member.force_login(customer, backend="django.contrib.auth.backends.ModelBackend")
    assert member.get("/metrics").status_code == 401
    prometheus = new_client().get("/metrics", headers={"Authorization": "Bearer prometheus-secret-token"})
    assert prometheus.status_code == 200 and b"django_http_requests" in prometheus.content
    assert staff_client_for(cashier).get("/metrics").status_code == 200


def test_metrics_without_a_configured_token_refuse_any_bearer(db):
    assert settings.METRICS_TOKEN == ""
    assert new_client().get("/metrics", headers={"Authorization": "Bearer "}).status_code == 401


def test_portal_sign_out_revokes_the_access_tokens_issued_with_the_session(cashier):
    browser = new_client()
    _, tokens = api_login(cashier.email, client=browser)
    assert new_client().get("/api/accounts/", headers=tokens["headers"]).status_code == 200
    browser.post("/logout/")
    assert new_client().get("/api/accounts/", headers=tokens["headers"]).status_code == 401


def test_console_sign_out_revokes_the_access_tokens_issued_with_the_session(cashier):
    browser = new_client()
    _, tokens = api_login(cashier.email, client=browser)
    assert browser.get("/admin/").status_code == 200  # the API sign-in's session reaches the console
    browser.post("/admin/logout/")
    assert new_client().get("/api/accounts/", headers=tokens["headers"]).status_code == 401
    assert post_json(new_client(), "/api/users/auth/token/refresh/", {"refresh": tokens["refresh"]}).status_code == 401


def test_api_sign_out_revokes_every_access_token_of_the_session(cashier):
    _, tokens = api_login(cashier.email)
    response = post_json(new_client(), "/api/users/auth/logout/", {}, headers=tokens["headers"])
    assert response.status_code == 200
    assert new_client().get("/api/accounts/", headers=tokens["headers"]).status_code == 401
    refreshed = post_json(new_client(), "/api/users/auth/token/refresh/", {"refresh": tokens["refresh"]})
    assert refreshed.status_code == 401


def test_the_demo_settings_run_with_debug_off():
    import importlib

    dev = importlib.import_module("coastal_site.settings.dev")
    assert dev.DEBUG is False


# --- 8. lockout without denial of service ---------------------------------------------------------

def _fail(email, ip, times=1):
    for _ in range(times):
        response = post_json(new_client(REMOTE_ADDR=ip), LOGIN_URL, {"email": email, "password": "wrong"})
    return response


def test_five_failures_lock_the_email_at_that_address_only(cashier):
    assert _fail(cashier.email, "203.0.113.9", times=5).status_code in (401, 423)
    locked = post_json(new_client(REMOTE_ADDR="203.0.113.9"), LOGIN_URL, {"email": cashier.email,
                                                                           "password": PASSWORD})
    assert locked.status_code == 423
    elsewhere = post_json(new_client(REMOTE_ADDR="198.51.100.7"), LOGIN_URL, {"email": cashier.email,
                                                                               "password": PASSWORD})
    assert elsewhere.status_code == 200


def test_failures_from_many_addresses_slow_the_email_down_with_429(manager):
    for n in range(settings.LOGIN_THROTTLE_FAILURES):
        _fail(manager.email, f"203.0.113.{n + 1}")
    response = post_json(new_client(REMOTE_ADDR="198.51.100.50"), LOGIN_URL,
                         {"email": manager.email, "password": "wrong"})
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert 0 < int(response["Retry-After"]) <= settings.LOGIN_THROTTLE_WINDOW.total_seconds() + 1


def test_the_owner_is_not_slowed_from_an_address_they_signed_in_from(cashier):
    home = new_client(REMOTE_ADDR="192.0.2.10")
    assert post_json(home, LOGIN_URL, {"email": cashier.email, "password": PASSWORD}).status_code == 200
    for n in range(settings.LOGIN_THROTTLE_FAILURES):
        _fail(cashier.email, f"203.0.113.{n + 1}")
    again = post_json(new_client(REMOTE_ADDR="192.0.2.10"), LOGIN_URL, {"email": cashier.email,
                                                                         "password": PASSWORD})
    assert again.status_code == 200


def test_the_throttle_lifts_when_the_failures_age_out(cashier):
    for n in range(settings.LOGIN_THROTTLE_FAILURES):
        _fail(cashier.email, f"203.0.113.{n + 1}")
    UserActivity.objects.update(created_at=timezone.now() - settings.LOGIN_THROTTLE_WINDOW - timedelta(seconds=5))
    fresh = post_json(new_client(REMOTE_ADDR="198.51.100.60"), LOGIN_URL, {"email": cashier.email,
                                                                            "password": PASSWORD})
    assert fresh.status_code == 200


# --- 9. Idempotency-Key is required ------------------------------------------------------------------

def test_money_moving_posts_without_an_idempotency_key_are_428_and_post_nothing(
        client, api, cashier, manager, mobile_banker, customer, operations_manager, account):
    member_assign(actor=manager, member=account.member, banker=mobile_banker)
    own = make_member(registrar=cashier, verifier=operations_manager, user=customer)
    source = fund(open_account(actor=cashier, member=own), "100.00", cashier=cashier)
    before = (Transaction.objects.count(), ChequeDeposit.objects.count())
    calls = [
        (cashier, DEPOSIT_URL, {"account_id": account.pk, "amount": "5.00"}),
        (cashier, "/api/transactions/withdrawal/", {"account_id": account.pk, "amount": "5.00"}),
        (customer, "/api/transactions/transfer/", {"from_account_id": source.pk,
                                                   "to_account_number": account.account_number, "amount": "5.00"}),
        (cashier, "/api/transactions/", {"transaction_type": "payment", "account_id": account.pk, "amount": "5.00",
                                         "description": "School fees"}),
        (cashier, "/api/cheque-deposits/", {"account_id": account.pk, "amount": "5.00", "drawer_bank": "GCB",
                                            "cheque_number": "42"}),
        (mobile_banker, "/api/field-collections/", {"account_id": account.pk, "amount": "5.00"}),
    ]
    for user, url, body in calls:
        response = post_json(client, url, body, headers=api(user))
        assert response.status_code == 428, (url, response.content)
        assert response.json()["code"] == "idempotency_key_required"
    assert (Transaction.objects.count(), ChequeDeposit.objects.count()) == before


def test_an_idempotency_key_with_a_control_character_is_422(client, api, cashier, account):
    response = post_json(client, DEPOSIT_URL, {"account_id": account.pk, "amount": "5.00"},
                         headers={**api(cashier), "Idempotency-Key": "k\x01"})
    assert response.status_code == 422


def test_schema_documents_every_status_the_money_endpoints_send(client):
    schema = json.loads(client.get("/api/openapi.json").content)
    deposit = schema["paths"][DEPOSIT_URL]["post"]["responses"]
    assert {"201", "401", "403", "404", "409", "422", "428"} <= set(deposit)
