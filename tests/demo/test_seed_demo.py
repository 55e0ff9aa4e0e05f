"""`seed_demo`: the demo logins are refreshed, never doubled, on every run; the command exists only where
the demo app is installed (development and tests), never under production settings; and no product app
holds demo code."""

import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.core.roles import ROLES
from apps.demo.staff import DEMO_USERS, demo_totp_key
from apps.users.models import User

from ..support import api_login, new_client
from ..test_deploy_check import manage, production_env

ROOT = Path(__file__).resolve().parent.parent.parent


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


def test_the_printed_logins_are_the_ones_the_readme_and_scripts_start_list():
    emails = [row[0] for row in DEMO_USERS]
    assert emails == ["admin@example.com", "manager@example.com", "operations@example.com", "cashier@example.com",
                      "banker@example.com", "manager2@example.com", "editor@example.com", "editor2@example.com",
                      "customer@example.com"]
    for document in ("README.md", "scripts/start"):
        text = (ROOT / document).read_text()
        assert set(emails) <= set(re.findall(r"[a-z0-9]+@example\.com", text)), document
        assert "Coastal-demo-2026" in text, document


# Words, not code: the console's environment badge calls a DEBUG run "Demo (embedded)" (apps/core is not the
# demo's to change). Anything else that mentions the demo in a product app fails the test below.
KNOWN_MENTIONS = {"core/dashboard.py: mentions the demo"}


def test_no_product_app_holds_demo_code():
    """The demo world lives in apps/demo (its data in fixtures/demo); product apps neither hold, import nor
    mention it."""
    apps_dir = ROOT / "apps"
    offenders = set()
    for path in apps_dir.rglob("*"):
        relative = path.relative_to(apps_dir)
        if relative.parts[0] == "demo" or "__pycache__" in relative.parts or not path.is_file():
            continue
        if "demo" in path.name.lower():
            offenders.add(f"{relative}: named after the demo")
        elif path.suffix in (".py", ".html", ".txt", ".js", ".css"):
            text = path.read_text()
            if re.search(r"apps\.demo|from \.+demo\b|import demo\b", text):
                offenders.add(f"{relative}: imports the demo")
            elif re.search(r"demo", text, re.I):
                offenders.add(f"{relative}: mentions the demo")
    assert offenders - KNOWN_MENTIONS == set()
    assert (ROOT / "fixtures" / "demo").is_dir()


def test_the_demo_app_is_installed_for_development_and_tests_only():
    from coastal_site.settings import base

    assert "apps.demo" in settings.INSTALLED_APPS  # the test settings
    assert "apps.demo" not in base.INSTALLED_APPS  # production takes its apps from base
    assert "demo" not in (ROOT / "coastal_site" / "settings" / "production.py").read_text().lower()
    # and so production has no seed_demo: it would make logins with a published password
    result = manage("seed_demo", "--users-only", env=production_env())
    assert result.returncode != 0 and "Unknown command: 'seed_demo'" in result.stderr, result.stderr
