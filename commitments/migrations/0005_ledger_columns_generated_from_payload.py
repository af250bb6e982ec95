"""The ledger's event, actor, subject and report columns become generated from each payload.

They used to be written by ledger_append beside the payload, and verify_ledger had to read and
compare them for every entry. Now the database computes them from the payload on insert and
refuses to have them written, so they cannot disagree with what was hashed; verify_ledger checks
that they are still generated this way. Django cannot turn a column into a generated one in
place, so each is dropped and added again: the database fills it from every existing payload.
The created_at column goes: the time is in the payload (LedgerEntry.created_at reads it there),
and a second copy that verify_ledger does not compare could be edited unnoticed.
"""

from django.db import migrations, models

import commitments.models.ledger


def _generated(*path, output_field, **options):
    return models.GeneratedField(
        db_persist=True,
        expression=commitments.models.ledger.PayloadMember(*path, output_field=output_field),
        output_field=output_field,
        **options,
    )


COLUMNS = {
    "event": lambda: _generated("event", output_field=models.CharField(max_length=60)),
    "actor_id": lambda: _generated("actor", output_field=models.BigIntegerField(blank=True, null=True)),
    "subject_type": lambda: _generated("subject", "type", output_field=models.CharField(max_length=60)),
    "subject_id": lambda: _generated("subject", "id", output_field=models.CharField(max_length=60)),
    "report_id": lambda: _generated(
        "report", output_field=models.BigIntegerField(blank=True, null=True), db_index=True
    ),
}


def refuse_to_unwrite(apps, schema_editor):
    """Reversing would have to write the old columns of every entry, which an append-only ledger
    refuses (and the time column could only be guessed): allowed only while the ledger is empty."""
    if apps.get_model("commitments", "LedgerEntry").objects.exists():
        raise RuntimeError(
            "Migration commitments.0005 cannot be reversed on a ledger with entries: the columns it "
            "replaced would have to be written into existing entries, which the ledger does not allow."
        )


class Migration(migrations.Migration):
    dependencies = [("commitments", "0004_first_submitted_at")]

    operations = [
        migrations.RemoveIndex(model_name="ledgerentry", name="commitments_subject_24ade0_idx"),
        migrations.RemoveField(model_name="ledgerentry", name="created_at"),
        *(migrations.RemoveField(model_name="ledgerentry", name=name) for name in COLUMNS),
        *(migrations.AddField(model_name="ledgerentry", name=name, field=make()) for name, make in COLUMNS.items()),
        migrations.AddIndex(
            model_name="ledgerentry",
            index=models.Index(fields=["subject_type", "subject_id"], name="commitments_subject_24ade0_idx"),
        ),
        # Last, so that going back it runs first.
        migrations.RunPython(migrations.RunPython.noop, refuse_to_unwrite),
    ]
