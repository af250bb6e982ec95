"""The ledger's Merkle tree and the checkpoints signed over it (issue 13).

Both tables only grow. A node is written in the same transaction as the ledger entry that
completes it; a checkpoint is a signed statement that anyone may have copied, so neither is
ever changed (the models refuse it, and on PostgreSQL a trigger does).
"""

from django.db import models

from commitments.models.ledger import LedgerImmutableError


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise LedgerImmutableError(f"{self.model._meta.verbose_name_plural} cannot be updated.")

    def delete(self):
        raise LedgerImmutableError(f"{self.model._meta.verbose_name_plural} cannot be deleted.")


class AppendOnly(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise LedgerImmutableError(f"{self._meta.verbose_name_plural} cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise LedgerImmutableError(f"{self._meta.verbose_name_plural} cannot be deleted.")


class MerkleNode(AppendOnly):
    """The hash of one complete subtree: leaves [index * 2**level, (index + 1) * 2**level).

    Level 0 holds the leaf hashes, SHA-256(0x00 || entry_hash), of entries sequence = index + 1.
    """

    level = models.PositiveSmallIntegerField()
    index = models.PositiveBigIntegerField()
    hash = models.BinaryField(max_length=32)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["level", "index"], name="merkle_node_unique_position")]

    def __str__(self) -> str:
        return f"node {self.level}/{self.index} {bytes(self.hash).hex()[:12]}"


class Checkpoint(AppendOnly):
    """A signed tree head: the C2SP checkpoint note exactly as served at /log/checkpoint."""

    size = models.PositiveBigIntegerField(unique=True)
    root = models.BinaryField(max_length=32)
    note = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-size"]
        get_latest_by = "size"

    def __str__(self) -> str:
        return f"checkpoint #{self.size} {bytes(self.root).hex()[:12]}"
