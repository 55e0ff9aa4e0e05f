import pytest
from asgiref.sync import async_to_sync
from channels.layers import channel_layers, get_channel_layer

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


@pytest.fixture(autouse=True)
def fresh_channel_layer():
    """An empty, new channel layer for every test.

    pytest-asyncio gives each test its own event loop, and channels_redis ties its receive state to
    the loop that first receives; a layer kept from an earlier test can also hold group memberships
    of consumers that are gone, whose undelivered events share one Redis key with the live
    consumers of that layer until the key is full. Redis outlives test runs, so the worker's key
    space is flushed too."""
    channel_layers.backends.clear()
    layer = get_channel_layer()
    if hasattr(layer, "flush"):
        async_to_sync(layer.flush)()
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()
