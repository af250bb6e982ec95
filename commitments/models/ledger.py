from django.db import models


class LedgerEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise LedgerImmutableError("Ledger entries cannot be updated.")

    def delete(self):
        raise LedgerImmutableError("Ledger entries cannot be deleted.")


class LedgerImmutableError(Exception):
    pass


class LedgerEntry(models.Model):
    """One append-only entry of the hash chain.

    `payload` holds the canonical JSON (sorted keys, UTF-8, no spaces) exactly as hashed;
    `entry_hash` = SHA-256(bytes.fromhex(prev_hash) || payload). The other columns repeat
    fields of the payload for querying; verify_ledger checks they agree with it.
    """

    sequence = models.PositiveBigIntegerField(unique=True)
    created_at = models.DateTimeField()
    event = models.CharField(max_length=60)
    actor_id = models.BigIntegerField(null=True, blank=True)
    subject_type = models.CharField(max_length=60)
    subject_id = models.CharField(max_length=60)
    report_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    payload = models.TextField()
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)

    objects = LedgerEntryQuerySet.as_manager()

    class Meta:
        ordering = ["sequence"]
        verbose_name_plural = "ledger entries"
        indexes = [models.Index(fields=["subject_type", "subject_id"])]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.event}"

    def save(self, *args, **kwargs):
        # Appends happen only in commitments.services.ledger.ledger_append; an existing row is final.
        if self.pk is not None and not kwargs.get("force_insert"):
            raise LedgerImmutableError("Ledger entries cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise LedgerImmutableError("Ledger entries cannot be deleted.")


class LedgerHead(models.Model):
    """Single row holding the chain's length and head hash.

    Appends lock this row, which serialises them across processes, and verify_ledger compares
    it with the last entry so that removing the newest entries is noticed too.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    size = models.PositiveBigIntegerField(default=0)
    head_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"ledger head #{self.size} {self.head_hash[:12]}"
