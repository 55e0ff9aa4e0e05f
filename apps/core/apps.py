from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    verbose_name = "Coastal core"

    def ready(self):
        from django import forms

        from .text import validate_plain_text

        # Every text box of every form (console, portal, Wagtail, sign-in) refuses control characters
        # with a field error: Field.__init__ copies default_validators, so this one line covers
        # CharField and its subclasses that keep them (EmailField and the like bring their own
        # validators, which refuse such characters already).
        forms.CharField.default_validators = [validate_plain_text]
