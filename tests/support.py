"""Helpers shared by the tests (fixtures that wrap them live in conftest.py)."""

import json
import uuid
from html.parser import HTMLParser

from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

PASSWORD = "Harbour-Lights-2026!"
USER_AGENT = "CoastalTests/1.0 (pytest)"
LOGIN_URL = "/api/users/auth/login/"


def add_totp_device(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Test authenticator", confirmed=True)


def totp_code(device: TOTPDevice, *, offset_steps: int = 0) -> str:
    """The code an authenticator app shows now for this device (`offset_steps` 30-second steps later)."""
    device.refresh_from_db()
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits,
                 drift=device.drift + offset_steps)
    return str(value).zfill(device.digits)


def new_client(**defaults) -> Client:
    return Client(HTTP_USER_AGENT=USER_AGENT, **defaults)


def staff_client_for(user, **client_kwargs) -> Client:
    """A test client signed in as `user`, with the second factor verified when they have a device."""
    client = new_client(**client_kwargs)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        session = client.session
        session["otp_device_id"] = device.persistent_id
        session.save()
    return client


def post_json(client: Client, url: str, body=None, **kwargs):
    return client.post(url, json.dumps(body if body is not None else {}), content_type="application/json", **kwargs)


def api_login(email: str, password: str = PASSWORD, *, otp: str | None = None, client: Client | None = None):
    """Sign in through the API. Returns (response, tokens); tokens has access, refresh and Bearer
    headers, or is None when the sign-in was refused. A fresh client is used unless one is given,
    so the caller's own client holds no auth cookies unless it asked for them."""
    client = client or new_client()
    body = {"email": email, "password": password}
    if otp is not None:
        body["otp"] = otp
    response = post_json(client, LOGIN_URL, body)
    tokens = None
    if response.status_code == 200:
        data = response.json()
        tokens = {"access": data["access"], "refresh": data["refresh"],
                  "headers": {"Authorization": f"Bearer {data['access']}"}}
    return response, tokens


def bearer(access: str) -> dict:
    return {"Authorization": f"Bearer {access}"}


class _FormFields(HTMLParser):
    """Collect the values a browser would submit from the page's form controls."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self._select = None
        self._select_value = None
        self._first_option = None
        self._textarea = None
        self._text = ""

    def _add(self, name, value):
        self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name:
            kind = (attrs.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self._add(name, attrs.get("value", "on"))
                return
            self._add(name, attrs.get("value") or "")
        elif tag == "select" and name:
            self._select, self._select_value, self._first_option = name, None, None
        elif tag == "option" and self._select:
            value = attrs.get("value", "")
            if self._first_option is None:
                self._first_option = value
            if "selected" in attrs:
                self._select_value = value
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""

    def handle_data(self, data):
        if self._textarea:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "select" and self._select:
            value = self._select_value if self._select_value is not None else self._first_option
            if value is not None:
                self._add(self._select, value)
            self._select = None
        elif tag == "textarea" and self._textarea:
            self._add(self._textarea, self._text.lstrip("\n"))
            self._textarea = None


def form_fields(html: str) -> dict:
    """The page's form data as a dict for client.post (single values unwrapped)."""
    parser = _FormFields()
    parser.feed(html)
    return {name: values[0] if len(values) == 1 else values for name, values in parser.data.items()}


def keyed(headers: dict) -> dict:
    """Headers for a money-moving API request: `headers` plus a fresh Idempotency-Key."""
    return {**headers, "Idempotency-Key": uuid.uuid4().hex}


REFERENCE_DATA = (  # the data migrations a flush between transactional tests removes
    ("apps.ledger.migrations.0002_chart_of_accounts", "create_chart"),
    ("apps.ledger.migrations.0004_due_from_banks", "add_account"),
    ("apps.ledger.migrations.0009_product_defaults", "configure"),
    ("apps.cash.migrations.0002_denominations", "create"),
    ("apps.loans.migrations.0002_loan_gl_accounts", "add_accounts"),
)


def restore_reference_data() -> None:
    """Put back the chart of accounts, products and denominations if an earlier transactional test's
    flush removed them, and the role groups' permissions. (Serialized rollback would, but on
    PostgreSQL it collides with the role groups post_migrate recreates under new ids, and in the
    browser tests Playwright's thread gets a connection without the serialized copy.)"""
    from importlib import import_module

    from django.apps import apps as django_apps

    from apps.core.roles import sync_roles
    from apps.ledger.models import GLAccount

    if not GLAccount.objects.exists():
        for module, func in REFERENCE_DATA:
            getattr(import_module(module), func)(django_apps, None)
    sync_roles()
