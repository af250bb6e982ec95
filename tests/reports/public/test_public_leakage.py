"""Only published snapshots reach the public site: nothing else, on any public page."""

import pytest
from django.urls import reverse

from commitments.models import Comment, Evidence, ImplementationStatus, ReportStatus
from commitments.services.reports import item_update, report_create
from commitments.services.reviews import comment_add, company_response_add
from demo.walk import People, every_item_verified, report_walk
from tests.builders import period_for
from tests.reports.public_builders import committed_org, fill, officer_of

pytestmark = pytest.mark.django_db

STATES = [
    ReportStatus.DRAFT,
    ReportStatus.SUBMITTED,
    ReportStatus.IN_REVIEW,
    ReportStatus.CHANGES_REQUESTED,
    ReportStatus.VERIFIED,
]


def _report_in(state, org, period, reviewer):
    officer = officer_of(org)
    report = report_create(organisation=org, period=period, acting_user=officer)
    fill(
        report,
        officer,
        narrative=f"MARKER-NARRATIVE-{state}",
        restricted_title=f"MARKER-RESTRICTED-{state}",
        public_file_title=f"MARKER-PUBLIC-FILE-{state}",
    )
    return report_walk(
        report,
        to=state,
        by=People(officer=officer, reviewer=reviewer),
        review=_comment(reviewer, f"MARKER-COMMENT-{state}"),
        changes_message="MARKER-REQUEST",
        verdict=every_item_verified(f"MARKER-JUSTIFICATION-{state}"),
    )


def _comment(reviewer, body):
    return lambda report: comment_add(item=report.items.first(), acting_user=reviewer, body=body)


@pytest.fixture
def world(framework, reviewer, program_admin):
    """One published report next to reports in every unpublished state, all full of markers."""
    old = period_for(framework, label="2024", year=2024)
    period = period_for(framework, label="2025", year=2025)
    unpublished = {}
    for state in STATES:
        org = committed_org(framework, f"Org {state}", slug=f"org-{state.replace('_', '-')}")
        unpublished[state] = _report_in(state, org, period, reviewer)
    # The published organisation also has an unpublished draft for the next period.
    shown = committed_org(framework, "Shown Labs")
    officer = officer_of(shown)
    report = report_create(organisation=shown, period=old, acting_user=officer)
    fill(
        report,
        officer,
        narrative="PUBLISHED-NARRATIVE",
        restricted_title="MARKER-RESTRICTED-PUBLISHED",
        public_file_title="PUBLISHED-FILE",
    )
    report = report_walk(
        report,
        to=ReportStatus.PUBLISHED,
        by=People(officer=officer, reviewer=reviewer, admin=program_admin),
        review=_comment(reviewer, "MARKER-COMMENT-PUBLISHED"),
        verdict=every_item_verified("PUBLISHED-JUSTIFICATION"),
        verified=lambda report: company_response_add(
            item=report.items.first(), acting_user=officer, body="PUBLISHED-RESPONSE"
        ),
    )
    draft = report_create(organisation=shown, period=period, acting_user=officer)
    fill(draft, officer, narrative="MARKER-NEXT-DRAFT", public_file_title="MARKER-NEXT-DRAFT-FILE")
    return {"period": period, "old": old, "shown": shown, "report": report, "unpublished": unpublished}


def _public_urls(world):
    nodes = ["tiny.p1.m1", "tiny.p1.m2", "tiny.p1.m3"]
    urls = [
        reverse("home"),
        reverse("home") + "?period=2025",
        reverse("home") + "?period=2024",
        reverse("home") + "?period=2025&principle=tiny.p1",
        reverse("home") + "?period=2024&principle=tiny.p1",
        reverse("public:methodology"),
        reverse("public:corrections"),
        reverse("public:organisation", args=["shown-labs"]),
        reverse("public:report", args=["shown-labs", "tiny", "2024"]),
        reverse("public:report_version", args=["shown-labs", "tiny", "2024", 1]),
    ]
    urls += [reverse("public:item", args=["shown-labs", "tiny", "2024", n]) for n in nodes]
    urls += [reverse("public:item_version", args=["shown-labs", "tiny", "2024", 1, n]) for n in nodes]
    for state in STATES:
        urls.append(reverse("public:organisation", args=[f"org-{state.replace('_', '-')}"]))
    return urls


def test_no_unpublished_report_restricted_evidence_or_comment_appears_on_any_public_page(client, world):
    assert Comment.objects.count() == 4  # the markers really exist in the database
    pages = {}
    for url in _public_urls(world):
        response = client.get(url)
        assert response.status_code == 200, url
        pages[url] = response.content.decode()

    everything = "\n".join(pages.values())
    assert "MARKER" not in everything
    # The same pages do show what was published, so the check above can fail.
    assert (
        "PUBLISHED-NARRATIVE"
        in pages[reverse("public:item", args=["shown-labs", "tiny", "2024", "tiny.p1.m1"])]
    )
    assert "PUBLISHED-JUSTIFICATION" in everything
    assert "PUBLISHED-RESPONSE" in everything
    assert "Restricted — hash only" in everything


def test_unpublished_reports_have_no_public_report_or_item_page(client, world):
    for state in STATES:
        slug = f"org-{state.replace('_', '-')}"
        assert client.get(reverse("public:report", args=[slug, "tiny", "2025"])).status_code == 404
        assert (
            client.get(reverse("public:item", args=[slug, "tiny", "2025", "tiny.p1.m1"])).status_code == 404
        )
    assert client.get(reverse("public:report", args=["shown-labs", "tiny", "2025"])).status_code == 404


def test_unpublished_organisations_show_as_not_reported_in_the_matrix(client, world):
    response = client.get(reverse("home"), {"period": "2025", "principle": "tiny.p1"})
    rows = {row.organisation.name: row for row in response.context["m"].rows}
    for state in STATES:
        assert rows[f"Org {state}"].publication is None
        assert {cell.level.value for cell in rows[f"Org {state}"].cells} == {"not_reported"}


def test_a_published_item_edited_afterwards_still_shows_the_published_text(client, world, program_admin):
    """The public reads the snapshot: a later change to the live row does not leak through."""
    item = world["report"].items.get(node__node_id="tiny.p1.m1")
    # Arrange: a live edit that no service allows on a published report, made through the ORM.
    type(item).objects.filter(pk=item.pk).update(
        narrative="MARKER-LIVE-EDIT", status=ImplementationStatus.NOT_STARTED
    )
    assert item_update  # the service would refuse it: the report is published

    body = client.get(
        reverse("public:item", args=["shown-labs", "tiny", "2024", "tiny.p1.m1"])
    ).content.decode()

    assert "MARKER-LIVE-EDIT" not in body
    assert "PUBLISHED-NARRATIVE" in body


def _evidence_url(slug, period, evidence_id):
    return reverse("public:evidence", args=[slug, "tiny", period, evidence_id])


def test_only_public_files_of_published_reports_can_be_downloaded(client, world):
    published = world["report"]
    downloaded = []
    for evidence in Evidence.objects.select_related("item__report__organisation", "item__report__period"):
        report = evidence.item.report
        response = client.get(_evidence_url(report.organisation.slug, report.period.label, evidence.pk))
        public_file = (
            evidence.kind == Evidence.Kind.FILE and evidence.visibility == Evidence.Visibility.PUBLIC
        )
        if report.pk == published.pk and public_file:
            assert response.status_code == 200, evidence.title
            downloaded.append(b"".join(response.streaming_content).decode())
        else:
            # Restricted files, links and every file of an unpublished report: 404, never 403.
            assert response.status_code == 404, (evidence.title, report.status)
        if report.pk != published.pk:
            # Nor does another report's id work under the published report's address.
            assert client.get(_evidence_url("shown-labs", "2024", evidence.pk)).status_code == 404

    # Each published public file, and nothing else (so the checks above can fail).
    assert sorted(downloaded) == [f"PUBLISHED-FILE for tiny.p1.m{n}\n" for n in (1, 2, 3)]
    assert Evidence.objects.filter(title__startswith="MARKER-PUBLIC-FILE").count() == 3 * len(STATES)
    assert client.get(_evidence_url("shown-labs", "2024", 999999)).status_code == 404
    assert client.get(_evidence_url("no-such-org", "2024", 1)).status_code == 404
