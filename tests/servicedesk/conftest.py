import pytest

from apps.core.roles import Role
from apps.ledger.models import Account
from tests.ledger.factories import make_member, open_account


@pytest.fixture
def headers(api, totp_device, code_for):
    """headers(user) -> Bearer headers, with a second factor for the roles that need one."""

    def make(user):
        if Role(user.role).otp_required:
            return api(user, otp=code_for(totp_device(user)))
        return api(user)

    return make


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path / "private")
    return tmp_path / "private"


@pytest.fixture
def member(cashier, operations_manager, customer):
    return make_member(registrar=cashier, verifier=operations_manager, user=customer)


@pytest.fixture
def other_customer(make_user):
    return make_user("customer")


@pytest.fixture
def other_member(cashier, operations_manager, other_customer):
    return make_member(registrar=cashier, verifier=operations_manager, user=other_customer, first_name="Kofi")


@pytest.fixture
def account(cashier, member) -> Account:
    return open_account(actor=cashier, member=member)


@pytest.fixture
def other_account(cashier, other_member) -> Account:
    return open_account(actor=cashier, member=other_member)
