"""/verify/ by document id finds public documents only; the file or its hash finds any genuine one.

Document ids are printed on every page and sequential, so whatever an id lookup says about a
document that is not public (an audit report, anything of a report not yet published, a rendering
that is pending or failed) would let anyone walk the ids. Such an id answers exactly like one never
issued. A PDF of a report that is not published cannot be made as a *public* report at all
(artifact_request refuses it), so the unpublished case here is the audit report of a verified report.
"""

import re
from dataclasses import dataclass
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from commitments.services.reports import report_create, report_submit
from reports.models import ArtifactStatus, ReportArtifact
from reports.pdf.services import artifact_read, artifact_render, artifact_request
from tests.factories import UserFactory
from tests.reports.pdf.verify_world import render, rendered_world
from tests.reports.public_builders import committed_org, fill, officer_of, verify

pytestmark = pytest.mark.django_db

VERIFY = reverse("verify:index")
UNKNOWN_ID = "PP-2026-999999-audit-v1"


@dataclass
class Documents:
    public: ReportArtifact  # the published report's public PDF: the one public document here
    audit: ReportArtifact  # audit report of the published report, version 1, superseded by audit_v2
    audit_v2: ReportArtifact
    unpublished_audit: ReportArtifact  # audit report of a verified, not yet published report
    pending_public: ReportArtifact
    failed_public: ReportArtifact


@pytest.fixture(scope="module")
def docs(django_db_setup, django_db_blocker, signing_key):
    with rendered_world(django_db_blocker, audit=True) as world:
        framework = world.report.period.framework
        bluefin = committed_org(framework, "Bluefin Labs", "bluefin-labs")
        officer = officer_of(bluefin)
        verified = report_create(organisation=bluefin, period=world.report.period, acting_user=officer)
        fill(verified, officer)
        report_submit(report=verified, acting_user=officer)
        verify(verified, UserFactory(platform_role="reviewer"))
        pending = artifact_request(kind="public", acting_user=world.admin, report=world.report, queue=False)
        failing = artifact_request(kind="public", acting_user=world.admin, report=world.report, queue=False)
        with mock.patch("reports.pdf.services.document_build", side_effect=RuntimeError("renderer down")):
            failed = artifact_render(failing.pk)
        assert (pending.status, failed.status) == (ArtifactStatus.PENDING, ArtifactStatus.FAILED)
        yield Documents(
            public=world.public_v1,
            audit=world.audit,
            audit_v2=render("audit", report=world.report, admin=world.admin),
            unpublished_audit=render("audit", report=verified, admin=world.admin),
            pending_public=pending,
            failed_public=failed,
        )


NOT_PUBLIC = ["audit", "audit_v2", "unpublished_audit", "pending_public", "failed_public"]


def _page_by_id(client, document_id: str) -> tuple[int, str]:
    """The page for an id lookup, with the id and the per-response tokens taken out."""
    response = client.get(VERIFY, {"id": document_id})
    text = response.text.replace(document_id, "<id>")
    text = re.sub(r'("X-CSRFToken": |name="csrfmiddlewaretoken" value=|nonce=)"[^"]*"', r"\1", text)
    return response.status_code, text


def _upload(client, data: bytes):
    return client.post(
        VERIFY, {"pdf": SimpleUploadedFile("report.pdf", data, content_type="application/pdf")}
    )


# --- by id --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("which", NOT_PUBLIC)
def test_an_id_of_a_document_that_is_not_public_answers_exactly_like_an_unknown_id(client, docs, which):
    artifact = getattr(docs, which)

    status, page = _page_by_id(client, artifact.document_id)

    assert (status, page) == _page_by_id(client, UNKNOWN_ID)
    assert "No public Pledgeproof document has this id." in page
    # The link printed on an audit report leads here: its holder is told how to check it instead.
    assert (
        "to check any other document, such as an audit report, upload the file or paste its SHA-256" in page
    )
    for secret in (artifact.sha256, "Bluefin Labs", "Audit reports are not public"):
        if secret:
            assert secret not in page


def test_a_signed_in_program_admin_gets_the_same_public_answer_by_id(client, docs):
    client.force_login(UserFactory(platform_role="program_admin", is_staff=True))

    assert _page_by_id(client, docs.audit.document_id) == _page_by_id(client, UNKNOWN_ID)


def test_the_public_pdf_of_a_published_report_is_still_found_by_its_id(client, docs):
    response = client.get(VERIFY, {"id": docs.public.document_id})

    assert response.context["outcome"].verdict == "current"
    assert docs.public.sha256 in response.text
    assert reverse("verify:document", args=[docs.public.document_id]) in response.text


# --- by the file or its hash ------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["sha256", "upload"])
def test_the_file_or_its_hash_still_identifies_an_audit_report_of_an_unpublished_report(client, docs, how):
    artifact = docs.unpublished_audit
    if how == "sha256":
        response = client.get(VERIFY, {"sha256": artifact.sha256})
    else:
        response = _upload(client, artifact_read(artifact))

    assert response.status_code == 200
    assert response.context["outcome"].verdict == "current"
    assert artifact.document_id in response.text and artifact.sha256 in response.text
    assert "Audit reports are not public" in response.text
    assert reverse("verify:document", args=[artifact.document_id]) not in response.text


@pytest.mark.parametrize("how", ["sha256", "upload"])
def test_a_superseded_audit_report_says_so_without_naming_the_newer_one(client, docs, how):
    if how == "sha256":
        response = client.get(VERIFY, {"sha256": docs.audit.sha256})
    else:
        response = _upload(client, artifact_read(docs.audit))

    assert response.context["outcome"].verdict == "superseded"
    assert "A newer version was issued." in response.text
    assert docs.audit_v2.document_id not in response.text
    assert docs.audit_v2.sha256 not in response.text
    assert response.context["rows"][0]["standing"].current is None


def test_the_newer_audit_report_is_current_for_whoever_holds_it(client, docs):
    response = client.get(VERIFY, {"sha256": docs.audit_v2.sha256})

    assert response.context["outcome"].verdict == "current"
    assert docs.audit.document_id not in response.text


# --- downloads ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("which", NOT_PUBLIC)
def test_no_document_that_is_not_public_can_be_downloaded_by_its_id(client, docs, which):
    artifact = getattr(docs, which)
    url = reverse("verify:document", args=[artifact.document_id])

    assert client.get(url).status_code == 404
    if artifact.sha256:
        assert client.get(url, {"sha256": artifact.sha256}).status_code == 404
    client.force_login(UserFactory(platform_role="program_admin", is_staff=True))
    assert client.get(url).status_code == 404


def test_only_public_documents_count_as_public(docs):
    public = set(ReportArtifact.objects.public().values_list("pk", flat=True))

    assert docs.public.pk in public
    assert not public & {getattr(docs, which).pk for which in NOT_PUBLIC}
