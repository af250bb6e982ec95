"""One vocabulary: every state, status, verdict, level and ledger event is worded and coloured once,
and every page shows the same badge for the same word."""

import datetime
import re

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from commitments.models import ItemResponse, LedgerEntry, ReportStatus, Verdict
from commitments.services.evidence import evidence_add, evidence_revise
from commitments.services.reports import item_verdict_record, report_changes_request, report_create
from commitments.services.reviews import company_response_add
from commitments.vocabulary import (
    ITEM_LEVELS,
    LEGEND,
    NO_REPORT,
    AssuranceLevel,
    Badge,
    ImplementationStatus,
    LedgerEvent,
    counts_as_verified,
    event_label,
    status_badge,
    status_code,
    status_label,
    verdict_label,
    verdict_level,
)
from reports.pdf.services import artifact_render, artifact_request
from reports.services import publication_correct, report_publish
from tests.builders import advance

pytestmark = pytest.mark.django_db

WORDS = [ReportStatus, ImplementationStatus, Verdict, AssuranceLevel, LedgerEvent]


def _generated_label(member) -> str:
    """The label Django makes up for a member given none (e.g. 'Report Created')."""
    return member.name.replace("_", " ").title()


@pytest.mark.parametrize("words", WORDS, ids=lambda words: words.__name__)
def test_every_word_has_a_label_of_its_own(words):
    for member in words:
        assert member.label.strip(), member
        if "_" in member.name:  # one word reads the same either way
            assert member.label != _generated_label(member), f"{member!r} has no label written for it"
    assert len({member.label for member in words}) == len(words)


STORED = st.one_of(
    st.sampled_from([member.value for words in WORDS for member in words]),
    st.none(),
    st.text(),
    st.integers(),
    st.lists(st.text(max_size=3), max_size=2),
)


@given(STORED)
def test_any_stored_value_is_worded_without_an_error(value):
    # Values come back from rows, snapshots and ledger payloads, which older versions wrote.
    for words in WORDS:
        found = words.find(value)
        assert found is None or found == value
    assert status_label(value) in {*ImplementationStatus.labels, "No answer"}
    assert verdict_label(value) in {*Verdict.labels, "No verdict"}
    assert verdict_level(value) in (AssuranceLevel.SELF_REPORTED, AssuranceLevel.REVIEWER_VERIFIED)
    if isinstance(value, str):
        known = LedgerEvent.find(value)
        words = value.replace(".", " ").replace("_", " ").capitalize()
        assert event_label(value) == (known.label if known else words)


def test_every_ledger_event_has_a_history_label():
    for event in LedgerEvent:
        assert event_label(event.value) == event.label
    # An event this version does not know (an older one, a test's) still reads as words.
    assert event_label("audit.finding_recorded") == "Audit finding recorded"


@pytest.mark.parametrize("words", [ReportStatus, ImplementationStatus, Verdict], ids=lambda w: w.__name__)
def test_every_state_status_and_verdict_has_a_badge_on_the_one_scale(words):
    for member in words:
        assert isinstance(member.badge, Badge)


def test_statuses_and_levels_carry_their_public_wording():
    assert [status.code for status in ImplementationStatus] == ["NS", "PL", "IP", "IM", "NA"]
    assert all(status.definition.endswith(".") for status in ImplementationStatus)
    assert len({level.icon for level in AssuranceLevel}) == len(AssuranceLevel)
    assert all(level.definition for level in AssuranceLevel)
    assert AssuranceLevel.PARTLY_VERIFIED not in ITEM_LEVELS and AssuranceLevel.PARTLY_VERIFIED in LEGEND
    assert (status_label(""), status_badge(""), status_code("")) == ("No answer", Badge.BAD, "—")
    assert (status_label("in_progress"), status_badge("in_progress")) == ("In progress", Badge.INFO)
    assert (verdict_label(None), verdict_label("not_verified")) == ("No verdict", "Not verified")


@pytest.mark.parametrize("verdict", [*Verdict, None], ids=str)
def test_only_the_verdict_verified_makes_a_claim_reviewer_verified(verdict):
    expected = verdict == Verdict.VERIFIED
    assert counts_as_verified(verdict) is expected
    assert verdict_level(verdict) == (
        AssuranceLevel.REVIEWER_VERIFIED if expected else AssuranceLevel.SELF_REPORTED
    )


# --- the same badge on every page -------------------------------------------------------------


def _badges(html: str) -> dict[str, str]:
    """Badge text → its colour class, as the page shows it."""
    return {
        text.strip(): css.strip()
        for css, text in re.findall(r'<span class="badge ?([a-z]*) ?">([^<]*)</span>', html)
    }


@pytest.mark.parametrize("verdict", list(Verdict), ids=str)
def test_the_officer_and_the_reviewer_see_the_same_badge_for_a_verdict(
    client, report, officer, reviewer, verdict
):
    in_review = advance(report, ReportStatus.IN_REVIEW, officer=officer, reviewer=reviewer)
    item = in_review.items.select_related("node").order_by("node__position").first()
    item_verdict_record(item=item, acting_user=reviewer, verdict=verdict, justification="Looked at it.")
    report_changes_request(report=in_review, acting_user=reviewer, items=[item], message="Please add detail.")

    client.force_login(reviewer)
    reviewer_page = _badges(
        client.get(reverse("commitments:report_review", args=[report.pk])).content.decode()
    )
    client.force_login(officer)
    officer_page = _badges(client.get(reverse("commitments:report_edit", args=[report.pk])).content.decode())

    assert reviewer_page[f"Verdict: {verdict.label}"] == verdict.badge
    assert reviewer_page[verdict.label] == verdict.badge
    assert officer_page[verdict.label] == verdict.badge


@pytest.mark.parametrize("state", list(ReportStatus), ids=str)
def test_a_report_state_has_the_same_badge_on_every_page_that_shows_it(
    client, report, officer, reviewer, program_admin, state
):
    report = advance(report, state, officer=officer, reviewer=reviewer, admin=program_admin)
    expected = f'<span class="badge {state.badge}">{state.label}</span>'

    client.force_login(officer)
    assert expected in client.get(reverse("commitments:dashboard")).content.decode()
    assert expected in client.get(reverse("commitments:report_edit", args=[report.pk])).content.decode()
    client.force_login(reviewer)
    assert expected in client.get(reverse("reports:overview")).content.decode()
    assert expected in client.get(reverse("commitments:report_review", args=[report.pk])).content.decode()
    assert expected in client.get(reverse("commitments:report_history", args=[report.pk])).content.decode()


def test_a_period_without_a_report_reads_not_started_on_the_dashboard_and_the_overview(
    client, period, officer, reviewer
):
    expected = f'<span class="badge {NO_REPORT.badge}">{NO_REPORT.label}</span>'

    client.force_login(officer)
    assert expected in client.get(reverse("commitments:dashboard")).content.decode()
    client.force_login(reviewer)
    assert expected in client.get(reverse("reports:overview")).content.decode()


# --- ledger events ----------------------------------------------------------------------------


AUDIT_EVENTS = {
    LedgerEvent.ENGAGEMENT_CREATED,
    LedgerEvent.INDEPENDENCE_DECLARED,
    LedgerEvent.RESTRICTED_EVIDENCE_ACCESSED,
    LedgerEvent.EVIDENCE_REQUEST_OPENED,
    LedgerEvent.EVIDENCE_REQUEST_ANSWERED,
    LedgerEvent.EVIDENCE_REQUEST_CLOSED,
    LedgerEvent.WORKPAPER_SAVED,
    LedgerEvent.WORKPAPER_SIGNED_OFF,
    LedgerEvent.FINDING_RECORDED,
    LedgerEvent.ATTESTATION_SIGNED,
    LedgerEvent.FINDING_FOLLOWED_UP,
}


def test_a_reports_whole_life_is_told_in_its_history_with_a_label_for_every_entry(
    client, org, period, officer, reviewer, program_admin
):
    report = report_create(organisation=org, period=period, acting_user=officer)
    item = ItemResponse.objects.select_related("node").filter(report=report).order_by("node__position")[0]
    link = {
        "effective_date": datetime.date(2026, 1, 5),
        "visibility": "public",
        "url": "https://example.test/",
    }
    evidence = evidence_add(item=item, acting_user=officer, title="Policy", **link)
    evidence_revise(evidence=evidence, acting_user=officer, title="Policy, second edition")
    verified = advance(report, ReportStatus.VERIFIED, officer=officer, reviewer=reviewer)
    company_response_add(item=item, acting_user=officer, body="We stand by it.")
    published = report_publish(report=verified, acting_user=program_admin).report
    org.name = "Northwind Models Ltd"  # housekeeping the correction republishes
    org.save(update_fields=["name"])
    publication_correct(report=published, acting_user=program_admin, reason="The name changed.")
    artifact_render(artifact_request(kind="audit", acting_user=reviewer, report=published, queue=False).pk)
    client.force_login(reviewer)

    rows = client.get(reverse("commitments:report_history", args=[report.pk])).context["rows"]

    events = {row.event for row in rows}
    assert events == set(LedgerEvent.values) - {
        LedgerEvent.FRAMEWORK_LOADED,
        LedgerEvent.REPORT_CHANGES_REQUESTED,
        *AUDIT_EVENTS,  # an audit's life is told in tests/audits
    }
    for row in rows:
        assert row.label == LedgerEvent(row.event).label
    # And nothing the platform appended anywhere is missing from the enum.
    assert set(LedgerEntry.objects.values_list("event", flat=True)) <= set(LedgerEvent.values)
