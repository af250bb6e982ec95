"""The documents pages: who sees which PDF, generating, pending → ready, failure and retry, download."""

import hashlib
from unittest import mock

import pytest
from django.urls import reverse

from reports.models import ArtifactKind, ArtifactStatus, ReportArtifact
from tests.audits.builders import engagement_for
from tests.reports.public_builders import published


@pytest.fixture
def pub(org, period, reviewer, program_admin):
    return published(
        org, period, reviewer=reviewer, admin=program_admin, restricted_title="Internal audit memo"
    )


@pytest.fixture
def auditor(auditor, pub, program_admin):
    """An auditor engaged for the published report's organisation and period (issue 14)."""
    engagement_for(auditor, organisations=[pub.organisation], periods=[pub.period], admin=program_admin)
    return auditor


def _page(report):
    return reverse("documents:report", kwargs={"report_id": report.pk})


def _generate(report, kind):
    return reverse("documents:generate", kwargs={"report_id": report.pk, "kind": kind})


# --- access ladder --------------------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(client, pub):
    response = client.get(_page(pub))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert client.post(_generate(pub, "audit")).status_code == 302
    assert not ReportArtifact.objects.exists()


def test_other_organisation_sees_nothing(client, pub, other_officer):
    client.force_login(other_officer)
    assert client.get(_page(pub)).status_code == 404
    assert client.post(_generate(pub, "public")).status_code == 404
    assert not ReportArtifact.objects.exists()


def test_own_viewer_sees_public_pdfs_only_and_cannot_generate(client, pub, viewer):
    client.force_login(viewer)
    response = client.get(_page(pub))
    assert response.status_code == 200
    assert "Public progress report" in response.text
    assert "Audit report" not in response.text
    assert "Generate" not in response.text
    assert client.post(_generate(pub, "public")).status_code == 403
    assert client.post(_generate(pub, "audit")).status_code == 403
    assert not ReportArtifact.objects.exists()


def test_officer_of_the_organisation_may_not_get_the_audit_report(client, pub, officer, program_admin):
    from reports.pdf.services import artifact_request

    audit = artifact_request(kind="audit", acting_user=program_admin, report=pub, queue=False)
    client.force_login(officer)
    assert "Audit report" not in client.get(_page(pub)).text
    assert client.get(reverse("documents:download", kwargs={"artifact_id": audit.pk})).status_code == 404


@pytest.mark.parametrize("role", ["reviewer", "auditor", "program_admin"])
def test_staff_and_auditors_can_generate_the_audit_report(client, pub, role, request):
    user = request.getfixturevalue(role)
    client.force_login(user)
    response = client.post(_generate(pub, "audit"))
    assert response.status_code == 302
    artifact = ReportArtifact.objects.get()
    assert artifact.kind == ArtifactKind.AUDIT and artifact.requested_by == user
    page = client.get(_page(pub))
    assert "Pending" in page.text
    # While pending, the panel asks again by itself (htmx) and without JavaScript (meta refresh).
    assert 'hx-trigger="every 2s"' in page.text
    assert 'http-equiv="refresh"' in page.text


def test_only_program_admins_generate_the_public_pdf(client, pub, reviewer, program_admin):
    client.force_login(reviewer)
    assert client.post(_generate(pub, "public")).status_code == 403
    client.force_login(program_admin)
    assert client.post(_generate(pub, "public")).status_code == 302
    assert ReportArtifact.objects.get().kind == ArtifactKind.PUBLIC


def test_public_pdf_needs_a_published_report(client, report, program_admin):
    client.force_login(program_admin)
    page = client.get(_page(report))
    assert "exists once the report is published" in page.text
    response = client.post(_generate(report, "public"), follow=True)
    assert "publish it first" in response.text or response.status_code == 403
    assert not ReportArtifact.objects.exists()


def test_unknown_kind_is_404(client, pub, program_admin):
    client.force_login(program_admin)
    assert client.post(_generate(pub, "secret")).status_code == 404


# --- the life of one document --------------------------------------------------------------------------


def test_generated_pdf_becomes_ready_and_downloads_with_its_hash(
    client, pub, auditor, django_capture_on_commit_callbacks
):
    client.force_login(auditor)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_generate(pub, "audit"))
    artifact = ReportArtifact.objects.get()
    assert artifact.status == ArtifactStatus.READY, artifact.failure_reason
    page = client.get(_page(pub))
    assert "Ready" in page.text and artifact.sha256 in page.text
    assert "hx-trigger" not in page.text  # nothing pending, no polling
    download = client.get(reverse("documents:download", kwargs={"artifact_id": artifact.pk}))
    body = b"".join(download.streaming_content)
    assert download["Content-Type"] == "application/pdf"
    assert artifact.file_name in download["Content-Disposition"]
    assert hashlib.sha256(body).hexdigest() == artifact.sha256


def test_failed_rendering_shows_the_reason_leaves_no_file_and_can_be_retried(
    client, pub, program_admin, django_capture_on_commit_callbacks, settings
):
    client.force_login(program_admin)
    reports_dir = settings.MEDIA_ROOT / "reports"
    before = sorted(reports_dir.rglob("*")) if reports_dir.exists() else []
    broken = mock.patch(
        "reports.pdf.services.sign_pdf", side_effect=RuntimeError("signing service unavailable")
    )
    with broken, django_capture_on_commit_callbacks(execute=True):
        client.post(_generate(pub, "audit"))
    artifact = ReportArtifact.objects.get()
    assert artifact.status == ArtifactStatus.FAILED
    page = client.get(_page(pub))
    assert "Failed" in page.text and "signing service unavailable" in page.text
    assert (sorted(reports_dir.rglob("*")) if reports_dir.exists() else []) == before
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("documents:retry", kwargs={"artifact_id": artifact.pk}))
    assert response.status_code == 302
    artifact.refresh_from_db()
    # A retry gets its attempts anew (PDF_RENDER_MAX_ATTEMPTS): this is the first since the retry.
    assert artifact.status == ArtifactStatus.READY and artifact.attempts == 1 and not artifact.failure_reason


def test_regenerating_makes_a_new_version_and_keeps_the_old(
    client, pub, program_admin, django_capture_on_commit_callbacks
):
    client.force_login(program_admin)
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(_generate(pub, "public"))
    first, second = ReportArtifact.objects.order_by("version")
    assert (first.version, second.version) == (1, 2)
    assert first.status == second.status == ArtifactStatus.READY
    assert first.document_id.endswith("-public-v1") and second.document_id.endswith("-public-v2")
    page = client.get(_page(pub)).text
    assert first.document_id in page and second.document_id in page


def test_only_a_failed_or_stuck_document_can_be_retried(client, pub, program_admin):
    from reports.pdf.services import artifact_request

    artifact = artifact_request(kind="audit", acting_user=program_admin, report=pub, queue=False)
    client.force_login(program_admin)
    response = client.post(reverse("documents:retry", kwargs={"artifact_id": artifact.pk}), follow=True)
    assert (
        "Only a failed PDF, or one pending for longer than rendering may take (11 minutes)" in response.text
    )


# --- index and program summary ------------------------------------------------------------------------


def test_index_is_for_program_staff_and_auditors(client, pub, viewer, auditor):
    assert client.get(reverse("documents:index")).status_code == 302
    client.force_login(viewer)
    assert client.get(reverse("documents:index")).status_code == 403
    client.force_login(auditor)
    response = client.get(reverse("documents:index"))
    assert response.status_code == 200
    assert pub.reference in response.text


def test_summary_is_generated_by_admins_and_read_by_auditors(
    client, pub, period, reviewer, auditor, program_admin, django_capture_on_commit_callbacks
):
    url = reverse("documents:period", kwargs={"period_id": period.pk})
    generate = reverse("documents:generate_summary", kwargs={"period_id": period.pk})
    client.force_login(reviewer)
    assert client.post(generate).status_code == 403
    client.force_login(program_admin)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(generate).status_code == 302
    artifact = ReportArtifact.objects.get(kind="summary")
    assert artifact.status == ArtifactStatus.READY, artifact.failure_reason
    client.force_login(auditor)
    page = client.get(url)
    assert artifact.document_id in page.text and "Generate" not in page.text
    assert client.get(reverse("documents:download", kwargs={"artifact_id": artifact.pk})).status_code == 200


def test_htmx_poll_returns_only_the_panels(client, pub, program_admin):
    client.force_login(program_admin)
    client.post(_generate(pub, "audit"))
    response = client.get(_page(pub), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="document-panels"')
    assert "<html" not in response.text


def test_officers_find_their_published_reports_signed_pdf_from_the_dashboard(client, pub, officer):
    client.force_login(officer)
    dashboard = client.get(reverse("commitments:dashboard"))
    assert _page(pub) in dashboard.text
    assert client.get(_page(pub)).status_code == 200


@pytest.mark.parametrize(
    ("who", "index_link", "review_link"),
    # The engaged auditor reads the report as its reviewers see it, without acting on it.
    [("viewer", False, True), ("auditor", True, True), ("reviewer", True, True)],
)
def test_the_report_documents_page_links_only_to_pages_the_person_may_open(
    client, pub, request, who, index_link, review_link
):
    client.force_login(request.getfixturevalue(who))
    index, review = reverse("documents:index"), reverse("commitments:report_review", args=[pub.pk])

    page = client.get(_page(pub)).text

    assert (f'href="{index}"' in page, f'href="{review}"' in page) == (index_link, review_link)
    assert (client.get(index).status_code == 200) is index_link
    assert (client.get(review).status_code == 200) is review_link
