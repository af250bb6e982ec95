"""Whatever text a report, an audit or a framework holds (Unicode of every kind, line and paragraph
separators, control characters, HTML, Markdown nested thousands deep, polyglots), the OSCAL files
stay JSON that trestle accepts, and the text reaches them unchanged where OSCAL takes free text."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audits.models import Engagement, Finding
from commitments.models import Framework, FrameworkNode
from reports.models import Publication
from reports.oscal.catalogs import catalog
from reports.oscal.common import to_bytes
from reports.oscal.components import NO_NARRATIVE, component_definition
from reports.oscal.documents import assessment_results_file_name, engagement_documents
from tests.hostile_text import storable_markdown
from tests.reports.oscal.oscal_checks import validated

pytestmark = pytest.mark.django_db

POLYGLOTS = [
    '<script>alert(1)</script>"}]},{"uuid":"x',
    "jaVasCript:/*-/*`/*\\`/*'/*\"/**/(/* */oNcliCk=alert() )//%0D%0A%0d%0a//</stYle/</titLe/</teXtarEa/"
    "</scRipt/--!>\\x3csVg/<sVg/oNloAd=alert()//>\\x3e",
    '=HYPERLINK("https://example.test")',
    "\u2028\u2029\u0085\u00a0\u1680\u3000\ufeff\u200b\u202e",
    "\r\n\r\n\t\x0b\x0c\x1c\x1d\x1e\x1f",
    "💥" * 500,
    "a" * 100_000,
    "",
    "   ",
]
# What a database column can hold: PostgreSQL text refuses NUL.
hostile = st.one_of(storable_markdown, st.sampled_from(POLYGLOTS), st.text(max_size=200)).map(
    lambda text: text.replace("\x00", "")
)
# Names go into CharFields, which PostgreSQL holds to their length (the shortest: a node's code).
NAME_LENGTH = 20


def expected_prose(text, fallback):
    return text.strip() if text.strip() else fallback


@settings(max_examples=40)
@given(text=hostile, name=hostile)
def test_a_component_definition_takes_any_narrative_title_and_name(acme, text, name):
    publication = Publication.objects.select_related("report__organisation", "report__period__framework").get(
        report=acme
    )
    published = json.loads(publication.snapshot)
    for item in published["items"]:
        item["narrative"] = text
        item["areas_needing_progress"] = text
        item["company_responses"] = [text, name]
        for metric in item["metrics"]:
            metric["data_source"] = text
        for evidence in item["evidence"]:
            if evidence["visibility"] == "public":
                evidence["title"] = name
    publication.snapshot = json.dumps(published)  # in memory only: a publication never changes
    publication.report.organisation.name = name

    content = to_bytes(
        component_definition([publication], catalog_href="catalog.json", subject="hostile", title=name)
    )

    validated(content)
    body = json.loads(content)["component-definition"]
    requirement = body["components"][0]["control-implementations"][0]["implemented-requirements"][0]
    assert requirement["description"] == expected_prose(text, NO_NARRATIVE)


@settings(max_examples=25)
@given(text=hostile, name=hostile)
def test_assessment_results_take_any_finding_statement_and_auditor_name(attested, auditor, text, name):
    engagement, attestation = attested
    name = name[:NAME_LENGTH]
    Finding.objects.filter(engagement=engagement).update(description=text, company_response=name)
    Engagement.objects.filter(pk=engagement.pk).update(title=name, scope_statement=text, firm=name)
    auditor.full_name = name
    auditor.save(update_fields=["full_name"])

    content = engagement_documents(engagement)[assessment_results_file_name(engagement)]

    validated(content)
    [result] = json.loads(content)["assessment-results"]["results"]
    assert result["description"] == expected_prose(text, "No scope statement was given.")
    assert {f["description"] for f in result["findings"]} <= {
        text.strip(),
        "Conforms",
        "Nonconformity",
        "Observation",
    }


@settings(max_examples=25)
@given(text=hostile, name=hostile)
def test_a_catalog_takes_any_framework_text(framework, text, name):
    name = name[:NAME_LENGTH]
    Framework.objects.filter(pk=framework.pk).update(title=name, publisher=name, source_note=text)
    FrameworkNode.objects.filter(framework=framework).update(
        title=name, description=text, verification_criteria=text, evidence_expected=text, code=name
    )
    framework.refresh_from_db()

    content = to_bytes(catalog(framework))

    validated(content)
    control = json.loads(content)["catalog"]["groups"][0]["controls"][0]
    [statement] = [p for p in control["parts"] if p["name"] == "statement"]
    assert statement["prose"] in (text.strip(), name)
