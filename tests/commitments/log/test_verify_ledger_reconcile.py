"""verify_ledger reconciles the tables with the ledger (issue 13, item 6): a published snapshot
edited in place with its hash recomputed, a verdict changed, reordered, forged or removed, a
signed PDF's recorded hash replaced: the ledger is intact each time, and reconciliation names the
row, what it says, what the ledger recorded and where. Audit findings and attestations are in
test_verify_ledger_reconcile_audits.py.

One published report, corrected once, with three signed PDFs is rendered for the module
(tests/reports/pdf/verify_world.py); each test tampers inside its own savepoint. The reports'
tables have no append-only trigger: writing to them needs no more than the application's rights.
"""

import hashlib
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from commitments.models import ItemVerdict, LedgerEntry, ReportStatus, Verdict
from commitments.services.ledger import ledger_verify_fast
from commitments.services.ledger import reconcile as reconcile_module
from commitments.services.ledger.checkpoints import checkpoint_sign
from commitments.services.ledger.reconcile import ledger_reconcile
from commitments.services.reports import item_verdict_record, report_create
from commitments.vocabulary import LedgerEvent
from reports.models import ArtifactStatus, Publication, ReportArtifact
from tests.builders import advance
from tests.factories import UserFactory
from tests.reports.pdf.verify_world import rendered_world
from tests.reports.public_builders import committed_org, officer_of

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, signing_key):
    with rendered_world(django_db_blocker, corrected=True, audit=True) as built:
        yield built


def fails() -> str:
    assert ledger_verify_fast().ok  # every tamper here leaves the ledger itself intact
    with pytest.raises(CommandError) as failure:
        call_command("verify_ledger", stdout=StringIO())
    assert failure.value.returncode == 1
    message = str(failure.value)
    assert message.startswith("Reconciliation failed: ")
    return message


def entry_of(row, event) -> LedgerEntry:
    return LedgerEntry.objects.get(event=event, subject_type=row._meta.label_lower, subject_id=str(row.pk))


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_untouched_tables_match_the_ledger_and_the_whole_check_passes(world, tmp_path):
    path = tmp_path / "checkpoint"
    path.write_text(checkpoint_sign().note)
    out = StringIO()

    call_command("verify_ledger", "--checkpoint", str(path), stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0].startswith("Ledger intact: ")
    assert any(line.startswith("The ledger extends the checkpoint saved at size ") for line in lines)
    verdicts = ItemVerdict.objects.count()
    assert lines[-1] == (
        f"Tables match the ledger: 2 publications, {verdicts} verdicts, 3 signed PDFs, 0 findings, "
        "0 attestations."
    )
    assert verdicts > 1


def test_the_same_is_found_a_row_at_a_time(world):
    """Batches of one: every row and entry fetched on its own reaches the same verdict."""
    whole = ledger_reconcile()
    assert whole.ok
    assert ledger_reconcile(batch_size=1) == whole


# --- publications --------------------------------------------------------------------------------


@pytest.fixture
def first(world):
    return Publication.objects.get(report=world.report, version=1)


def test_a_snapshot_edited_in_place_with_its_hash_recomputed_is_caught(first):
    recorded = entry_of(first, LedgerEvent.PUBLICATION_CREATED)
    edited = first.snapshot.replace("We did it.", "We did all of it.")
    assert edited != first.snapshot
    Publication.objects.filter(pk=first.pk).update(snapshot=edited, snapshot_sha256=sha256(edited))

    assert (
        f"Publication {first.pk} (Northwind Models, 2026, version 1): its snapshot hashes to "
        f"{sha256(edited)}, the ledger recorded {first.snapshot_sha256} at entry {recorded.sequence:,}: the "
        "snapshot was edited after it was published and its hash recomputed." in fails()
    )


def test_a_corrected_snapshot_edited_in_place_is_caught_against_its_correction_entry(world):
    second = Publication.objects.get(report=world.report, version=2)
    recorded = entry_of(second, LedgerEvent.PUBLICATION_CORRECTED)
    edited = second.snapshot.replace("Only half of it is in place.", "All of it is in place.")
    assert edited != second.snapshot
    Publication.objects.filter(pk=second.pk).update(snapshot=edited)

    message = fails()

    assert (
        f"Publication {second.pk} (Northwind Models, 2026, version 2): its snapshot hashes to "
        f"{sha256(edited)}, the ledger recorded {second.snapshot_sha256} at entry {recorded.sequence:,}: the "
        "snapshot was edited after it was published." in message
    )


def test_a_snapshot_hash_column_edited_alone_is_caught(first):
    Publication.objects.filter(pk=first.pk).update(snapshot_sha256="0" * 64)

    assert (
        f"Publication {first.pk} (Northwind Models, 2026, version 1): its snapshot_sha256 column says "
        f"{'0' * 64}, but the snapshot hashes to {first.snapshot_sha256}" in fails()
    )


def test_a_publication_moved_to_another_version_is_caught(first):
    Publication.objects.filter(pk=first.pk).update(version=7)

    assert "the row was moved to another report or version" in fails()


def test_a_publication_the_ledger_never_recorded_is_caught(world, first):
    forged = Publication.objects.create(
        report=world.report,
        version=3,
        snapshot=first.snapshot,
        snapshot_sha256=first.snapshot_sha256,
        published_by=world.admin,
        published_at=timezone.now(),
    )

    assert (
        f"Publication {forged.pk} (Northwind Models, 2026, version 3): the ledger has no publication.created "
        "or publication.corrected entry for it: it was not published through the platform." in fails()
    )


# --- verdicts ------------------------------------------------------------------------------------


@pytest.fixture
def verdict(world):
    return ItemVerdict.objects.filter(item__report=world.report).select_related("item__node").first()


def test_a_verdict_row_edited_is_caught(verdict):
    recorded = entry_of(verdict, LedgerEvent.ITEM_VERDICT_RECORDED)
    ItemVerdict.objects.filter(pk=verdict.pk).update(verdict=Verdict.NOT_VERIFIED)

    assert (
        f"Verdict {verdict.pk} (Northwind Models, 2026, item {verdict.item.node.node_id}): the table says "
        f"verdict 'not_verified' where the ledger recorded 'verified' (entry {recorded.sequence:,}): the "
        "verdict was changed after it was recorded." in fails()
    )


def test_a_verdicts_justification_and_reviewer_edited_are_both_named(verdict):
    someone = UserFactory(platform_role="reviewer")
    ItemVerdict.objects.filter(pk=verdict.pk).update(justification="Never looked.", reviewer=someone)

    message = fails()

    assert "justification 'Never looked.' where the ledger recorded 'Policy document seen.'" in message
    assert f"reviewer {someone.pk} where the ledger recorded {verdict.reviewer_id}" in message


def test_a_verdict_row_the_ledger_never_recorded_is_caught(verdict):
    forged = ItemVerdict.objects.create(
        item=verdict.item,
        report_revision=verdict.report_revision,
        verdict=Verdict.NOT_VERIFIED,
        justification="Added later.",
        reviewer=verdict.reviewer,
    )

    assert (
        f"Verdict {forged.pk} (Northwind Models, 2026, item {verdict.item.node.node_id}): the ledger has no "
        "item.verdict_recorded entry for it: it was not recorded through the platform." in fails()
    )


def test_a_verdict_row_deleted_is_caught_from_its_entry(verdict):
    recorded = entry_of(verdict, LedgerEvent.ITEM_VERDICT_RECORDED)
    ItemVerdict.objects.filter(pk=verdict.pk).delete()

    assert (
        f"Entry {recorded.sequence:,} (item.verdict_recorded) records item verdict {verdict.pk}, which its "
        "table no longer holds: the row was deleted or changed after it was recorded." in fails()
    )


def test_verdicts_reordered_so_that_an_earlier_one_shows_as_current_are_caught(world, reviewer):
    organisation = committed_org(world.report.period.framework, "Bluefin Labs")
    officer = officer_of(organisation)
    report = report_create(organisation=organisation, period=world.report.period, acting_user=officer)
    report = advance(report, ReportStatus.IN_REVIEW, officer=officer, reviewer=reviewer)
    item = report.items.select_related("node").first()
    earlier = item_verdict_record(
        item=item, acting_user=reviewer, verdict=Verdict.NOT_VERIFIED, justification="No."
    )
    later = item_verdict_record(
        item=item, acting_user=reviewer, verdict=Verdict.VERIFIED, justification="Yes."
    )
    assert item.current_verdict == later
    # The earlier verdict's time moved past the later one's: the item now shows "not verified".
    ItemVerdict.objects.filter(pk=earlier.pk).update(created_at=later.created_at + timedelta(seconds=1))
    assert ItemVerdict.objects.get(pk=later.pk).item.current_verdict == earlier

    message = fails()

    assert (
        f"Verdict {earlier.pk} (Bluefin Labs, 2026, item {item.node.node_id}): the table orders it after "
        f"verdict {later.pk} of the same item and submission, but the ledger recorded it first (entry "
        f"{entry_of(earlier, LedgerEvent.ITEM_VERDICT_RECORDED).sequence:,}, verdict {later.pk} at entry "
        f"{entry_of(later, LedgerEvent.ITEM_VERDICT_RECORDED).sequence:,}): the verdict the item shows as "
        "current is not the one recorded last." in message
    )
    assert not ledger_reconcile(batch_size=1).ok  # also across batches


# --- signed PDFs ---------------------------------------------------------------------------------


@pytest.fixture
def audit(world):
    return world.audit


def test_an_artifact_sha256_edited_is_caught(audit):
    ReportArtifact.objects.filter(pk=audit.pk).update(sha256="f" * 64)

    assert (
        f"PDF {audit.document_id} (artifact {audit.pk}): its sha256 column says {'f' * 64}, the ledger "
        f"recorded {audit.sha256} at entry {audit.ledger_sequence:,}: the PDF it points to is not the one "
        "issued." in fails()
    )


def test_an_artifact_size_and_manifest_edited_are_caught(audit):
    ReportArtifact.objects.filter(pk=audit.pk).update(
        size_bytes=audit.size_bytes + 1, manifest=audit.manifest.replace("audit", "public")
    )

    message = fails()

    assert (
        f"its size_bytes column says {audit.size_bytes + 1}, the ledger recorded {audit.size_bytes}"
        in message
    )
    assert "the manifest was edited." in message


def test_an_artifact_pointing_at_another_entry_is_caught(world, audit):
    ReportArtifact.objects.filter(pk=audit.pk).update(ledger_sequence=world.public_v1.ledger_sequence)

    assert (
        f"PDF {audit.document_id} (artifact {audit.pk}): its ledger_sequence says entry "
        f"{world.public_v1.ledger_sequence}, but the ledger recorded it at entry {audit.ledger_sequence:,}."
        in fails()
    )


def test_an_issued_pdf_marked_failed_is_caught_from_its_entry(audit):
    ReportArtifact.objects.filter(pk=audit.pk).update(status=ArtifactStatus.FAILED)

    assert (
        f"Entry {audit.ledger_sequence:,} (artifact.rendered) records report artifact {audit.pk}, which its "
        "table no longer holds, or not as ready" in fails()
    )


def test_only_the_first_problems_are_listed_with_how_many_more(world, monkeypatch):
    monkeypatch.setattr(reconcile_module, "PROBLEMS_SHOWN", 2)
    ItemVerdict.objects.filter(item__report=world.report).update(justification="Rewritten.")
    count = ItemVerdict.objects.filter(item__report=world.report).count()

    message = fails()

    assert message.startswith(f"Reconciliation failed: {count} rows differ from what the ledger recorded:\n")
    assert message.count("the verdict was changed after it was recorded") == 2
    assert message.endswith(f"... and {count - 2} more.")
