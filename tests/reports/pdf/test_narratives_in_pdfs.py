"""The public and audit PDFs lay out the deepest narrative the limits accept, and whatever was
stored before the limits (WeasyPrint's layout recurses once per nested element)."""

import itertools

import pytest
from hypothesis import given, settings

from commitments.markdown import MAX_HTML_DEPTH, html_depth
from reports.models import ArtifactStatus
from reports.pdf.documents import document_build
from reports.pdf.render import html_to_pdf
from reports.pdf.services import artifact_read, artifact_render, artifact_request
from tests.builders import period_for
from tests.hostile_text import DEEPEST_ACCEPTED, deep_nesting, storable_markdown
from tests.reports.narrative_builders import published_with_narrative, republish_with_narrative
from tests.reports.pdf.pdf_reading import ReadPdf
from tests.reports.public_builders import committed_org

pytestmark = pytest.mark.django_db

STORED = deep_nesting(1_000)["mixed"] + "\n\n" + "[" * 3_000 + "\n\nEnd of the stored narrative."


def _published(framework, text, *, reviewer, admin):
    organisation = committed_org(framework, "Acme Labs")
    return published_with_narrative(organisation, period_for(framework), text, reviewer=reviewer, admin=admin)


def _render(kind, report) -> ReadPdf:
    artifact = artifact_request(kind=kind, acting_user=None, report=report, queue=False)
    artifact = artifact_render(artifact.pk)
    assert artifact.status == ArtifactStatus.READY, artifact.failure_reason
    return ReadPdf(artifact_read(artifact))


def _html(kind, report) -> str:
    artifact = artifact_request(kind=kind, acting_user=None, report=report, queue=False)
    return document_build(artifact, signer_fingerprint="0" * 64).html


def test_the_public_pdf_lays_out_the_deepest_narrative_the_limits_accept(framework, reviewer, program_admin):
    report = _published(framework, DEEPEST_ACCEPTED, reviewer=reviewer, admin=program_admin)

    html = _html("public", report)
    pdf = _render("public", report)

    assert html_depth(html) > 60  # 53 levels of narrative inside the page's own layout
    assert pdf.contains("deepest bullet") and pdf.contains("deepest quote")


def test_the_audit_pdf_shows_narratives_stored_before_the_limits_as_text(framework, reviewer, program_admin):
    report = _published(framework, STORED, reviewer=reviewer, admin=program_admin)

    pdf = _render("audit", report)

    assert pdf.contains("> - 1. > - 1. > - 1.")
    assert pdf.contains("[[[[[[[[[[")
    assert pdf.contains("End of the stored narrative.")


@pytest.fixture
def public_report(framework, reviewer, program_admin):
    return _published(framework, "First version.", reviewer=reviewer, admin=program_admin)


_versions = itertools.count(2)


@settings(max_examples=12)
@given(text=storable_markdown)
def test_the_pdf_templates_render_whatever_a_narrative_holds(program_admin, public_report, text):
    republish_with_narrative(public_report, text, admin=program_admin, version=next(_versions))

    for kind in ("public", "audit"):
        html = _html(kind, public_report)
        assert "<script" not in html.lower()
        assert html_depth(html) <= MAX_HTML_DEPTH + 20  # the page's own layout around the narrative


@settings(max_examples=2)
@given(text=storable_markdown)
def test_weasyprint_lays_out_whatever_a_narrative_holds(program_admin, public_report, text):
    republish_with_narrative(public_report, text, admin=program_admin, version=next(_versions))

    rendered = html_to_pdf(_html("public", public_report), manifest_json=b"{}")

    assert rendered.data.startswith(b"%PDF-")
