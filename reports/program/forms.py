"""Forms of the program area. They shape input; the services decide what is valid."""

from typing import Any

from django import forms


class CorrectionForm(forms.Form):
    reason = forms.CharField(
        label="Reason for the correction",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Shown to the public in the corrections log and next to the report's versions.",
        error_messages={"required": "Say why the report is corrected."},
    )
    confirm = forms.BooleanField(
        error_messages={"required": "Tick the box to confirm that the correction is published."},
    )

    def __init__(self, *args: Any, next_version: int | None = None, **kwargs: Any):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        version = f"version {next_version}" if next_version else "a new version"
        self.fields[
            "confirm"
        ].label = (
            f"Publish {version} to the public now. The current version stays readable, marked as superseded."
        )
