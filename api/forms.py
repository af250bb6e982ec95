from django import forms

from api.models import TokenScope
from api.services import NAME_MAX

EXPIRY_CHOICES = [("30", "In 30 days"), ("90", "In 90 days"), ("365", "In a year"), ("", "Never")]


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        max_length=NAME_MAX,
        help_text="What the token is for, e.g. “quarterly upload from our GRC system”.",
    )
    scope = forms.ChoiceField(
        choices=TokenScope.choices,
        initial=TokenScope.READ,
        widget=forms.RadioSelect,
        help_text="A read-only token can fetch but never change anything.",
    )
    expires_in_days = forms.ChoiceField(choices=EXPIRY_CHOICES, initial="90", required=False, label="Expires")
