"""The console's messaging forms. They collect what a person typed; `services.thread_create` and
`services.message_post` decide whether it is acceptable (their refusals are shown on the form)."""

from django import forms
from django.contrib.auth import get_user_model
from unfold.widgets import (
    UnfoldAdminSelectMultipleWidget,
    UnfoldAdminTextareaWidget,
    UnfoldAdminTextInputWidget,
)

from apps.core.roles import STAFF_ROLES

from .models import MAX_BODY_CHARS, MAX_SUBJECT_CHARS


class StaffChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        name = obj.get_full_name() or obj.email
        return f"{name} ({obj.get_role_display()})"


class ComposerForm(forms.Form):
    """A reply on a thread page: text, a file, or both (the service requires one of the two)."""

    body = forms.CharField(label="Message", required=False, strip=False, max_length=MAX_BODY_CHARS,
                           widget=UnfoldAdminTextareaWidget(attrs={"rows": 3, "data-testid": "composer-body"}))
    file = forms.FileField(label="Attachment (optional)", required=False,
                           help_text="PDF, JPEG or PNG, at most 5 MB.",
                           widget=forms.ClearableFileInput(attrs={"data-testid": "composer-file",
                                                                  "accept": ".pdf,.jpg,.jpeg,.png"}))


class NewThreadForm(forms.Form):
    """A new conversation between members of staff: the other participants are chosen from active staff."""

    subject = forms.CharField(label="Subject", max_length=MAX_SUBJECT_CHARS,
                              widget=UnfoldAdminTextInputWidget(attrs={"data-testid": "new-thread-subject"}))
    participants = StaffChoiceField(
        queryset=None, label="To", help_text="Hold Ctrl (or Cmd) to choose more than one person.",
        widget=UnfoldAdminSelectMultipleWidget(attrs={"size": 8, "data-testid": "new-thread-participants"}))
    body = forms.CharField(label="Message", max_length=MAX_BODY_CHARS, strip=False,
                           widget=UnfoldAdminTextareaWidget(attrs={"rows": 5, "data-testid": "new-thread-body"}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["participants"].queryset = (
            get_user_model().objects.filter(is_active=True, role__in=STAFF_ROLES).exclude(pk=user.pk)
            .order_by("first_name", "last_name", "email"))
