"""The statement request form, shared by the staff console and the member portal."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from unfold.widgets import UnfoldAdminSelectWidget, UnfoldAdminTextInputWidget

from .statements import statement_period_validate

FORMAT_CHOICES = [("pdf", "PDF"), ("csv", "CSV (spreadsheet)")]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class StatementForm(forms.Form):
    start = forms.DateField(label="From", widget=DateInput, input_formats=["%Y-%m-%d"])
    end = forms.DateField(label="To", widget=DateInput, input_formats=["%Y-%m-%d"])
    format = forms.ChoiceField(label="Format", choices=FORMAT_CHOICES, initial="pdf")

    @classmethod
    def initial_period(cls) -> dict:
        """This month so far."""
        today = timezone.localdate()
        return {"start": today.replace(day=1), "end": today, "format": "pdf"}

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end"):
            try:
                statement_period_validate(start=data["start"], end=data["end"])
            except ValidationError as exc:
                for name, messages in exc.message_dict.items():
                    self.add_error(name if name in self.fields else None, messages)
        return data


class AdminDateInput(UnfoldAdminTextInputWidget):
    input_type = "date"  # a date renders as YYYY-MM-DD, the value a date input expects


class AdminStatementForm(StatementForm):
    """The same form with the staff console's (unfold) widgets."""

    start = forms.DateField(label="From", widget=AdminDateInput, input_formats=["%Y-%m-%d"])
    end = forms.DateField(label="To", widget=AdminDateInput, input_formats=["%Y-%m-%d"])
    format = forms.ChoiceField(label="Format", choices=FORMAT_CHOICES, initial="pdf",
                               widget=UnfoldAdminSelectWidget)
