from django.db import models


class MetricUnit(models.TextChoices):
    COUNT = "count", "count"
    PERCENT = "percent", "percent"
    HOURS = "hours", "hours"
    DAYS = "days", "days"


class FrameworkQuerySet(models.QuerySet):
    def in_use(self):
        return self.filter(periods__reports__isnull=False).distinct()


class Framework(models.Model):
    """One version of a commitment framework, loaded from a YAML file in the repository."""

    key = models.SlugField(max_length=50, help_text="Stable id, e.g. 'sbd'.")
    version = models.CharField(max_length=30, help_text="e.g. '2024.1'.")
    title = models.CharField(max_length=300)
    short_title = models.CharField(max_length=100, blank=True)
    description = models.TextField(blank=True)
    publisher = models.CharField(max_length=300, blank=True)
    published_on = models.DateField(null=True, blank=True)
    source_url = models.URLField(max_length=500, blank=True)
    source_note = models.TextField(blank=True)
    licence_note = models.TextField(blank=True)
    levels = models.JSONField(default=list, help_text="Names of the tree's levels, root first.")
    source_file = models.CharField(max_length=300, blank=True)
    content_sha256 = models.CharField(max_length=64, help_text="SHA-256 of the loaded definition.")
    loaded_at = models.DateTimeField(auto_now=True)

    objects = FrameworkQuerySet.as_manager()

    class Meta:
        ordering = ["key", "version"]
        constraints = [
            models.UniqueConstraint(fields=["key", "version"], name="framework_key_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.key} v{self.version}"

    @property
    def is_frozen(self) -> bool:
        """A version that any report uses can no longer change: changes need a new version."""
        from commitments.models.reports import ProgressReport

        return ProgressReport.objects.filter(period__framework=self).exists()


class FrameworkNode(models.Model):
    """A node of a framework tree: e.g. phase, principle or mitigation.

    Nodes on the framework's last level are the reportable items.
    """

    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="nodes")
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children"
    )
    node_id = models.CharField(max_length=120, help_text="Stable id, e.g. 'sbd.develop.1.m1'.")
    kind = models.CharField(max_length=40, help_text="Level name, e.g. 'principle'.")
    reportable = models.BooleanField(default=False)
    code = models.CharField(max_length=20, blank=True, help_text="Short label, e.g. 'M1' or '4'.")
    title = models.CharField(max_length=500)
    description = models.TextField(blank=True)
    source_ref = models.CharField(max_length=500, blank=True)
    evidence_expected = models.TextField(blank=True)
    verification_criteria = models.TextField(
        blank=True, help_text="What a reviewer must see to call the item verified."
    )
    example_disclosure = models.TextField(blank=True)
    unconfirmed = models.BooleanField(
        default=False, help_text="Wording could not be checked against the primary document."
    )
    depth = models.PositiveSmallIntegerField(default=0)
    position = models.PositiveIntegerField(default=0, help_text="Order in a depth-first walk.")

    class Meta:
        ordering = ["framework", "position"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "node_id"], name="node_id_unique_in_framework")
        ]

    def __str__(self) -> str:
        return f"{self.node_id} {self.title}"


class MetricDefinition(models.Model):
    node = models.ForeignKey(FrameworkNode, on_delete=models.CASCADE, related_name="metrics")
    key = models.SlugField(max_length=80)
    name = models.CharField(max_length=300)
    unit = models.CharField(max_length=20, choices=MetricUnit.choices)
    description = models.TextField(blank=True)
    required = models.BooleanField(default=True)
    requires_data_source = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["node", "position"]
        constraints = [models.UniqueConstraint(fields=["node", "key"], name="metric_key_unique_in_node")]

    def __str__(self) -> str:
        return f"{self.name} ({self.unit})"


class CrosswalkLink(models.Model):
    """Says that a node of one framework covers (part of) a node of another."""

    source = models.ForeignKey(FrameworkNode, on_delete=models.CASCADE, related_name="crosswalk_out")
    target = models.ForeignKey(FrameworkNode, on_delete=models.CASCADE, related_name="crosswalk_in")
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "target"], name="crosswalk_link_unique")]

    def __str__(self) -> str:
        return f"{self.source.node_id} → {self.target.node_id}"
