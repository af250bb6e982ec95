import json
from datetime import datetime

from django.db import NotSupportedError, models
from django.db.models import F, Func
from django.utils.functional import cached_property


class LedgerEntryQuerySet(models.QuerySet):
    def of_report(self, report_id: int) -> "LedgerEntryQuerySet":
        """A report's entries in the order they were appended: its history."""
        return self.filter(report_id=report_id).order_by("sequence")

    def update(self, **kwargs):
        raise LedgerImmutableError("Ledger entries cannot be updated.")

    def delete(self):
        raise LedgerImmutableError("Ledger entries cannot be deleted.")


class LedgerImmutableError(Exception):
    pass


class PayloadMember(Func):
    """One member of a ledger entry's JSON payload, read by the database itself.

    The expression of the generated columns that repeat payload fields for querying: the
    database computes them from the payload on insert and refuses to have them written, so they
    cannot disagree with what was hashed. `path` names the member ("event", or "subject", "id").
    Only SQLite and PostgreSQL are supported.
    """

    def __init__(self, *path: str, output_field: models.Field) -> None:
        super().__init__(F("payload"), output_field=output_field)
        self.path = path

    def as_sql(self, compiler, connection, **extra_context):
        raise NotSupportedError(f"Ledger payload columns need SQLite or PostgreSQL, not {connection.vendor}.")

    def as_sqlite(self, compiler, connection, **extra_context):
        payload, params = compiler.compile(self.source_expressions[0])
        return f"json_extract({payload}, '$.{'.'.join(self.path)}')", params

    def as_postgresql(self, compiler, connection, **extra_context):
        payload, params = compiler.compile(self.source_expressions[0])
        sql = f"(({payload})::jsonb #>> '{{{','.join(self.path)}}}')"
        # Text goes into text columns as it is (a value too long for one is refused, never cut
        # short); numbers need the explicit cast, which refuses anything but an integer.
        if self.output_field.get_internal_type() == "BigIntegerField":
            sql = f"({sql})::bigint"
        return sql, params


def _from_payload(*path: str, output_field: models.Field, **options) -> models.GeneratedField:
    return models.GeneratedField(
        expression=PayloadMember(*path, output_field=output_field),
        output_field=output_field,
        db_persist=True,
        **options,
    )


class LedgerEntry(models.Model):
    """One append-only entry of the hash chain.

    `payload` holds the canonical JSON (sorted keys, UTF-8, no spaces) exactly as hashed;
    `entry_hash` = SHA-256(bytes.fromhex(prev_hash) || payload). event, actor_id, subject_type,
    subject_id and report_id repeat fields of the payload for querying: the database generates
    them from the payload (see PayloadMember), and verify_ledger checks that it still does. The
    time is read from the payload only (`created_at`), so no column can tell another.
    """

    sequence = models.PositiveBigIntegerField(unique=True)
    event = _from_payload("event", output_field=models.CharField(max_length=60))
    actor_id = _from_payload("actor", output_field=models.BigIntegerField(null=True, blank=True))
    subject_type = _from_payload("subject", "type", output_field=models.CharField(max_length=60))
    subject_id = _from_payload("subject", "id", output_field=models.CharField(max_length=60))
    report_id = _from_payload(
        "report", output_field=models.BigIntegerField(null=True, blank=True), db_index=True
    )
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

    @cached_property
    def created_at(self) -> datetime | None:
        """When the entry was appended, as its payload records it."""
        time = json.loads(self.payload).get("time")
        return datetime.fromisoformat(time) if isinstance(time, str) else None


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
