"""The officers' dashboard shows the corrective actions of attested nonconformities to follow up."""

import pytest
from django.urls import reverse
from django.utils import timezone

from audits.services.work import attestation_sign, finding_respond, workpaper_sign_off
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


# --- findings the officers may respond to, before attestation ------------------------------------
# Found by the browser journey: nothing led an officer to a finding before attestation, and after it
# a response can no longer be given, so the company's response could only be written by typing the
# response page's address.

PANEL = "Audit findings to respond to"


@pytest.fixture
def findings(audit):
    """An observation, a nonconformity and an item that conforms, on Northwind's report."""
    conforms = find(audit, audit.items[0])
    observation = find(audit, audit.items[1], kind=FindingKind.OBSERVATION)
    nonconformity = find(
        audit, audit.items[2], kind=FindingKind.NONCONFORMITY, recommended_action="Log every escalation."
    )
    return conforms, observation, nonconformity


def test_officers_see_the_observations_and_nonconformities_they_may_respond_to(
    client, audit, officer, findings
):
    conforms, observation, nonconformity = findings
    client.force_login(officer)

    page = client.get(DASHBOARD).content.decode()

    assert PANEL in page
    assert reverse("audits:finding_respond", args=[observation.pk]) in page
    assert reverse("audits:finding_respond", args=[nonconformity.pk]) in page
    assert reverse("audits:finding_respond", args=[conforms.pk]) not in page
    assert page.count(">Respond<") == 2
    assert audit.engagement.title in page


def test_a_finding_responded_to_says_so_and_can_still_be_changed(client, audit, officer, findings):
    _conforms, observation, _nonconformity = findings
    finding_respond(finding=observation, acting_user=officer, company_response="We name the owner in May.")
    client.force_login(officer)

    page = client.get(DASHBOARD).content.decode()

    assert page.count(">Respond<") == 1
    assert "You have responded." in page
    assert "Read or change your response" in page


def test_once_attested_the_findings_leave_the_panel(client, audit, officer, findings):
    for item in audit.items:
        workpaper_sign_off(workpaper=paper(audit, item), acting_user=audit.second)
    attest(audit)
    client.force_login(officer)

    page = client.get(DASHBOARD).content.decode()

    assert PANEL not in page
    assert "Corrective actions to follow up" not in page  # the nonconformity names none


@pytest.mark.parametrize("who", ["viewer", "other_officer", "reviewer", "engaged_auditor"])
def test_no_one_else_sees_the_findings_to_respond_to(
    client, audit, findings, viewer, other_officer, reviewer, who
):
    person = {
        "viewer": viewer,
        "other_officer": other_officer,
        "reviewer": reviewer,
        "engaged_auditor": audit.first,
    }
    client.force_login(person[who])

    response = client.get(DASHBOARD)

    assert response.status_code == 200
    assert PANEL not in response.content.decode()


def test_anonymous_visitors_are_sent_to_sign_in(client, findings):
    response = client.get(DASHBOARD)

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
