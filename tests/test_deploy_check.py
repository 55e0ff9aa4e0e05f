"""Production settings pass Django's deploy checks; the demo data command is safe to run again."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.core.roles import ROLES
from apps.users.demo import DEMO_USERS, demo_totp_key
from apps.users.models import User

from .support import api_login, new_client

ROOT = Path(__file__).resolve().parent.parent


def production_env(**overrides) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.update({
        "DJANGO_SETTINGS_MODULE": "coastal_site.settings.production",
        "SECRET_KEY": "test-" + "k3y-" * 15,
        "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": "coastal.example",
        "CSRF_TRUSTED_ORIGINS": "https://coastal.example",
    })
    env.update(overrides)
    return env


def manage(*args, env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_check_deploy_is_clean_under_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_a_real_secret_key():
    result = manage("check", env=production_env(SECRET_KEY="short"))
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.django_db
def test_seed_demo_twice_leaves_one_user_per_demo_email_and_managers_enrolled():
    first = io.StringIO()
    call_command("seed_demo", password="Demo-pass-4411", users_only=True, stdout=first)
    assert "manager@example.com" in first.getvalue() and "authenticator key" in first.getvalue()
    _, cashier_tokens = api_login("cashier@example.com", "Demo-pass-4411")

    call_command("seed_demo", password="Demo-pass-4411", users_only=True, stdout=io.StringIO())

    for email, role, *_ in DEMO_USERS:
        users = User.objects.filter(email=email)
        assert users.count() == 1, email
        user = users.get()
        assert user.role == role and user.is_active and user.check_password("Demo-pass-4411")
        devices = TOTPDevice.objects.filter(user=user)
        if ROLES[role].otp_required:
            assert devices.count() == 1 and devices.get().confirmed, email
            assert StaticToken.objects.filter(device__user=user).count() == 5
        else:
            assert not devices.exists(), email

    # Running it again changed nothing for people already signed in.
    assert new_client().get("/api/users/sessions/", headers=cashier_tokens["headers"]).status_code == 200

    # The printed authenticator key is the one the demo manager's device holds.
    device = TOTPDevice.objects.get(user__email="manager@example.com")
    assert device.bin_key == demo_totp_key("manager@example.com")
    code = str(totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)).zfill(device.digits)
    response, _ = api_login("manager@example.com", "Demo-pass-4411", otp=code)
    assert response.status_code == 200, response.content
