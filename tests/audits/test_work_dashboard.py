"""The officers' dashboard shows the corrective actions of attested nonconformities to follow up."""

import pytest
from django.urls import reverse
from django.utils import timezone

from audits.services.work import attestation_sign, workpaper_sign_off
from commitments.vocabulary import FindingKind
from tests.audits.work_fixtures import audit_fixture, find, paper  # noqa: F401

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("commitments:dashboard")
HOSTILE = "<script>alert(1)</script> Timestamps mandatory from March."


@pytest.fixture
def nonconformity(audit):
    for item in audit.items:
        workpaper_sign_off(workpaper=paper(audit, item), acting_user=audit.second)
        find(audit, item)
    return find(
        audit,
        audit.items[0],
        kind=FindingKind.NONCONFORMITY,
        recommended_action="Log the time of every escalation.",
        corrective_action=HOSTILE,
    )


def attest(audit):
    attestation_sign(
        engagement=audit.engagement,
        acting_user=audit.first,
        opinion="qualified",
        statement="Except for the escalations, fairly stated.",
        attested_on=timezone.localdate(),
    )


def test_officers_see_the_corrective_action_once_the_engagement_is_attested(
    client, audit, officer, nonconformity
):
    client.force_login(officer)
    assert "Corrective actions to follow up" not in client.get(DASHBOARD).content.decode()

    attest(audit)

    page = client.get(DASHBOARD).content.decode()
    assert "Corrective actions to follow up" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Timestamps mandatory from March." in page
    assert "<script>alert(1)" not in page
    assert reverse("audits:finding_respond", args=[nonconformity.pk]) in page


def test_viewers_and_other_organisations_do_not_see_it(client, audit, viewer, other_officer, nonconformity):
    attest(audit)

    for user in (viewer, other_officer):
        client.force_login(user)
        assert "Corrective actions to follow up" not in client.get(DASHBOARD).content.decode()
