from django.conf import settings
from django.db import models

from commitments.models import ProgressReport


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
