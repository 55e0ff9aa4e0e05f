"""Fixtures for the staff-console (admin) tests of the demo world."""

import pytest


@pytest.fixture
def console(staff_client, totp_device):
    """console(user) -> a test client signed in to the staff console; roles that need a second
    factor get an authenticator device and a verified session."""

    def make(user):
        if user.role in ("manager", "operations_manager", "admin"):
            totp_device(user)
        return staff_client(user)

    return make
