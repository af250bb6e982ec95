"""What the public pages show of an audit: nothing before attestation; after it, items found to
conform as independently audited (with who, the opinion, the date and a link to the attestation),
observations and nonconformities as such with the company's response; only in scope."""

import pytest
from django.urls import reverse

from commitments.vocabulary import AssuranceLevel, FindingKind, Opinion
from tests.audits.public_builders import attestation_sign, audited, finding_record, item_of
from tests.builders import period_for
from tests.reports.public_builders import committed_org, published

pytestmark = pytest.mark.django_db

AUDITED = AssuranceLevel.INDEPENDENTLY_AUDITED.label
FIRM = "Harbourside Assurance LLP"
CONFORMS_M1 = {"tiny.p1.m1": FindingKind.CONFORMS}


@pytest.fixture
def year(framework):
    return period_for(framework, label="2025", year=2025)


@pytest.fixture
def acme(framework, year, reviewer, program_admin):
    org = committed_org(framework, "Acme Labs")
    verdicts = ["verified", "partially_verified", "verified"]
    return published(org, year, reviewer=reviewer, admin=program_admin, verdicts=verdicts)


def _item(node="tiny.p1.m1", slug="acme-labs", period="2025"):
    return reverse("public:item", args=[slug, "tiny", period, node])


def _get(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def _report_levels(client):
    page = client.get(reverse("public:report", args=["acme-labs", "tiny", "2025"])).context["page"]
    return [row.level for group in page.groups for row in group.items]


def _matrix_cells(client, principle=True, period="2025"):
    url = reverse("home") + f"?period={period}" + ("&principle=tiny.p1" if principle else "")
    matrix = client.get(url).context["m"]
    return {row.organisation.slug: row.cells for row in matrix.rows}


def test_before_attestation_nothing_of_the_audit_shows(client, acme, auditor, program_admin):
    audited(
        acme,
        auditor=auditor,
        admin=program_admin,
        findings={
            "tiny.p1.m1": FindingKind.CONFORMS,
            "tiny.p1.m2": (FindingKind.NONCONFORMITY, "We fix it."),
        },
        attest=False,
    )
    body = _get(client, _item())
    assert "Reviewer-verified" in body
    assert "Independent audit" not in body and FIRM not in body
    assert "We fix it." not in _get(client, _item("tiny.p1.m2"))
    cells = _matrix_cells(client)["acme-labs"]
    assert [c.level for c in cells] == [
        AssuranceLevel.REVIEWER_VERIFIED,
        AssuranceLevel.SELF_REPORTED,
        AssuranceLevel.REVIEWER_VERIFIED,
    ]
    assert AssuranceLevel.INDEPENDENTLY_AUDITED not in _report_levels(client)


def test_after_attestation_an_item_found_to_conform_is_independently_audited(
    client, acme, auditor, program_admin
):
    auditor.full_name = "Dana Whitfield"
    auditor.save()
    _engagement, attestation = audited(
        acme,
        auditor=auditor,
        admin=program_admin,
        findings={"tiny.p1.m1": FindingKind.CONFORMS},
        opinion=Opinion.QUALIFIED,
    )
    body = _get(client, _item())
    assert AUDITED in body
    assert "Dana Whitfield (Harbourside Assurance LLP)" in body
    assert Opinion.QUALIFIED.label in body
    assert "31 Mar 2026" in body
    assert reverse("audits:public_attestation", args=[attestation.pk]) in body
    assert FindingKind.CONFORMS.public in body

    cells = _matrix_cells(client)["acme-labs"]
    assert cells[0].level == AssuranceLevel.INDEPENDENTLY_AUDITED
    assert cells[1].level == AssuranceLevel.SELF_REPORTED
    assert _report_levels(client)[0] == AssuranceLevel.INDEPENDENTLY_AUDITED
    assert "1 audited" in _get(client, reverse("public:report", args=["acme-labs", "tiny", "2025"]))
    assert "1 audited" in _get(client, reverse("public:organisation", args=["acme-labs"]))


def test_a_principle_whose_every_item_conforms_is_independently_audited(client, acme, auditor, program_admin):
    audited(
        acme,
        auditor=auditor,
        admin=program_admin,
        findings={f"tiny.p1.m{n}": FindingKind.CONFORMS for n in (1, 2, 3)},
    )
    [cell] = _matrix_cells(client, principle=False)["acme-labs"]
    assert cell.level == AssuranceLevel.INDEPENDENTLY_AUDITED
    assert "3 audited" in cell.text


def test_observations_and_nonconformities_show_as_such_beside_the_company_response(
    client, acme, auditor, program_admin
):
    audited(
        acme,
        auditor=auditor,
        admin=program_admin,
        findings={
            "tiny.p1.m1": (FindingKind.OBSERVATION, "We will add the quarterly review."),
            "tiny.p1.m2": (FindingKind.NONCONFORMITY, "Corrected <b>in March</b>."),
        },
    )
    first = _get(client, _item("tiny.p1.m1"))
    assert FindingKind.OBSERVATION.public in first
    assert "We will add the quarterly review." in first
    assert "Reviewer-verified" in first and AUDITED + "</span>" not in first

    second = _get(client, _item("tiny.p1.m2"))
    assert FindingKind.NONCONFORMITY.public in second
    assert "Nonconformity on tiny.p1.m2." in second
    assert "Corrected &lt;b&gt;in March&lt;/b&gt;." in second
    assert "Self-reported" in second

    cells = _matrix_cells(client)["acme-labs"]
    assert [c.level for c in cells[:2]] == [AssuranceLevel.REVIEWER_VERIFIED, AssuranceLevel.SELF_REPORTED]
    matrix = _get(client, reverse("home") + "?period=2025&principle=tiny.p1")
    assert FindingKind.NONCONFORMITY.label in matrix and FindingKind.OBSERVATION.label in matrix
    report_page = _get(client, reverse("public:report", args=["acme-labs", "tiny", "2025"]))
    assert f'class="badge {FindingKind.NONCONFORMITY.badge}">{FindingKind.NONCONFORMITY.label}' in report_page


def test_a_corrected_attestation_shows_the_current_one(client, acme, auditor, program_admin):
    engagement, first = audited(
        acme, auditor=auditor, admin=program_admin, findings={"tiny.p1.m1": FindingKind.CONFORMS}
    )
    correction = attestation_sign(
        engagement,
        by=auditor,
        opinion=Opinion.ADVERSE,
        corrects=first,
        correction_reason="The sample missed two quarters.",
    )
    body = _get(client, _item())
    assert reverse("audits:public_attestation", args=[correction.pk]) in body
    assert reverse("audits:public_attestation", args=[first.pk]) not in body
    assert Opinion.ADVERSE.label in body


def test_items_outside_the_engagement_scope_are_not_marked(
    client, framework, year, acme, auditor, program_admin, reviewer
):
    other = committed_org(framework, "Bluefin Labs")
    other_report = published(other, year, reviewer=reviewer, admin=program_admin)
    earlier = period_for(framework, label="2024", year=2024)
    earlier_report = published(acme.organisation, earlier, reviewer=reviewer, admin=program_admin)
    # The engagement covers Acme's 2025 report only, yet (wrongly) holds findings on the other
    # organisation's and the other period's items: they must not reach the public.
    engagement, _ = audited(acme, auditor=auditor, admin=program_admin, findings=CONFORMS_M1, attest=False)
    finding_record(engagement, item_of(other_report, "tiny.p1.m1"), by=auditor)
    finding_record(engagement, item_of(earlier_report, "tiny.p1.m1"), by=auditor)
    attestation = attestation_sign(engagement, by=auditor)

    assert AUDITED + "</span>" in _get(client, _item())
    assert _matrix_cells(client)["bluefin-labs"][0].level == AssuranceLevel.REVIEWER_VERIFIED
    assert _matrix_cells(client, period="2024")["acme-labs"][0].level == AssuranceLevel.REVIEWER_VERIFIED
    for url in (_item(slug="bluefin-labs"), _item(period="2024")):
        body = _get(client, url)
        assert "Independent audit" not in body and FIRM not in body
    page = _get(client, reverse("audits:public_attestation", args=[attestation.pk]))
    assert "Bluefin Labs" not in page
    assert page.count("tiny.p1.m1") == 1 or page.count("Mitigation 1") == 1


def test_a_page_cached_before_the_attestation_shows_it_after(
    client, acme, auditor, program_admin, django_capture_on_commit_callbacks
):
    engagement, _ = audited(acme, auditor=auditor, admin=program_admin, findings=CONFORMS_M1, attest=False)
    assert AUDITED + "</span>" not in _get(client, _item())
    with django_capture_on_commit_callbacks(execute=True):
        attestation_sign(engagement, by=auditor)
    assert AUDITED + "</span>" in _get(client, _item())
