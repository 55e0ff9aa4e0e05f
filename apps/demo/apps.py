from django.apps import AppConfig


class DemoConfig(AppConfig):
    """No models and no registrations: the demo only calls the product's services."""

    name = "apps.demo"
    label = "demo"
    verbose_name = "Demo world"
