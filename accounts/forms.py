from axes.utils import reset as axes_reset
from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.urls import reverse

from accounts.models import Invitation
from accounts.second_factor import CODE_MAX_LENGTH, CodeKind, code_kind, code_normalise
from accounts.services import CODE_SHAPE_MESSAGE, TOTP_SHAPE_MESSAGE, password_reset_email_queue
from commitments.models import Membership, Organisation


class EmailLoginForm(AuthenticationForm):
    # The field keeps Django's name "username" (axes and the admin expect it); people see "Email address".
    username = forms.EmailField(
        label="Email address",
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That email address and password do not match an account. Check both and try again.",
    }

    def clean_username(self) -> str:
        # Stored addresses are lower case; people type them any way.
        return self.cleaned_data["username"].strip().lower()


class EmailPasswordResetForm(PasswordResetForm):
    email = forms.EmailField(
        label="Email address", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        # Same templates and task as every other email, sent only after the request's data commits.
        path = reverse(
            "accounts:password_reset_confirm", kwargs={"uidb64": context["uid"], "token": context["token"]}
        )
        password_reset_email_queue(user=context["user"], reset_url=settings.SITE_URL + path)


class ResetSetPasswordForm(SetPasswordForm):
    def save(self, commit: bool = True):
        user = super().save(commit=commit)
        # Whoever proved they own the mailbox should not stay locked out of signing in.
        axes_reset(username=user.email)
        return user


class InvitationForm(forms.Form):
    email = forms.EmailField(label="Email address", widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.all(),
        required=False,
        empty_label="— program staff, no organisation —",
        help_text="Leave empty to invite a reviewer, auditor or program admin.",
    )
    role = forms.ChoiceField(
        label="Role in the organisation",
        choices=[("", "—")] + Membership.Role.choices,
        required=False,
    )
    platform_role = forms.ChoiceField(
        label="Or: program role",
        choices=[("", "—")] + Invitation.PlatformRole.choices,
        required=False,
    )


class InvitationAcceptForm(forms.Form):
    full_name = forms.CharField(
        label="Your name",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    password1 = forms.CharField(
        label="Choose a password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="Repeat the password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", "The two passwords differ.")
        return cleaned


class SecondFactorCodeForm(forms.Form):
    """One code: the app's 6 digits or, where `allow_recovery`, a recovery code.

    Only the shape is checked here (no database work for junk); the services check the code.
    """

    code = forms.CharField(
        label="Code",
        max_length=CODE_MAX_LENGTH,
        error_messages={"max_length": CODE_SHAPE_MESSAGE, "required": CODE_SHAPE_MESSAGE},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "off",
                "spellcheck": "false",
                "autofocus": True,
            }
        ),
    )

    def __init__(self, *args, allow_recovery: bool = True, label: str = "", autofocus: bool = True, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.allow_recovery = allow_recovery
        if label:
            self.fields["code"].label = label
        if not autofocus:
            del self.fields["code"].widget.attrs["autofocus"]
        if not allow_recovery:
            self.fields["code"].widget.attrs["inputmode"] = "numeric"
            self.fields["code"].error_messages = {
                "max_length": TOTP_SHAPE_MESSAGE,
                "required": TOTP_SHAPE_MESSAGE,
            }

    def clean_code(self) -> str:
        code = code_normalise(self.cleaned_data["code"])
        kind = code_kind(code)
        if kind is CodeKind.TOTP or (kind is CodeKind.RECOVERY and self.allow_recovery):
            return code
        raise forms.ValidationError(CODE_SHAPE_MESSAGE if self.allow_recovery else TOTP_SHAPE_MESSAGE)


class SecondFactorResetForm(forms.Form):
    email = forms.EmailField(
        label="Email address of the person", widget=forms.EmailInput(attrs={"autocomplete": "off"})
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
