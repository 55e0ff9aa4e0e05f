import pytest

from apps.core.roles import Role


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
def other_customer(make_user):
    return make_user("customer")
