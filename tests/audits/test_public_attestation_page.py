"""The public attestation page: anyone may read a signed attestation; nothing exists before one."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from commitments.services.reports import report_create
from commitments.vocabulary import FindingKind, Opinion
from tests.audits.public_builders import attestation_sign, audited, finding_record, item_of
from tests.builders import period_for
from tests.factories import MembershipFactory, UserFactory
from tests.reports.public_builders import committed_org, officer_of, published

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(framework, reviewer, program_admin):
    org = committed_org(framework, "Acme Labs")
    return published(
        org, period_for(framework, label="2025", year=2025), reviewer=reviewer, admin=program_admin
    )


@pytest.fixture
def attested(acme, auditor, program_admin):
    auditor.full_name = "Dana Whitfield"
    auditor.save()
    return audited(
        acme,
        auditor=auditor,
        admin=program_admin,
        findings={
            "tiny.p1.m1": FindingKind.CONFORMS,
            "tiny.p1.m2": (FindingKind.NONCONFORMITY, "Fixed in <script>alert(1)</script> March."),
        },
        opinion=Opinion.QUALIFIED,
    )


def _url(attestation_id):
    return reverse("audits:public_attestation", args=[attestation_id])


def test_the_page_shows_who_attested_what_with_which_opinion_and_every_finding(client, attested):
    engagement, attestation = attested
    body = client.get(_url(attestation.pk)).content.decode()
    for text in (
        engagement.title,
        "Harbourside Assurance LLP",
        "Dana Whitfield",
        engagement.standard,
        engagement.scope_statement,
        "Acme Labs",
        "2025",
        Opinion.QUALIFIED.label,
        Opinion.QUALIFIED.definition,
        attestation.statement,
        "31 Mar 2026",
        FindingKind.CONFORMS.label,
        FindingKind.NONCONFORMITY.label,
        "Nonconformity on tiny.p1.m2.",
        "Fixed in <script>alert(1)</script> March.",
    ):
        assert escape(text) in body, text
    assert "<script>alert(1)" not in body
    assert reverse("public:item", args=["acme-labs", "tiny", "2025", "tiny.p1.m2"]) in body
    assert "superseded" not in body


@pytest.mark.parametrize(
    "who",
    ["anonymous", "officer", "other_officer", "viewer", "reviewer", "auditor", "outsider_auditor", "admin"],
)
def test_anyone_may_read_it(client, attested, acme, who, reviewer, auditor, program_admin, other_org):
    users = {
        "anonymous": None,
        "officer": MembershipFactory(organisation=acme.organisation, role="officer").user,
        "other_officer": MembershipFactory(organisation=other_org, role="officer").user,
        "viewer": MembershipFactory(organisation=acme.organisation, role="viewer").user,
        "reviewer": reviewer,
        "auditor": auditor,
        "outsider_auditor": UserFactory(platform_role="auditor"),
        "admin": program_admin,
    }
    if users[who] is not None:
        client.force_login(users[who])
    response = client.get(_url(attested[1].pk))
    assert response.status_code == 200
    assert attested[0].title in response.content.decode()


def test_unknown_ids_are_404(client, attested):
    assert client.get(_url(attested[1].pk + 1000)).status_code == 404
    assert client.get("/audits/attestations/abc/").status_code == 404


def test_an_engagement_without_attestation_has_no_page_and_shows_nothing(
    client, acme, auditor, program_admin
):
    engagement, attestation = audited(
        acme,
        auditor=auditor,
        admin=program_admin,
        findings={"tiny.p1.m1": FindingKind.CONFORMS},
        attest=False,
    )
    assert attestation is None
    for guess in range(1, 5):
        assert client.get(_url(guess)).status_code == 404
    assert (
        engagement.title
        not in client.get(reverse("public:organisation", args=["acme-labs"])).content.decode()
    )


def test_a_corrected_attestation_says_what_superseded_it_and_why(client, attested, auditor):
    engagement, first = attested
    correction = attestation_sign(
        engagement,
        by=auditor,
        opinion=Opinion.ADVERSE,
        corrects=first,
        correction_reason="The sample missed two quarters.",
    )
    old = client.get(_url(first.pk)).content.decode()
    assert "superseded by a correction" in old
    assert _url(correction.pk) in old
    assert "The sample missed two quarters." in old

    new = client.get(_url(correction.pk)).content.decode()
    assert "superseded by a correction" not in new
    assert Opinion.ADVERSE.label in new and Opinion.ADVERSE.definition in new
    assert _url(first.pk) in new


def test_findings_on_unpublished_reports_are_not_listed(
    client, framework, acme, auditor, program_admin, reviewer
):
    later = period_for(framework, label="2026", year=2026)
    draft = report_create(
        organisation=acme.organisation, period=later, acting_user=officer_of(acme.organisation)
    )
    engagement, _ = audited(acme, auditor=auditor, admin=program_admin, findings={}, attest=False)
    engagement.periods.add(later)
    finding_record(
        engagement,
        item_of(draft, "tiny.p1.m3"),
        FindingKind.OBSERVATION,
        by=auditor,
        description="Draft only.",
    )
    attestation = attestation_sign(engagement, by=auditor)
    body = client.get(_url(attestation.pk)).content.decode()
    assert "Draft only." not in body


def test_the_page_answers_only_get_and_head(client, attested):
    assert client.post(_url(attested[1].pk)).status_code == 405
