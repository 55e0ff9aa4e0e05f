from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


def _sync_roles(sender, **kwargs):
    """post_migrate is sent once per app, and each app's permissions are created by its own
    signal; sync only on the last one, when every app's permissions exist."""
    with_models = [config for config in apps.get_app_configs() if config.models_module is not None]
    if sender is not with_models[-1]:
        return
    from apps.core.roles import sync_roles

    sync_roles()


class UsersConfig(AppConfig):
    name = "apps.users"
    label = "users"
    verbose_name = "Users and security"

    def ready(self):
        from . import signals  # noqa: F401

        post_migrate.connect(_sync_roles, dispatch_uid="coastal.sync_roles")
