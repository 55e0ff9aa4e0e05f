from django import forms
from django.core.exceptions import ValidationError

from apps.core.roles import Role

from .services import SignInError, check_credentials


class SignInForm(forms.Form):
    """Email, password and (when the account has one) a second-factor code.

    The field is called `username` because django-axes and Django's LoginView expect it.
    """

    username = forms.EmailField(label="Email", widget=forms.EmailInput(attrs={"autofocus": True,
                                                                              "autocomplete": "email"}))
    password = forms.CharField(label="Password", strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    otp_token = forms.CharField(label="Authentication code", required=False, max_length=16,
                                help_text="Only if you set up two-factor sign-in: the 6-digit code or a "
                                          "backup code.",
                                widget=forms.TextInput(attrs={"autocomplete": "one-time-code",
                                                              "inputmode": "numeric"}))
    staff_only = False

    def __init__(self, request=None, *args, **kwargs):
        self.request = request
        self.credentials = None
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            self.credentials = check_credentials(
                request=self.request, email=cleaned["username"], password=cleaned["password"],
                otp_token=cleaned.get("otp_token"), allow_unenrolled=True,
            )
        except SignInError as exc:
            raise ValidationError(str(exc), code=exc.code)
        user = self.credentials.user
        if not self.staff_only and user.role == Role.CONTENT_EDITOR:
            raise ValidationError("Content editors sign in to the website editor at /cms/, not the member portal.",
                                  code="content_editor")
        # Content editors are not staff (no console, no member data) but sign in here for /cms/.
        if self.staff_only and not (user.is_staff or user.role == Role.CONTENT_EDITOR):
            raise ValidationError("This account cannot use the staff console. Members sign in on the portal.",
                                  code="not_staff")
        return cleaned

    def get_user(self):
        return self.credentials.user if self.credentials else None


class StaffSignInForm(SignInForm):
    staff_only = True


class OTPConfirmForm(forms.Form):
    token = forms.CharField(label="6-digit code", max_length=8,
                            widget=forms.TextInput(attrs={"autocomplete": "one-time-code",
                                                          "inputmode": "numeric", "autofocus": True}))
