"""Staff retry a PDF stuck pending (its rendering died) from the documents page, as a failed one."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from reports.models import ArtifactStatus
from reports.pdf.services import artifact_request
from tests.reports.public_builders import published


@pytest.fixture
def pub(org, period, reviewer, program_admin):
    return published(org, period, reviewer=reviewer, admin=program_admin)


@pytest.fixture
def stuck(pub, program_admin):
    """A public PDF whose message was lost: pending, and later than rendering may take."""
    artifact = artifact_request(kind="public", acting_user=program_admin, report=pub, queue=False)
    later = timezone.now() + timedelta(seconds=settings.PDF_RENDER_TIME_LIMIT + 60)
    with time_machine.travel(later, tick=True):
        yield artifact


def _page(report):
    return reverse("documents:report", kwargs={"report_id": report.pk})


def _retry(artifact):
    return reverse("documents:retry", kwargs={"artifact_id": artifact.pk})


def test_the_page_says_it_is_stuck_and_offers_retry_to_staff(client, pub, stuck, program_admin):
    client.force_login(program_admin)
    page = client.get(_page(pub)).text
    assert "Stuck: no progress for longer than rendering may take" in page
    assert _retry(stuck) in page


def test_a_recently_requested_pdf_is_not_offered_for_retry(client, pub, program_admin):
    artifact = artifact_request(kind="public", acting_user=program_admin, report=pub, queue=False)
    client.force_login(program_admin)
    page = client.get(_page(pub)).text
    assert "rendering and signing" in page
    assert "Stuck" not in page and _retry(artifact) not in page


def test_staff_retry_renders_the_stuck_pdf(
    client, pub, stuck, program_admin, django_capture_on_commit_callbacks
):
    client.force_login(program_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_retry(stuck), follow=True)
    assert f"Trying {stuck.document_id} again." in response.text
    stuck.refresh_from_db()
    assert stuck.status == ArtifactStatus.READY
    assert "✓ Ready" in client.get(_page(pub)).text


def test_anonymous_is_sent_to_sign_in(client, stuck):
    response = client.post(_retry(stuck))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    stuck.refresh_from_db()
    assert stuck.queued_at is None


def test_another_organisation_gets_not_found(client, stuck, other_officer):
    client.force_login(other_officer)
    assert client.post(_retry(stuck)).status_code == 404
    stuck.refresh_from_db()
    assert stuck.queued_at is None


def test_a_read_only_member_sees_it_but_may_not_retry(client, pub, stuck, viewer):
    client.force_login(viewer)
    page = client.get(_page(pub)).text
    assert "Stuck" in page and _retry(stuck) not in page
    assert client.post(_retry(stuck)).status_code == 403
    stuck.refresh_from_db()
    assert stuck.queued_at is None and stuck.status == ArtifactStatus.PENDING


def test_the_organisations_officer_may_not_retry_either(client, stuck, officer):
    """Same rule as retrying a failed PDF (commitments.access: REQUEST_PDF is program staff's)."""
    client.force_login(officer)
    assert client.post(_retry(stuck)).status_code == 403
