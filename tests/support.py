"""Helpers shared by the tests (fixtures that wrap them live in conftest.py)."""

import json

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
