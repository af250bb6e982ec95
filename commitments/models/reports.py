from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import Count, Prefetch, Q
from django.utils import timezone

from commitments.models.frameworks import FrameworkNode, MetricDefinition
from commitments.models.organisations import Organisation, ReportingPeriod
from commitments.vocabulary import ImplementationStatus, ReportStatus, Verdict


class ProgressReportQuerySet(models.QuerySet):
    def published(self) -> Self:
        return self.filter(status=ReportStatus.PUBLISHED)

    def for_organisation(self, organisation) -> Self:
        return self.filter(organisation=organisation)

    def with_completion(self) -> Self:
        """Annotate item_total and item_answered (items with a status), for progress bars and counts."""
        return self.annotate(
            item_total=Count("items", distinct=True),
            item_answered=Count("items", filter=~Q(items__status=""), distinct=True),
        )


class ProgressReport(models.Model):
    """One organisation's report for one reporting period.

    `status` is written only by the transition services in commitments.services.reports.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="reports")
    period = models.ForeignKey(ReportingPeriod, on_delete=models.PROTECT, related_name="reports")
    status = models.CharField(max_length=20, choices=ReportStatus.choices, default=ReportStatus.DRAFT)
    # Incremented on each submission, so verdicts and diffs know which submission they saw.
    revision = models.PositiveIntegerField(default=0)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="reviewing"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True, help_text="Latest submission.")
    # Whether the report came in on time is judged by its first submission, not by resubmissions.
    first_submitted_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)

    objects = ProgressReportQuerySet.as_manager()

    class Meta:
        ordering = ["organisation", "-period__starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "period"], name="one_report_per_period")
        ]

    def __str__(self) -> str:
        return f"{self.organisation} — {self.period}"

    @property
    def reference(self) -> str:
        """The report id printed on documents, e.g. 'PP-2025-000012'."""
        return f"PP-{self.period.label}-{self.pk:06d}"


class ItemResponseQuerySet(models.QuerySet):
    def with_verdicts(self) -> Self:
        """Prefetch every verdict of each item (all submissions, with their reviewers), so that
        current_verdict costs no query per item."""
        return self.prefetch_related(
            Prefetch(
                "verdicts",
                queryset=ItemVerdict.objects.select_related("reviewer").order_by("created_at", "pk"),
            )
        )


class ItemResponse(models.Model):
    """The organisation's answer for one reportable framework node."""

    report = models.ForeignKey(ProgressReport, on_delete=models.CASCADE, related_name="items")
    node = models.ForeignKey(FrameworkNode, on_delete=models.PROTECT, related_name="responses")
    status = models.CharField(max_length=20, choices=ImplementationStatus.choices, blank=True)
    narrative = models.TextField(blank=True, help_text="Markdown; sanitised when rendered.")
    areas_needing_progress = models.TextField(blank=True)
    # Set when the answer was carried forward from an earlier published report and not edited since.
    carried_forward = models.BooleanField(default=False)
    # Optimistic lock: a save must name the version it edited.
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = ItemResponseQuerySet.as_manager()

    class Meta:
        ordering = ["report", "node__position"]
        constraints = [models.UniqueConstraint(fields=["report", "node"], name="one_response_per_node")]

    def __str__(self) -> str:
        return f"{self.report} / {self.node.node_id}"

    @property
    def current_verdict(self) -> "ItemVerdict | None":
        """The verdict that counts: the latest one recorded on the report's current submission.

        Earlier verdicts, on this submission or earlier ones, stay for the record. Reads the
        verdicts as prefetched (ItemResponseQuerySet.with_verdicts) when they are.
        """
        current = [v for v in self.verdicts.all() if v.report_revision == self.report.revision]
        return max(current, key=lambda v: (v.created_at, v.pk)) if current else None


class MetricValue(models.Model):
    item = models.ForeignKey(ItemResponse, on_delete=models.CASCADE, related_name="metric_values")
    metric = models.ForeignKey(MetricDefinition, on_delete=models.PROTECT, related_name="values")
    value = models.DecimalField(max_digits=20, decimal_places=4, null=True, blank=True)
    data_source = models.TextField(blank=True, help_text="Where the number comes from.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "metric"], name="one_value_per_metric")]

    def __str__(self) -> str:
        return f"{self.metric.key}={self.value}"


class EvidenceQuerySet(models.QuerySet):
    def current(self) -> Self:
        """What the items state now: evidence no later revision supersedes (superseded rows stay
        for the record, and in the audit report)."""
        return self.filter(superseded_by__isnull=True)


class Evidence(models.Model):
    """A file or URL backing an item. Immutable: a new version is a new row that supersedes it."""

    class Kind(models.TextChoices):
        FILE = "file", "File"
        URL = "url", "URL"

    class Visibility(models.TextChoices):
        PUBLIC = "public", "Public"
        RESTRICTED = "restricted", "Restricted (hash only in public)"

    item = models.ForeignKey(ItemResponse, on_delete=models.PROTECT, related_name="evidence")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    title = models.CharField(max_length=300)
    effective_date = models.DateField(help_text="When the document took effect, not when it was uploaded.")
    visibility = models.CharField(max_length=20, choices=Visibility.choices, default=Visibility.PUBLIC)
    url = models.URLField(max_length=1000, blank=True)
    original_name = models.CharField(max_length=255, blank=True)
    storage_name = models.CharField(max_length=300, blank=True, help_text="Content-addressed path.")
    sha256 = models.CharField(max_length=64, blank=True)
    size_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    media_type = models.CharField(max_length=100, blank=True, help_text="Sniffed from the content.")
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    revision = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = EvidenceQuerySet.as_manager()

    class Meta:
        ordering = ["item", "created_at", "pk"]
        verbose_name_plural = "evidence"

    def __str__(self) -> str:
        return self.title

    @property
    def is_current(self) -> bool:
        """EvidenceQuerySet.current() for one row (select_related("superseded_by") spares the query)."""
        return not hasattr(self, "superseded_by")


class ItemVerdict(models.Model):
    """A reviewer's verdict on one item for one submission (report revision). Never edited."""

    item = models.ForeignKey(ItemResponse, on_delete=models.CASCADE, related_name="verdicts")
    report_revision = models.PositiveIntegerField()
    verdict = models.CharField(max_length=30, choices=Verdict.choices)
    justification = models.TextField()
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["item", "created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.item}: {self.verdict}"


class Comment(models.Model):
    item = models.ForeignKey(ItemResponse, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["item", "created_at", "pk"]

    def __str__(self) -> str:
        return f"Comment by {self.author} on {self.item}"


class CompanyResponse(models.Model):
    """The organisation's right of reply to the reviewer's verdict on an item."""

    item = models.ForeignKey(ItemResponse, on_delete=models.CASCADE, related_name="company_responses")
    body = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["item", "created_at", "pk"]

    def __str__(self) -> str:
        return f"Response on {self.item}"


class ChangeRequest(models.Model):
    """A reviewer sending a submission back to the organisation, naming the items to change.

    Written by report_changes_request beside its ledger entry, in the same transaction: the ledger
    records that it happened, this row is what the pages and emails read.
    """

    report = models.ForeignKey(ProgressReport, on_delete=models.CASCADE, related_name="change_requests")
    # The submission the reviewer sent back; each submission is reviewed, and sent back, once.
    revision = models.PositiveIntegerField()
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    message = models.TextField(blank=True)
    items = models.ManyToManyField(ItemResponse, related_name="change_requests")
    # Not auto_now_add: rows rebuilt from the ledger keep the time the ledger recorded.
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["report", "revision"]
        constraints = [
            models.UniqueConstraint(fields=["report", "revision"], name="one_change_request_per_submission")
        ]

    def __str__(self) -> str:
        return f"Changes requested on {self.report} (revision {self.revision})"

    @property
    def node_ids(self) -> list[str]:
        """The requested items' node ids, sorted (prefetch items__node for lists)."""
        return sorted(item.node.node_id for item in self.items.all())
