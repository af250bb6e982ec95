"""The OSCAL export of the demo world (seed_demo): every document valid, nothing restricted in it."""

from io import StringIO

import pytest
from django.core.management import call_command

from audits.models import Attestation
from commitments.models import Evidence, ProgressReport, ReportStatus
from reports.oscal.documents import all_documents
from tests.reports.oscal.oscal_checks import validated

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())


def test_every_document_of_the_demo_is_valid_and_public_only(demo):
    files = all_documents()
    everything = b"".join(files.values())

    for content in files.values():
        validated(content)
    published = ProgressReport.objects.filter(status=ReportStatus.PUBLISHED)
    assert len([n for n in files if n.startswith("component-definition-")]) == published.count()
    attested = Attestation.objects.current().values_list("engagement_id", flat=True)
    assert {f"assessment-results-engagement-{pk}.json" for pk in attested} <= set(files)
    assert attested
    restricted = Evidence.objects.filter(visibility="restricted").exclude(title="")
    assert restricted.exists()
    for evidence in restricted:
        assert evidence.title.encode() not in everything
    for report in ProgressReport.objects.exclude(status=ReportStatus.PUBLISHED):
        assert report.reference.encode() not in everything
