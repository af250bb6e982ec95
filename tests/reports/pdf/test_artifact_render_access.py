"""The rendering task acts for whoever asked: it asks the access gate again before it renders."""

import pytest

from commitments.models import LedgerEntry
from reports.models import ArtifactStatus
from reports.pdf.services import artifact_render, artifact_request
from tests.audits.builders import engagement_for
from tests.factories import MembershipFactory
from tests.reports.public_builders import published

pytestmark = pytest.mark.django_db


@pytest.fixture
def pub(org, period, reviewer, program_admin):
    return published(org, period, reviewer=reviewer, admin=program_admin)


@pytest.fixture
def auditor(auditor, pub, program_admin):
    """An auditor engaged for the published report's organisation and period (issue 14)."""
    engagement_for(auditor, organisations=[pub.organisation], periods=[pub.period], admin=program_admin)
    return auditor


def test_an_audit_pdf_is_not_rendered_for_an_auditor_who_joined_the_organisation_meanwhile(pub, org, auditor):
    artifact = artifact_request(kind="audit", acting_user=auditor, report=pub, queue=False)
    MembershipFactory(user=auditor, organisation=org, role="viewer")

    rendered = artifact_render(artifact.pk)

    assert rendered.status == ArtifactStatus.FAILED
    assert rendered.failure_reason == (
        f"Not rendered for {auditor.email}: "
        "You belong to this organisation, so you cannot read or generate its audit report."
    )
    assert rendered.storage_name == "" and rendered.sha256 == ""
    assert not LedgerEntry.objects.filter(event="artifact.rendered").exists()


def test_a_summary_is_not_rendered_for_an_admin_who_is_an_admin_no_more(period, program_admin):
    artifact = artifact_request(kind="summary", acting_user=program_admin, period=period, queue=False)
    program_admin.platform_role = "reviewer"
    program_admin.save(update_fields=["platform_role"])

    rendered = artifact_render(artifact.pk)

    assert rendered.status == ArtifactStatus.FAILED
    assert "Only program admins generate the program summary." in rendered.failure_reason
