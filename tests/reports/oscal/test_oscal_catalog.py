"""The frameworks as OSCAL catalogs: groups for the grouping levels, controls for the mitigations."""

import io

import pytest
from django.core.management import call_command

from commitments.models import Framework, FrameworkNode
from reports.oscal.catalogs import catalog, statement_id
from reports.oscal.common import to_bytes
from tests.reports.oscal.conftest import prop_values
from tests.reports.oscal.oscal_checks import validated

pytestmark = pytest.mark.django_db


@pytest.fixture
def frameworks(db):
    call_command("load_frameworks", stdout=io.StringIO())
    return list(Framework.objects.order_by("key", "version"))


def controls_of(group_or_catalog):
    found = list(group_or_catalog.get("controls", []))
    for group in group_or_catalog.get("groups", []):
        found += controls_of(group)
    return found


def test_every_framework_in_the_repository_is_a_catalog_trestle_accepts(frameworks):
    assert len(frameworks) >= 4
    for framework in frameworks:
        model = validated(to_bytes(catalog(framework)))
        assert model.metadata.version == framework.version


def test_phases_and_principles_are_groups_and_every_mitigation_a_control(frameworks):
    sbd = next(f for f in frameworks if f.key == "sbd")
    body = catalog(sbd)["catalog"]

    phases = FrameworkNode.objects.filter(framework=sbd, kind="phase").order_by("position")
    assert [g["id"] for g in body["groups"]] == [p.node_id for p in phases]
    assert {g["class"] for g in body["groups"]} == {"phase"}
    develop = body["groups"][0]
    principles = FrameworkNode.objects.filter(parent__node_id=develop["id"], framework=sbd).order_by(
        "position"
    )
    assert [g["id"] for g in develop["groups"]] == [p.node_id for p in principles]
    assert {g["class"] for g in develop["groups"]} == {"principle"}
    mitigations = FrameworkNode.objects.filter(framework=sbd, reportable=True)
    assert sorted(c["id"] for c in controls_of(body)) == sorted(m.node_id for m in mitigations)
    assert {c["class"] for c in controls_of(body)} == {"mitigation"}


def test_a_control_carries_its_text_and_the_verification_guidance_as_parts(frameworks):
    sbd = next(f for f in frameworks if f.key == "sbd")
    node = (
        FrameworkNode.objects.filter(framework=sbd, reportable=True).exclude(verification_criteria="").first()
    )
    control = next(c for c in controls_of(catalog(sbd)["catalog"]) if c["id"] == node.node_id)
    parts = {part["name"]: part for part in control["parts"]}

    assert parts["statement"]["id"] == statement_id(node.node_id)
    assert parts["statement"]["prose"] == node.description.strip()
    assert parts["assessment-objective"]["prose"] == node.verification_criteria.strip()
    if node.evidence_expected:
        assert parts["assessment-method"]["prose"] == node.evidence_expected.strip()
        assert prop_values(parts["assessment-method"], "method") == ["EXAMINE"]
    assert control["title"] == node.title
    assert prop_values(control, "label") == [node.code]


def test_a_metric_definition_is_a_property_of_its_control(framework):
    body = catalog(framework)["catalog"]
    [principle] = body["groups"]
    first = principle["controls"][0]

    assert [c["id"] for c in principle["controls"]] == ["tiny.p1.m1", "tiny.p1.m2", "tiny.p1.m3"]
    [metric] = [p for p in first["props"] if p["name"] == "metric-definition"]
    assert (metric["value"], metric["class"]) == ("reports", "count")
    assert metric["remarks"].startswith("Reports made (count); required")
    validated(to_bytes({"catalog": body}))
