"""The demo logins (fixtures/demo/staff.json): one per role, and a second manager for four eyes.

Staff whose role needs two-factor get a known authenticator key and backup codes, derived from
their e-mail, so the printed second factors are the same on every machine.
"""

import base64
import hashlib
from dataclasses import dataclass

from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.core.roles import ROLES, Role
from apps.users.models import User

from .data import load, money

# (email, role, first name, last name, staff id), in the order the logins are printed.
DEMO_USERS = [(u["email"], Role(u["role"]), u["first_name"], u["last_name"], u["staff_id"])
              for u in load("staff")["users"]]


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


@dataclass
class Staff:
    """Who does what in the demo world."""

    cashier: User
    banker: User
    operations: User
    manager: User
    second_manager: User  # four eyes when a manager starts something, and the reversals' approver
    customer: User


def demo_staff() -> Staff:
    users = {u.email: u for u in User.objects.filter(email__in=[row[0] for row in DEMO_USERS])}
    by_role: dict[str, list] = {}
    for email, role, *_ in DEMO_USERS:
        by_role.setdefault(role, []).append(users[email])
    return Staff(cashier=by_role[Role.CASHIER][0], banker=by_role[Role.MOBILE_BANKER][0],
                 operations=by_role[Role.OPERATIONS_MANAGER][0], manager=by_role[Role.MANAGER][0],
                 second_manager=by_role[Role.MANAGER][1], customer=by_role[Role.CUSTOMER][0])


def set_staff_limits() -> None:
    """Give each demo staff login its daily limit (saved only when it changes, so history stays quiet)."""
    limits = {role: money(value) for role, value in load("staff")["daily_limits"].items()}
    for user in User.objects.filter(email__in=[row[0] for row in DEMO_USERS]):
        limit = limits.get(user.role)
        if limit is not None and user.daily_transaction_limit != limit:
            user.daily_transaction_limit = limit
            user.save(update_fields=["daily_transaction_limit"])
