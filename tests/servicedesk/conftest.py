import pytest

from apps.ledger.models import Account
from tests.ledger.factories import make_member, open_account
from tests.messaging.conftest import headers, private_media  # noqa: F401  (the same API headers and private files)


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
