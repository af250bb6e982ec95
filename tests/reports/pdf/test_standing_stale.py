"""An audit report or program summary whose content changed after it was issued reads "superseded".

The audit report is made from the live report, so any later entry in the report's history (other
than the issuing of a PDF) leaves it out of date; the program summary is made from its period's
current publications, so a publication or correction in that period does. Both are checked the
way their holders would check them: the file uploaded or its SHA-256 pasted on /verify/, the
printed id for the public summary, and `manage.py verify_report`.
"""

import datetime
import html
from io import StringIO

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from commitments.models import ItemResponse
from reports.pdf.verification import artifact_find_by_sha256, artifact_standing
from reports.services import publication_correct
from tests.builders import period_for
from tests.factories import UserFactory
from tests.reports.pdf.verify_world import render, rendered_world
from tests.reports.public_builders import committed_org, published

pytestmark = pytest.mark.django_db

VERIFY = reverse("verify:index")


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, signing_key):
    """Northwind's report published, its public PDF, then an audit report and a summary of 2026."""
    with rendered_world(django_db_blocker, audit=True, summary=True) as built:
        yield built


def _on(day: str):
    return time_machine.travel(datetime.datetime.fromisoformat(day + "T09:00:00+00:00"), tick=False)


def _correct(report, admin, *, day="2027-02-14", narrative="Only half of it is in place."):
    # Arrange: no service edits a published report's content yet (as in verify_world).
    ItemResponse.objects.filter(report=report, node__node_id="tiny.p1.m2").update(
        status="in_progress", narrative=narrative
    )
    with _on(day):
        publication_correct(report=report, acting_user=admin, reason="The second mitigation is not finished.")


def _publish_another(world, name: str, *, period=None, day="2027-03-01"):
    organisation = committed_org(world.report.period.framework, name)
    with _on(day):
        return published(
            organisation,
            period or world.report.period,
            reviewer=UserFactory(platform_role="reviewer"),
            admin=world.admin,
        )


def _upload(client, data: bytes):
    response = client.post(
        VERIFY, {"pdf": SimpleUploadedFile("report.pdf", data, content_type="application/pdf")}
    )
    assert response.status_code == 200
    return response


def _page_text(response) -> str:
    return html.unescape(response.text)


def _verify_report(tmp_path, data: bytes) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    out = StringIO()
    call_command("verify_report", str(path), stdout=out, stderr=StringIO())
    return out.getvalue()


# --- the audit report ---------------------------------------------------------------------------------


def test_an_audit_report_issued_before_a_correction_reads_superseded_with_what_changed(client, world):
    _correct(world.report, world.admin, day="2027-02-14")

    response = _upload(client, world.pdf(world.audit))

    assert response.context["outcome"].verdict == "superseded"
    text = _page_text(response)
    assert "Genuine but superseded" in text
    assert (
        "The report changed after this audit report was issued: Correction published on 14 Feb 2027; "
        "no newer version includes this change yet."
    ) in text


def test_the_command_warns_that_an_audit_report_is_superseded_after_a_correction(world, tmp_path):
    _correct(world.report, world.admin, day="2027-02-14")

    output = _verify_report(tmp_path, world.pdf(world.audit))

    assert "Verdict: GENUINE" in output
    assert (
        "Genuine but SUPERSEDED: the report changed after this audit report was issued: "
        "Correction published on 14 Feb 2027; no newer version includes this change yet."
    ) in output
    assert "Genuine and current" not in output


def test_the_first_change_is_named_and_the_others_counted(client, world):
    _correct(world.report, world.admin, day="2027-02-14", narrative="Only half of it is in place.")
    _correct(world.report, world.admin, day="2027-04-02", narrative="A third of it is in place.")

    response = client.get(VERIFY, {"sha256": world.audit.sha256})

    assert (
        "The report changed after this audit report was issued: Correction published on 14 Feb 2027 "
        "and 1 more change; no newer version includes these changes yet."
    ) in _page_text(response)


def test_an_audit_report_with_no_later_change_stays_current(client, world, tmp_path):
    response = _upload(client, world.pdf(world.audit))

    assert response.context["outcome"].verdict == "current"
    assert "Genuine and current" in response.text
    assert (
        "Genuine and current: no newer version exists and nothing it states has changed since."
        in _verify_report(tmp_path, world.pdf(world.audit))
    )


def test_issuing_other_pdfs_of_the_report_does_not_make_its_audit_report_stale(client, world):
    render("public", report=world.report, admin=world.admin)
    render("summary", period=world.report.period, admin=world.admin)

    response = client.get(VERIFY, {"sha256": world.audit.sha256})

    assert response.context["outcome"].verdict == "current"


def test_a_change_to_another_report_does_not_supersede_an_audit_report(client, world):
    bluefin = _publish_another(world, "Bluefin Labs")
    _correct(bluefin, world.admin)

    response = client.get(VERIFY, {"sha256": world.audit.sha256})

    assert response.context["outcome"].verdict == "current"


def test_a_newer_audit_report_that_includes_the_change_is_mentioned_but_never_named(client, world):
    _correct(world.report, world.admin, day="2027-02-14")
    newer = render("audit", report=world.report, admin=world.admin)

    response = _upload(client, world.pdf(world.audit))

    text = _page_text(response)
    assert response.context["outcome"].verdict == "superseded"
    assert "Correction published on 14 Feb 2027; a newer version includes this change." in text
    assert newer.document_id not in text and newer.sha256 not in text
    assert response.context["rows"][0]["standing"].current is None
    assert client.get(VERIFY, {"sha256": newer.sha256}).context["outcome"].verdict == "current"


# --- the program summary ------------------------------------------------------------------------------


def test_a_summary_issued_before_a_correction_in_its_period_reads_superseded(client, world, tmp_path):
    _correct(world.report, world.admin, day="2027-02-14")

    response = client.get(VERIFY, {"id": world.summary.document_id})

    assert response.context["outcome"].verdict == "superseded"
    reason = (
        "a publication in 2026 changed after this summary was issued: Northwind Models' report was "
        "corrected on 14 Feb 2027; no newer version includes this change yet"
    )
    assert f"{reason[0].upper()}{reason[1:]}." in _page_text(response)
    assert f"Genuine but SUPERSEDED: {reason}." in _verify_report(tmp_path, world.pdf(world.summary))


def test_a_new_publication_in_the_period_supersedes_the_summary(client, world):
    _publish_another(world, "Bluefin Labs", day="2027-03-01")

    response = _upload(client, world.pdf(world.summary))

    assert response.context["outcome"].verdict == "superseded"
    assert "Bluefin Labs' report was published on 01 Mar 2027" in _page_text(response)


def test_a_summary_issued_after_the_change_is_named_as_the_current_version(client, world, tmp_path):
    _correct(world.report, world.admin, day="2027-02-14")
    newer = render("summary", period=world.report.period, admin=world.admin)

    response = client.get(VERIFY, {"sha256": world.summary.sha256})

    text = _page_text(response)
    assert (
        "Northwind Models' report was corrected on 14 Feb 2027; "
        f"a newer version, {newer.document_id}, includes this change."
    ) in text
    assert reverse("verify:document", args=[newer.document_id]) in text
    output = _verify_report(tmp_path, world.pdf(world.summary))
    assert f"Current version: {newer.document_id} (SHA-256 {newer.sha256})." in output
    assert client.get(VERIFY, {"sha256": newer.sha256}).context["outcome"].verdict == "current"


def test_a_newer_summary_issued_before_the_change_is_not_offered_as_current(client, world):
    older_newer = render("summary", period=world.report.period, admin=world.admin)
    _correct(world.report, world.admin, day="2027-02-14")

    response = client.get(VERIFY, {"sha256": world.summary.sha256})

    standing = response.context["rows"][0]["standing"]
    assert standing.superseded and standing.current is None
    assert "no newer version includes this change yet" in standing.reason
    assert client.get(VERIFY, {"sha256": older_newer.sha256}).context["outcome"].verdict == "superseded"


def test_changes_in_another_period_do_not_supersede_the_summary(client, world):
    later = period_for(world.report.period.framework, label="2027", year=2027)
    bluefin = _publish_another(world, "Bluefin Labs", period=later)
    _correct(bluefin, world.admin)

    response = client.get(VERIFY, {"id": world.summary.document_id})

    assert response.context["outcome"].verdict == "current"


# --- cost -----------------------------------------------------------------------------------------------


def _queries_for_standing(sha256: str) -> int:
    artifact = artifact_find_by_sha256(sha256)
    with CaptureQueriesContext(connection) as queries:
        standing = artifact_standing(artifact)
    assert standing.superseded
    return len(queries)


def test_a_standing_costs_the_same_few_queries_however_many_changes_followed(world):
    _correct(world.report, world.admin, narrative="Only half of it is in place.")
    after_one = [_queries_for_standing(world.audit.sha256), _queries_for_standing(world.summary.sha256)]
    for narrative in ("A third of it is in place.", "A quarter of it is in place.", "Nothing yet."):
        _correct(world.report, world.admin, narrative=narrative)
    after_four = [_queries_for_standing(world.audit.sha256), _queries_for_standing(world.summary.sha256)]

    assert after_one == after_four
    assert max(after_four) <= 5
