from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from commitments.models import ProgressReport, ReportStatus


class PublicationQuerySet(models.QuerySet):
    def current(self):
        return self.filter(superseded_by__isnull=True)


class Publication(models.Model):
    """An immutable snapshot of a verified report, as the public sees it.

    A correction never edits a snapshot: it publishes a new version that supersedes this one.
    """

    report = models.ForeignKey(ProgressReport, on_delete=models.PROTECT, related_name="publications")
    version = models.PositiveIntegerField()
    snapshot = models.TextField(help_text="Canonical JSON of the report as published.")
    snapshot_sha256 = models.CharField(max_length=64)
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    correction_reason = models.TextField(blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField()

    objects = PublicationQuerySet.as_manager()

    class Meta:
        ordering = ["report", "version"]
        constraints = [
            models.UniqueConstraint(fields=["report", "version"], name="publication_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.report} v{self.version}"


class ArtifactKind(models.TextChoices):
    PUBLIC = "public", "Public progress report"
    AUDIT = "audit", "Audit report"
    SUMMARY = "summary", "Program summary"


class ArtifactStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class ReportArtifactQuerySet(models.QuerySet):
    def ready(self):
        return self.filter(status=ArtifactStatus.READY)

    def public(self):
        """Ready documents anyone may look up by id and download: the rule for every public path.

        A program summary (it holds only published data), and a public progress report made from
        a publication of a report that is published (its superseded versions included: they stay
        on the public site). Audit reports, anything of an unpublished report and pending or
        failed renderings are not public.
        """
        return self.ready().filter(
            models.Q(kind=ArtifactKind.SUMMARY, report__isnull=True)
            | models.Q(
                kind=ArtifactKind.PUBLIC,
                publication__isnull=False,
                report__status=ReportStatus.PUBLISHED,
            )
        )

    def stuck(self, now=None):
        """Pending, with nothing heard of it for longer than a rendering may take.

        Neither requested, queued nor claimed by a worker within PDF_RENDER_TIME_LIMIT: its message
        was lost or the process rendering it died (a live one is killed at that limit). The sweep
        queues these again, and staff may retry them (the one rule for both).
        """
        cutoff = (now or timezone.now()) - timedelta(seconds=settings.PDF_RENDER_TIME_LIMIT)
        return self.filter(
            models.Q(queued_at__isnull=True) | models.Q(queued_at__lt=cutoff),
            models.Q(claimed_at__isnull=True) | models.Q(claimed_at__lt=cutoff),
            status=ArtifactStatus.PENDING,
            requested_at__lt=cutoff,
        )

    def with_stuck_flag(self, now=None):
        """Each artifact with `is_stuck`, decided by `stuck()`."""
        stuck = self.model.objects.stuck(now).filter(pk=models.OuterRef("pk"))
        return self.annotate(is_stuck=models.Exists(stuck))

    def with_public_flag(self):
        """Each artifact with `is_public`, decided by `public()` (one subquery, no second rule)."""
        public = self.model.objects.public().filter(pk=models.OuterRef("pk"))
        return self.annotate(is_public=models.Exists(public))


class ReportArtifact(models.Model):
    """One rendering of a signed PDF. Once ready it is final: regenerating makes a new version.

    Public and audit reports belong to one organisation's report; the program summary belongs to
    a period. `sha256` identifies the signed file, which is stored content-addressed.
    """

    kind = models.CharField(max_length=10, choices=ArtifactKind.choices)
    report = models.ForeignKey(
        ProgressReport, on_delete=models.PROTECT, null=True, blank=True, related_name="artifacts"
    )
    publication = models.ForeignKey(
        Publication, on_delete=models.PROTECT, null=True, blank=True, related_name="artifacts"
    )
    period = models.ForeignKey(
        "commitments.ReportingPeriod", on_delete=models.PROTECT, related_name="artifacts"
    )
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=ArtifactStatus.choices, default=ArtifactStatus.PENDING)
    failure_reason = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(
        default=0, help_text="Renderings started since it was requested or last retried."
    )
    # The claim (lease) of the one rendering that may finish it: set under the row lock when a worker
    # starts; a rendering whose claim was taken over (its process presumed dead) is discarded.
    claim = models.UUIDField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=200, blank=True, help_text="host:pid of the rendering process.")
    claim_task_id = models.CharField(max_length=64, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True, help_text="When rendering was last queued.")
    storage_name = models.CharField(max_length=200, blank=True)
    sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    size_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    manifest = models.TextField(blank=True, help_text="Canonical JSON embedded in the PDF as manifest.json.")
    ledger_sequence = models.PositiveBigIntegerField(null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField()
    rendered_at = models.DateTimeField(null=True, blank=True)

    objects = ReportArtifactQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "report", "version"],
                condition=models.Q(report__isnull=False),
                name="artifact_report_version_unique",
            ),
            models.UniqueConstraint(
                fields=["kind", "period", "version"],
                condition=models.Q(report__isnull=True),
                name="artifact_period_version_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document_id} ({self.status})"

    @property
    def document_id(self) -> str:
        """The id printed on every page, e.g. 'PP-2025-000012-public-v2' or 'PP-sbd-2025-summary-v1'.

        A summary names its framework: two frameworks may each have a period labelled '2025'.
        """
        if self.report_id:
            return f"{self.report.reference}-{self.kind}-v{self.version}"
        return f"PP-{self.period.framework.key}-{self.period.label}-{self.kind}-v{self.version}"

    @property
    def file_name(self) -> str:
        return f"pledgeproof-{self.document_id}.pdf"
