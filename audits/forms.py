"""Forms of the audit pages: an engagement created by a program admin, an auditor's declaration.

They shape input (lengths the database holds, dates people type, ids that exist); the services
in audits/services decide what is valid (who may be an auditor, a window that ends after it
starts, an auditor who belongs to an organisation in scope) and their problems are shown back
on the fields they name, with everything that was typed still in place.
"""

from typing import Any

from django import forms
from django.conf import settings

from accounts.models import User
from audits.models import Engagement
from commitments.models import Organisation, ReportingPeriod

# What an <input type="datetime-local"> sends, and shows back.
DATETIME_INPUT = "%Y-%m-%dT%H:%M"


def _max_length(model, name: str) -> int | None:
    return model._meta.get_field(name).max_length


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any):
        super().__init__(format=DATETIME_INPUT, **kwargs)


class PeriodChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: ReportingPeriod) -> str:
        return f"{obj.framework.title} · {obj.label}"


class AuditorChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        name = obj.get_full_name()
        return f"{name} ({obj.email})" if name else obj.email


class EngagementForm(forms.Form):
    title = forms.CharField(max_length=_max_length(Engagement, "title"))
    firm = forms.CharField(
        max_length=_max_length(Engagement, "firm"),
        required=False,
        help_text=Engagement._meta.get_field("firm").help_text,
    )
    standard = forms.CharField(
        label="Standard or terms",
        max_length=_max_length(Engagement, "standard"),
        help_text=Engagement._meta.get_field("standard").help_text,
    )
    scope_statement = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=Engagement._meta.get_field("scope_statement").help_text,
    )
    auditors = AuditorChoiceField(
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="People with the platform role “auditor”. Each declares their independence before "
        "they see anything of the engagement.",
    )
    organisations = forms.ModelMultipleChoiceField(
        label="Organisations in scope",
        queryset=Organisation.objects.order_by("name"),
        widget=forms.CheckboxSelectMultiple,
    )
    periods = PeriodChoiceField(
        label="Reporting periods in scope",
        queryset=ReportingPeriod.objects.select_related("framework").order_by(
            "framework__title", "-starts_on"
        ),
        widget=forms.CheckboxSelectMultiple,
    )
    starts_at = forms.DateTimeField(
        label="Starts", widget=DateTimeInput(), input_formats=[DATETIME_INPUT, "%Y-%m-%d %H:%M"]
    )
    ends_at = forms.DateTimeField(
        label="Ends", widget=DateTimeInput(), input_formats=[DATETIME_INPUT, "%Y-%m-%d %H:%M"]
    )

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        # The choices offered; the service refuses anyone else whatever the form lets through.
        self.fields["auditors"].queryset = User.objects.filter(
            platform_role=User.PlatformRole.AUDITOR, is_active=True
        ).order_by("email")
        zone = settings.TIME_ZONE
        self.fields["starts_at"].help_text = f"Date and time, {zone}. The auditors can start then."
        self.fields["ends_at"].help_text = f"Date and time, {zone}. From then on they reach nothing of it."

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "firm": data["firm"],
            "standard": data["standard"],
            "scope_statement": data["scope_statement"],
            "auditors": list(data["auditors"]),
            "organisations": list(data["organisations"]),
            "periods": list(data["periods"]),
            "starts_at": data["starts_at"],
            "ends_at": data["ends_at"],
        }

    def add_problems(self, problems: dict[str, list[str]]) -> None:
        """The service's problems, each on its field (or above the form when it names none here)."""
        for name, messages in problems.items():
            for message in messages:
                self.add_error(name if name in self.fields else None, message)


class DeclarationForm(forms.Form):
    declaration = forms.CharField(
        label="Your declaration",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="That you hold no interest in, and have no relationship with, the organisations in scope "
        "that would impair your independence; name anything the program should know.",
    )

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def add_problems(self, problems: dict[str, list[str]]) -> None:
        for name, messages in problems.items():
            for message in messages:
                self.add_error(name if name in self.fields else None, message)


class FollowUpForm(forms.Form):
    """The follow-up of one corrective action, in the report editor; prefixed with the finding's id,
    as a report can follow up several. The service judges the text (required, its length)."""

    text = forms.CharField(
        label="Follow-up: what was done",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Published with this report, beside the auditor's finding.",
    )

    def __init__(self, *args: Any, finding_id: int, **kwargs: Any):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, prefix=f"follow-up-{finding_id}", **kwargs)

    def add_problems(self, problems: dict[str, list[str]]) -> None:
        for name, messages in problems.items():
            for message in messages:
                self.add_error(name if name in self.fields else None, message)
