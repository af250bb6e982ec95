"""One row per side effect of a state change (an email, a PDF job, a cache refresh,
an open-data rebuild, a signed checkpoint of the log).

Written in the transaction of the change itself by `outbox.services.record`; dispatched after
commit and, when that fails, retried with backoff (outbox.services, `dispatch_outbox`).
"""

from django.db import models


class OutboxKind(models.TextChoices):
    EMAIL = "email", "Email"
    PDF_RENDER = "pdf_render", "PDF rendering"
    PUBLIC_CACHE_BUMP = "public_cache_bump", "Public pages refresh"
    OPENDATA_REBUILD = "opendata_rebuild", "Open data rebuild"
    CHECKPOINT_SIGN = "checkpoint_sign", "Transparency log checkpoint"
    BUNDLE_BUILD = "bundle_build", "Audit bundle build"


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DONE = "done", "Done"
    FAILED = "failed", "Failed for good"


class OutboxEntryQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(status=OutboxStatus.PENDING)

    def failed(self):
        return self.filter(status=OutboxStatus.FAILED)


class OutboxEntry(models.Model):
    kind = models.CharField(max_length=40, choices=OutboxKind.choices)
    payload = models.JSONField(default=dict)
    # What makes the side effect itself unique (e.g. one email per report submission): recording
    # the same key twice records it once.
    key = models.CharField(max_length=200, unique=True)
    status = models.CharField(max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    # Due for the next try from then on (backoff after a failure, or the wait for a worker).
    next_attempt_at = models.DateTimeField()
    # Set while a dispatcher works on the row: nobody else takes it until then (a dispatcher
    # that dies leaves it to be taken again once this has passed).
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    done_at = models.DateTimeField(null=True, blank=True)

    objects = OutboxEntryQuerySet.as_manager()

    class Meta:
        verbose_name = "outbox entry"
        verbose_name_plural = "outbox entries"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.get_status_display().lower()})"
