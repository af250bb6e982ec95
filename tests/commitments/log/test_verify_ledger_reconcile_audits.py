"""verify_ledger reconciles the audit tables with the ledger (issue 14): a finding's kind turned
from conforms to nonconformity (or back), its description or the company's response rewritten, an
attestation's opinion or the attestation it corrects changed, a row deleted or one forged: the
ledger is intact each time, and reconciliation names the row, what it says and what the ledger
recorded.

Northwind's published 2026 report is audited for the module, through the services: the first
item's finding recorded as an observation, then revised to conforms; a nonconformity and an
observation, each with the company's response; a qualified opinion, then corrected to adverse.
Each test tampers inside its own savepoint, with raw SQL as someone with the database's
credentials would (an attestation refuses the ORM's update and delete). The audit tables have
no append-only trigger, on PostgreSQL either: only the ledger's tables do.
"""

import datetime
from dataclasses import dataclass
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DataError, connection, transaction
from django.utils import timezone

from audits.models import Attestation, Engagement, Finding
from audits.services.work import attestation_correct, attestation_sign, finding_record, finding_respond
from commitments.models import ItemResponse, ItemVerdict, LedgerEntry
from commitments.services.ledger import ledger_verify_fast
from commitments.services.ledger.reconcile import ledger_reconcile
from commitments.services.reports import report_create
from commitments.vocabulary import FindingKind, FindingPart, Opinion
from tests.audits.builders import engagement_for
from tests.builders import period_for, small_framework
from tests.factories import UserFactory
from tests.reports.public_builders import committed_org, officer_of, published

pytestmark = pytest.mark.django_db

RESPONSE = "We accept the finding; the fix ships in March."
STATEMENT = "Except for the nonconformity described, the claims in scope are fairly stated."


@dataclass
class World:
    engagement: Engagement
    auditor: object
    items: list[ItemResponse]  # m1 conforms (revised from an observation), m2 nonconformity, m3 observation
    conforms: Finding
    nonconformity: Finding
    observation: Finding
    signed: Attestation  # the first attestation, corrected by `current`
    current: Attestation


def _build() -> World:
    framework = small_framework()
    period = period_for(framework)
    admin = UserFactory(platform_role="program_admin", is_staff=True)
    org = committed_org(framework, "Northwind Models", "northwind-models")
    report = published(org, period, reviewer=UserFactory(platform_role="reviewer"), admin=admin)
    officer = officer_of(org)
    auditor = UserFactory(platform_role="auditor", full_name="Dana Whitfield")
    engagement = engagement_for(auditor, organisations=[org], periods=[period], admin=admin)
    items = list(report.items.select_related("node").order_by("node__position"))

    def record(item, kind, description, **actions):
        return finding_record(
            engagement=engagement,
            item=item,
            acting_user=auditor,
            kind=kind,
            description=description,
            **actions,
        )

    record(items[0], FindingKind.OBSERVATION, "The policy names no owner.")
    conforms = record(items[0], FindingKind.CONFORMS, "The evidence supports the claim.")
    nonconformity = record(
        items[1],
        FindingKind.NONCONFORMITY,
        "Two of five sampled records lack the review.",
        recommended_action="Record the review on every record.",
        corrective_action="Reviews recorded in the ticketing tool.",
    )
    observation = record(items[2], FindingKind.OBSERVATION, "The log is kept by hand.")
    for finding in (nonconformity, observation):
        finding_respond(finding=finding, acting_user=officer, company_response=RESPONSE)
    signed = attestation_sign(
        engagement=engagement,
        acting_user=auditor,
        opinion=Opinion.QUALIFIED,
        statement=STATEMENT,
        attested_on=timezone.localdate() - datetime.timedelta(days=1),
    )
    current = attestation_correct(
        attestation=signed,
        acting_user=auditor,
        opinion=Opinion.ADVERSE,
        statement="The claims in scope are not fairly stated.",
        attested_on=timezone.localdate(),
        reason="The sample was extended: most records lack the review.",
    )
    return World(
        engagement=engagement,
        auditor=auditor,
        items=items,
        conforms=Finding.objects.get(pk=conforms.pk),
        nonconformity=Finding.objects.get(pk=nonconformity.pk),
        observation=Finding.objects.get(pk=observation.pk),
        signed=signed,
        current=current,
    )


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, signing_key):
    with django_db_blocker.unblock(), transaction.atomic():
        name = str(connection.settings_dict["NAME"])
        assert "test" in name or "memory" in name, f"not a test database: {name}"
        try:
            yield _build()
        finally:
            transaction.set_rollback(True)


def fails() -> str:
    assert ledger_verify_fast().ok  # every tamper here leaves the ledger itself intact
    with pytest.raises(CommandError) as failure:
        call_command("verify_ledger", stdout=StringIO())
    assert failure.value.returncode == 1
    message = str(failure.value)
    assert message.startswith("Reconciliation failed: ")
    return message


def tamper(sql: str, *params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def update(model, pk: int, column: str, value) -> None:
    tamper(f'UPDATE {model._meta.db_table} SET "{column}" = %s WHERE id = %s', value, pk)


def delete(model, pk: int) -> None:
    tamper(f"DELETE FROM {model._meta.db_table} WHERE id = %s", pk)


def entries_of(row, part: str | None = None) -> list[LedgerEntry]:
    """The row's entries, oldest first (of one part of a finding, if given)."""
    rows = LedgerEntry.objects.filter(subject_type=row._meta.label_lower, subject_id=str(row.pk))
    return [e for e in rows.order_by("sequence") if part is None or f'"part":"{part}"' in e.payload]


def name_of(finding: Finding) -> str:
    return (
        f"Finding {finding.pk} (engagement {finding.engagement_id}, Northwind Models, 2026, item "
        f"{finding.item.node.node_id})"
    )


def attestation_name(attestation: Attestation) -> str:
    return (
        f"Attestation {attestation.pk} (engagement {attestation.engagement_id}, "
        f"{attestation.engagement.title!r})"
    )


def test_an_untouched_attested_engagement_matches_the_ledger(world):
    out = StringIO()

    call_command("verify_ledger", stdout=out)

    verdicts = ItemVerdict.objects.count()
    assert out.getvalue().splitlines()[-1] == (
        f"Tables match the ledger: 1 publication, {verdicts} verdicts, 0 signed PDFs, 3 findings, "
        "2 attestations."
    )


def test_the_same_is_found_a_row_at_a_time(world):
    whole = ledger_reconcile()
    assert whole.ok
    assert (whole.findings, whole.attestations) == (3, 2)
    assert ledger_reconcile(batch_size=1) == whole


# --- findings ------------------------------------------------------------------------------------


def test_a_finding_turned_from_conforms_to_nonconformity_is_caught_against_its_latest_entry(world):
    finding = world.conforms
    first, latest = entries_of(finding, FindingPart.FINDING)
    update(Finding, finding.pk, "kind", FindingKind.NONCONFORMITY)

    message = fails()

    assert (
        f"{name_of(finding)}: the table says kind 'nonconformity' where the ledger recorded 'conforms' "
        f"(entry {latest.sequence:,}): the finding was changed after it was recorded." in message
    )
    assert f"entry {first.sequence:,})" not in message  # the revised observation no longer counts


def test_a_nonconformity_turned_to_conforms_is_caught(world):
    finding = world.nonconformity
    update(Finding, finding.pk, "kind", FindingKind.CONFORMS)

    assert (
        f"{name_of(finding)}: the table says kind 'conforms' where the ledger recorded 'nonconformity'"
        in fails()
    )


def test_a_finding_put_back_to_what_was_revised_away_is_caught(world):
    """The first entry said observation: only the latest one says what the finding is."""
    update(Finding, world.conforms.pk, "kind", FindingKind.OBSERVATION)

    assert "kind 'observation' where the ledger recorded 'conforms'" in fails()


def test_a_findings_description_and_actions_edited_are_each_named(world):
    finding = world.nonconformity
    tamper(
        f"UPDATE {Finding._meta.db_table} SET description = %s, recommended_action = %s, "
        "corrective_action = %s WHERE id = %s",
        "All sampled records were reviewed.",
        "",
        "Nothing to do.",
        finding.pk,
    )

    message = fails()

    assert message.count(name_of(finding)) == 1  # one row, one problem naming every field
    assert (
        "description 'All sampled records were reviewed.' where the ledger recorded 'Two of five sampled "
        "records lack the review.'" in message
    )
    assert "recommended action '' where the ledger recorded 'Record the review on every record.'" in message
    assert "corrective action 'Nothing to do.' where the ledger recorded 'Reviews recorded" in message


def test_a_finding_moved_to_another_organisations_report_and_auditor_is_caught(world):
    finding = world.observation
    period = finding.item.report.period
    bluefin = committed_org(period.framework, "Bluefin Labs")
    elsewhere = report_create(organisation=bluefin, period=period, acting_user=officer_of(bluefin))
    item = elsewhere.items.select_related("node").order_by("node__position").first()
    someone = UserFactory(platform_role="auditor")
    update(Finding, finding.pk, "item_id", item.pk)
    update(Finding, finding.pk, "recorded_by_id", someone.pk)

    message = fails()

    assert (
        f"Finding {finding.pk} (engagement {world.engagement.pk}, Bluefin Labs, 2026, item "
        f"{item.node.node_id}): the table says item {item.pk} where the ledger recorded {finding.item_id}; "
        f"report {elsewhere.pk} where the ledger recorded {finding.item.report_id}; auditor {someone.pk} "
        f"where the ledger recorded {world.auditor.pk}" in message
    )


def test_a_company_response_rewritten_is_caught(world):
    finding = world.observation
    [response] = entries_of(finding, FindingPart.COMPANY_RESPONSE)
    update(Finding, finding.pk, "company_response", "We disagree.")

    assert (
        f"{name_of(finding)}: its company response is 'We disagree.', the ledger recorded {RESPONSE!r} at "
        f"entry {response.sequence:,}: the response was changed after it was recorded." in fails()
    )


def test_a_company_response_the_ledger_never_recorded_is_caught(world):
    update(Finding, world.conforms.pk, "company_response", "Thank you.")

    assert (
        f"{name_of(world.conforms)}: its company response is 'Thank you.', the ledger recorded '' none"
        in fails()
    )


def test_a_finding_deleted_is_caught_once_from_its_entries(world):
    finding = world.conforms  # two entries: the observation and its revision
    first = entries_of(finding)[0]
    delete(Finding, finding.pk)

    message = fails()

    assert (
        f"Entry {first.sequence:,} (finding.recorded) records finding {finding.pk}, which its table no "
        "longer holds: the row was deleted or changed after it was recorded." in message
    )
    assert message.startswith("Reconciliation failed: 1 row differs")


def test_a_finding_the_ledger_never_recorded_is_caught(world, program_admin):
    other = engagement_for(
        world.auditor,
        organisations=[world.engagement.organisations.get()],
        periods=[world.engagement.periods.get()],
        admin=program_admin,
        title="A second look",
    )
    forged = Finding.objects.create(
        engagement=other,
        item=world.items[1],
        kind=FindingKind.CONFORMS,
        description="All good.",
        recorded_by=world.auditor,
        recorded_at=timezone.now(),
    )

    assert (
        f"Finding {forged.pk} (engagement {other.pk}, Northwind Models, 2026, item tiny.p1.m2): the ledger "
        "has no finding.recorded entry for it: it was not recorded through the platform." in fails()
    )


@pytest.mark.parametrize("kind", ["", "conforms ", "CONFORMS", "<script>", "x" * 20])
def test_a_kind_outside_the_vocabulary_is_named_as_it_is(world, kind):
    update(Finding, world.nonconformity.pk, "kind", kind)

    assert f"kind {kind!r} where the ledger recorded 'nonconformity'" in fails()


def test_a_nul_in_a_finding_is_compared_as_the_ledger_records_it(world, program_admin):
    """ledger_append writes a NUL as U+FFFD. SQLite keeps the NUL in the table, and the two still
    match; PostgreSQL keeps no NUL in text, so no such finding can be recorded there."""
    engagement = engagement_for(
        world.auditor,
        organisations=[world.engagement.organisations.get()],
        periods=[world.engagement.periods.get()],
        admin=program_admin,
        title="A third look",
    )

    def record():
        return finding_record(
            engagement=engagement,
            item=world.items[0],
            acting_user=world.auditor,
            kind=FindingKind.CONFORMS,
            description="Seen\x00 and checked.",
        )

    if connection.vendor == "postgresql":
        with pytest.raises(DataError, match="NUL"), transaction.atomic():
            record()
        return
    assert record().description == "Seen\x00 and checked."
    assert ledger_reconcile().ok


# --- attestations --------------------------------------------------------------------------------


def test_an_attestations_opinion_changed_is_caught(world):
    attestation = world.current
    [entry] = entries_of(attestation)
    update(Attestation, attestation.pk, "opinion", Opinion.UNQUALIFIED)

    assert (
        f"{attestation_name(attestation)}: the table says opinion 'unqualified' where the ledger recorded "
        f"'adverse' (entry {entry.sequence:,}): the attestation was changed after it was signed." in fails()
    )


def test_an_attestations_statement_date_and_signer_changed_are_each_named(world):
    attestation = world.signed
    someone = UserFactory(platform_role="auditor")
    tamper(
        f"UPDATE {Attestation._meta.db_table} SET statement = %s, attested_on = %s, signed_by_id = %s "
        "WHERE id = %s",
        "Nothing to report.",
        datetime.date(2020, 1, 1),
        someone.pk,
        attestation.pk,
    )

    message = fails()

    # Long texts are cut short in the message: the row and the entry are named for the rest.
    assert f"statement 'Nothing to report.' where the ledger recorded {STATEMENT[:55]!r}"[:-1] in message
    assert f"date '2020-01-01' where the ledger recorded '{attestation.attested_on.isoformat()}'" in message
    assert f"signer {someone.pk} where the ledger recorded {world.auditor.pk}" in message


def test_a_correction_cut_from_what_it_corrects_is_caught(world):
    """Without `corrects`, the public would read two current attestations, or the old one."""
    update(Attestation, world.current.pk, "corrects_id", None)

    assert f"corrects None where the ledger recorded {world.signed.pk}" in fails()


def test_a_correction_reason_written_into_a_first_attestation_is_caught(world):
    update(Attestation, world.signed.pk, "correction_reason", "Rewritten.")

    assert (
        f"{attestation_name(world.signed)}: the table says correction reason 'Rewritten.' where the ledger "
        "recorded ''" in fails()
    )


def test_an_attestation_deleted_is_caught_from_its_entry(world):
    attestation = world.current
    [entry] = entries_of(attestation)
    delete(Attestation, attestation.pk)

    assert (
        f"Entry {entry.sequence:,} (attestation.signed) records attestation {attestation.pk}, which its "
        "table no longer holds: the row was deleted or changed after it was recorded." in fails()
    )


def test_an_attestation_the_ledger_never_recorded_is_caught(world):
    forged = Attestation.objects.create(
        engagement=world.engagement,
        opinion=Opinion.UNQUALIFIED,
        statement="All fine.",
        attested_on=timezone.localdate(),
        signed_by=world.auditor,
        signed_at=timezone.now(),
        corrects=world.current,
        correction_reason="Reconsidered.",
    )

    assert (
        f"{attestation_name(forged)}: the ledger has no attestation.signed entry for it: it was not signed "
        "through the platform." in fails()
    )
