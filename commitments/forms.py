"""Forms of the officer workspace. They shape input; the services decide what is valid."""

from typing import Any

from django import forms

from commitments.models import Evidence, ImplementationStatus, ItemResponse
from commitments.services.reports import MetricInput
from commitments.templatetags.pledgeproof import plain_number

STATUS_CHOICES = [("", "— Choose a status —"), *ImplementationStatus.choices]


class ItemForm(forms.Form):
    """One mitigation's answer, with a value/data-source pair per metric definition.

    Metric values are plain text on purpose: item_update parses them, and a value it refuses is
    shown back exactly as typed.
    """

    status = forms.ChoiceField(label="Implementation status", choices=STATUS_CHOICES, required=False)
    narrative = forms.CharField(
        label="What has been done",
        required=False,
        widget=forms.Textarea(attrs={"rows": 7}),
        help_text="Markdown. Describe what is in place; for “Not applicable”, explain why.",
    )
    areas_needing_progress = forms.CharField(
        label="Areas still needing progress", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    expected_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, item: ItemResponse, **kwargs: Any):
        kwargs.setdefault("prefix", f"item-{item.pk}")
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.item = item
        self.metric_definitions = list(item.node.metrics.all())
        saved = {v.metric.key: v for v in item.metric_values.all()}
        self.had_value = set(saved)
        if not self.is_bound:
            self.initial = {
                "status": item.status,
                "narrative": item.narrative,
                "areas_needing_progress": item.areas_needing_progress,
                "expected_version": item.version,
            }
        for metric in self.metric_definitions:
            value = saved.get(metric.key)
            value_field = forms.CharField(
                label=f"{metric.name} ({metric.get_unit_display()})",
                required=False,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
                help_text=metric.description,
            )
            source_field = forms.CharField(
                label="Data source" + (" (required)" if metric.requires_data_source else " (optional)"),
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text="Where the number comes from, e.g. the system or export it was counted in.",
            )
            self.fields[f"metric_{metric.key}_value"] = value_field
            self.fields[f"metric_{metric.key}_source"] = source_field
            if not self.is_bound and value is not None:
                self.initial[f"metric_{metric.key}_value"] = plain_number(value.value)
                self.initial[f"metric_{metric.key}_source"] = value.data_source

    def metric_rows(self) -> list[dict[str, Any]]:
        """Value and data-source fields side by side, per metric definition."""
        return [
            {
                "metric": metric,
                "value": self[f"metric_{metric.key}_value"],
                "source": self[f"metric_{metric.key}_source"],
            }
            for metric in self.metric_definitions
        ]

    def metric_inputs(self) -> dict[str, MetricInput]:
        """Only metrics that already have a row or were filled in, so an empty form adds no rows."""
        inputs = {}
        for metric in self.metric_definitions:
            value = self.cleaned_data.get(f"metric_{metric.key}_value", "").strip()
            source = self.cleaned_data.get(f"metric_{metric.key}_source", "").strip()
            if value or source or metric.key in self.had_value:
                inputs[metric.key] = MetricInput(value=value or None, data_source=source)
        return inputs

    def add_service_problems(self, problems: dict[str, list[str]]) -> None:
        """Attach item_update's problems (keys like 'status' or 'metric:<key>') to their fields."""
        for key, messages in problems.items():
            name = f"metric_{key.removeprefix('metric:')}_value" if key.startswith("metric:") else key
            for message in messages:
                self.add_error(name if name in self.fields else None, message)


class EvidenceForm(forms.Form):
    upload = forms.FileField(
        label="File",
        required=False,
        help_text="PDF, plain text, Markdown, CSV or JSON. Images, archives and programs are refused.",
    )
    url = forms.CharField(
        label="…or a web address",
        required=False,
        max_length=1000,
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )
    title = forms.CharField(max_length=300)
    effective_date = forms.DateField(
        label="Effective date",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="When the document took effect, not when it is uploaded.",
    )
    visibility = forms.ChoiceField(
        choices=Evidence.Visibility.choices,
        initial=Evidence.Visibility.PUBLIC,
        widget=forms.RadioSelect,
        help_text="Restricted evidence is seen only by reviewers and auditors; the public sees its hash.",
    )

    def __init__(self, *args: Any, item: ItemResponse, **kwargs: Any):
        kwargs.setdefault("prefix", f"evidence-{item.pk}")
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def add_service_problems(self, problems: dict[str, list[str]]) -> None:
        for key, messages in problems.items():
            for message in messages:
                self.add_error(key if key in self.fields else None, message)
