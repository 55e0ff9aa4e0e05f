"""Demo users: one per role. Staff whose role needs two-factor get a known authenticator key."""

import base64
import hashlib

from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.core.roles import ROLES, Role

from .models import User

DEMO_USERS = [
    ("admin@example.com", Role.ADMIN, "Ama", "Mensah", "ST-001"),
    ("manager@example.com", Role.MANAGER, "Kofi", "Boateng", "ST-002"),
    ("operations@example.com", Role.OPERATIONS_MANAGER, "Efua", "Owusu", "ST-003"),
    ("cashier@example.com", Role.CASHIER, "Yaw", "Asante", "ST-004"),
    ("banker@example.com", Role.MOBILE_BANKER, "Akosua", "Darko", "ST-005"),
    # A second manager, so a manager's own request (and the demo's reversals) has a second person to approve it.
    ("manager2@example.com", Role.MANAGER, "Abena", "Quaye", "ST-006"),
    ("customer@example.com", Role.CUSTOMER, "Kwame", "Appiah", None),
]


def demo_totp_key(email: str) -> bytes:
    return hashlib.sha256(f"coastal-demo-totp:{email}".encode()).digest()[:20]


def demo_backup_codes(email: str) -> list[str]:
    digest = hashlib.sha256(f"coastal-demo-backup:{email}".encode()).hexdigest()
    return [digest[i:i + 8] for i in range(0, 40, 8)]


def seed_users(*, password: str) -> list[dict]:
    """Create or refresh the demo users. Returns what to print for each."""
    printed = []
    for email, role, first, last, staff_id in DEMO_USERS:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email, password, role=role, first_name=first, last_name=last,
                                            staff_id=staff_id)
        else:
            if not user.check_password(password):
                user.set_password(password)  # a new password ends the user's API tokens: only when it is new
            user.role, user.is_active = role, True
            user.save()
        entry = {"email": email, "role": ROLES[role].label, "totp_secret": None, "backup_codes": []}
        if ROLES[role].otp_required:
            key = demo_totp_key(email)
            TOTPDevice.objects.update_or_create(user=user, name="Demo authenticator",
                                                defaults={"key": key.hex(), "confirmed": True})
            static, _ = StaticDevice.objects.get_or_create(user=user, name="Backup codes",
                                                           defaults={"confirmed": True})
            static.token_set.all().delete()
            codes = demo_backup_codes(email)
            StaticToken.objects.bulk_create([StaticToken(device=static, token=c) for c in codes])
            entry["totp_secret"] = base64.b32encode(key).decode()
            entry["backup_codes"] = codes
        printed.append(entry)
    return printed
