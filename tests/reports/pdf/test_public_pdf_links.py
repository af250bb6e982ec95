"""The public organisation and report pages link the signed PDF once it is ready."""

import hashlib

from django.urls import reverse

from reports.pdf.services import artifact_request
from tests.reports.public_builders import published


def test_pages_link_the_signed_pdf_once_it_is_ready(
    client, org, period, reviewer, program_admin, django_capture_on_commit_callbacks
):
    report = published(org, period, reviewer=reviewer, admin=program_admin)
    org_url = reverse("public:organisation", args=[org.slug])
    report_url = reverse("public:report", args=[org.slug, period.framework.key, period.label])
    assert "Signed PDF not yet available" in client.get(org_url).text  # now cached for visitors
    assert "has not been produced yet" in client.get(report_url).text

    with django_capture_on_commit_callbacks(execute=True):
        artifact = artifact_request(kind="public", acting_user=program_admin, report=report)
    artifact.refresh_from_db()

    # The new PDF refreshed the cached pages.
    organisation_page = client.get(org_url).text
    report_page = client.get(report_url).text
    pdf_url = reverse("verify:document", args=[artifact.document_id])
    assert pdf_url in organisation_page and "Signed PDF not yet available" not in organisation_page
    assert pdf_url in report_page and artifact.sha256 in report_page
    download = client.get(pdf_url)
    assert download.status_code == 200
    body = b"".join(download.streaming_content) if download.streaming else download.content
    assert hashlib.sha256(body).hexdigest() == artifact.sha256
