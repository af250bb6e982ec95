"""Audit bundles (issue 16): one ZIP of everything an auditor or reviewer needs to check a report,
or an engagement's reports, offline and for years (bundles/parts.py says what is in it).

A row is asked for by someone (`requested_by`) and built by a background job for them: what it
holds is what they may see. Its states are the signed PDFs' (pending, ready, failed): a bundle is
a document made by a job, shown while it builds, downloaded once ready.
"""

from django.conf import settings
from django.db import models

from reports.models import ArtifactStatus


class AuditBundle(models.Model):
    """One build of a bundle, of an engagement's reports or of a single report."""

    engagement = models.ForeignKey(
        "audits.Engagement", on_delete=models.PROTECT, null=True, blank=True, related_name="bundles"
    )
    report = models.ForeignKey(
        "commitments.ProgressReport", on_delete=models.PROTECT, null=True, blank=True, related_name="bundles"
    )
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=ArtifactStatus.choices, default=ArtifactStatus.PENDING)
    failure_reason = models.TextField(blank=True)
    # Progress while it builds: what the page shows ("12 of 40 files"). 0 of 0 until the files are known.
    files_done = models.PositiveIntegerField(default=0)
    files_total = models.PositiveIntegerField(default=0)
    # Set by the one build that may finish it (a conditional update); a second copy of the job builds nothing.
    claimed_at = models.DateTimeField(null=True, blank=True)
    storage_name = models.CharField(max_length=200, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    checkpoint_size = models.PositiveBigIntegerField(null=True, blank=True)
    # The restricted evidence in the ZIP: each download records that its holder opened them.
    restricted_evidence = models.JSONField(default=list, blank=True)
    built_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(engagement__isnull=True, report__isnull=False)
                | models.Q(engagement__isnull=False, report__isnull=True),
                name="bundle_of_engagement_or_report",
            )
        ]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.status})"

    @property
    def subject(self) -> str:
        if self.engagement_id:
            return f"engagement-{self.engagement_id}"
        return self.report.reference

    @property
    def file_name(self) -> str:
        return f"pledgeproof-bundle-{self.subject}-{self.pk}.zip"
