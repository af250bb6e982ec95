import pytest
from django.urls import reverse

from commitments.errors import InvalidTransition, NotAllowed, ValidationFailed
from commitments.models import ItemResponse, LedgerEntry, ReportStatus
from commitments.services.reports import report_create
from reports.models import Publication
from reports.services import publication_correct
from tests.builders import advance, period_for
from tests.factories import MembershipFactory, UserFactory
from tests.reports.public_builders import committed_org, published

pytestmark = pytest.mark.django_db

REASON = "The metric was entered in the wrong unit; the company sent the right figure."


@pytest.fixture
def report(framework, reviewer, program_admin):
    org = committed_org(framework, "Acme Labs")
    return published(
        org, period_for(framework, label="2025", year=2025), reviewer=reviewer, admin=program_admin
    )


def _change_published_content(report):
    # Arrange: how a published report's content gets fixed before a correction (an admin-approved
    # edit) is outside this feature, and no service allows it yet, so the ORM stands in for it.
    ItemResponse.objects.filter(report=report, node__node_id="tiny.p1.m2").update(
        status="in_progress", narrative="Only half of it is in place."
    )


def test_a_correction_publishes_a_new_version_that_supersedes_the_old_one(report, program_admin):
    _change_published_content(report)
    first = report.publications.get()

    second = publication_correct(report=report, acting_user=program_admin, reason=REASON)

    assert (second.version, second.supersedes, second.correction_reason) == (2, first, REASON)
    assert list(Publication.objects.current()) == [second]
    first.refresh_from_db()
    assert '"status":"implemented"' in first.snapshot  # the old snapshot is untouched
    assert second.snapshot_sha256 != first.snapshot_sha256
    report.refresh_from_db()
    assert report.status == ReportStatus.PUBLISHED


def test_a_correction_is_written_to_the_ledger_with_its_reason(report, program_admin):
    _change_published_content(report)

    publication = publication_correct(report=report, acting_user=program_admin, reason=REASON)

    entry = LedgerEntry.objects.get(event="publication.corrected")
    assert entry.report_id == report.pk
    assert entry.subject_id == str(publication.pk)
    assert REASON in entry.payload
    assert publication.snapshot_sha256 in entry.payload


@pytest.mark.parametrize("who", ["reviewer", "officer_of_org", "member_admin"])
def test_only_program_admins_outside_the_organisation_can_correct(report, reviewer, program_admin, who):
    _change_published_content(report)
    if who == "reviewer":
        user = reviewer
    elif who == "officer_of_org":
        user = MembershipFactory(organisation=report.organisation).user
    else:
        user = UserFactory(platform_role="program_admin")
        MembershipFactory(organisation=report.organisation, user=user)
    with pytest.raises(NotAllowed):
        publication_correct(report=report, acting_user=user, reason=REASON)
    assert report.publications.count() == 1


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_correction_needs_a_reason(report, program_admin, reason):
    _change_published_content(report)
    with pytest.raises(ValidationFailed):
        publication_correct(report=report, acting_user=program_admin, reason=reason)
    assert report.publications.count() == 1


def test_a_correction_that_changes_nothing_is_refused(report, program_admin):
    with pytest.raises(ValidationFailed, match="nothing to correct"):
        publication_correct(report=report, acting_user=program_admin, reason=REASON)


def test_an_unpublished_report_cannot_be_corrected(framework, reviewer, program_admin):
    org = committed_org(framework, "Draft Co")
    officer = MembershipFactory(organisation=org).user
    draft = report_create(organisation=org, period=period_for(framework), acting_user=officer)
    advance(draft, ReportStatus.VERIFIED, officer=officer, reviewer=reviewer)
    with pytest.raises(InvalidTransition):
        publication_correct(report=draft, acting_user=program_admin, reason=REASON)


def test_the_corrections_log_lists_date_organisation_period_reason_and_changed_items(
    client, report, program_admin
):
    _change_published_content(report)
    publication_correct(report=report, acting_user=program_admin, reason=REASON)

    response = client.get(reverse("public:corrections"))

    body = response.content.decode()
    assert "Acme Labs" in body and "2025" in body and REASON in body
    (entry,) = response.context["entries"]
    assert [(node, [c.label for c in changes]) for node, _title, changes in entry.changed_items] == [
        ("tiny.p1.m2", ["Status", "Narrative"])
    ]
    assert "Implemented → In progress" in body
    assert reverse("public:report_version", args=["acme-labs", "tiny", "2025", 1]) in body


def test_the_old_version_stays_reachable_and_says_it_was_superseded(client, report, program_admin):
    _change_published_content(report)
    publication_correct(report=report, acting_user=program_admin, reason=REASON)
    item = ["acme-labs", "tiny", "2025", "tiny.p1.m2"]

    old = client.get(reverse("public:item_version", args=[*item[:3], 1, item[3]])).content.decode()
    new = client.get(reverse("public:item", args=item)).content.decode()
    old_report = client.get(reverse("public:report_version", args=[*item[:3], 1])).content.decode()

    assert "superseded by a correction" in old and "Implemented" in old
    assert "Only half of it is in place." in new and "superseded" not in new
    assert "superseded by a correction" in old_report
    assert REASON in new  # the versions list gives the reason


def test_the_corrections_log_is_empty_without_corrections(client, report):
    assert (
        "No published report has been corrected."
        in client.get(reverse("public:corrections")).content.decode()
    )
