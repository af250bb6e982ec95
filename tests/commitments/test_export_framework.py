import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.commitments.framework_fixtures import definition_write, fixture_definition, node

pytestmark = pytest.mark.django_db


def export(*args: str) -> dict:
    out = StringIO()
    call_command("export_framework", *args, stdout=out)
    return json.loads(out.getvalue())


def export_refused(*args: str) -> str:
    with pytest.raises(CommandError) as refusal:
        call_command("export_framework", *args, stdout=StringIO())
    return str(refusal.value)


@pytest.fixture
def shipped_frameworks():
    call_command("load_frameworks", stdout=StringIO())


@pytest.fixture
def tiny_versions(tmp_path):
    """tiny 1.9 and 1.10: as text '1.9' sorts last, as a version 1.10 is the latest."""
    for version in ("1.9", "1.10"):
        data = fixture_definition("tiny-1.0")
        data["version"] = version
        node(data, "tiny.a")["title"] = f"Area A of {version}"
        node(data, "tiny.a.x2")["crosswalk"][0]["version"] = version
        definition_write(tmp_path, data)
    call_command("load_frameworks", directory=tmp_path, stdout=StringIO())


def test_it_prints_the_framework_as_a_json_tree(shipped_frameworks):
    exported = export("sbd")

    assert (exported["key"], exported["version"]) == ("sbd", "2024.1")
    assert exported["title"] == "Safety by Design for Generative AI: Preventing Child Sexual Abuse"
    assert exported["source"]["publisher"] == "Thorn and All Tech Is Human"
    assert exported["source"]["published_on"] == "2024-04-23"
    assert exported["source"]["url"].startswith("https://")
    assert exported["levels"] == ["phase", "principle", "mitigation"]
    phases = exported["nodes"]
    assert [phase["id"] for phase in phases] == ["sbd.develop", "sbd.deploy", "sbd.maintain"]
    assert [len(phase["children"]) for phase in phases] == [3, 3, 3]
    mitigations = [m for phase in phases for principle in phase["children"] for m in principle["children"]]
    assert [m["code"] for m in mitigations] == [f"M{n}" for n in range(1, 22)]
    assert all(m["kind"] == "mitigation" and m["reportable"] and m["children"] == [] for m in mitigations)


def test_reportable_items_carry_guidance_and_metric_definitions(shipped_frameworks):
    exported = export("sbd")

    principle_9 = exported["nodes"][2]["children"][2]
    m19 = principle_9["children"][0]
    assert m19["id"] == "sbd.maintain.9.m19"
    assert m19["verification_criteria"] and m19["evidence_expected"] and m19["example_disclosure"]
    ncmec = next(metric for metric in m19["metrics"] if metric["key"] == "ncmec_reports")
    assert ncmec == {
        "key": "ncmec_reports",
        "name": "Reports to NCMEC",
        "unit": "count",
        "description": ncmec["description"],
        "required": True,
        "requires_data_source": True,
    }
    assert principle_9["unconfirmed"] is False
    assert exported["nodes"][0]["children"][0]["unconfirmed"] is True


def test_it_lists_each_node_s_crosswalk_targets(shipped_frameworks):
    exported = export("min-aigcsam")

    c1 = exported["nodes"][0]
    assert c1["crosswalk"] == [
        {
            "framework": "sbd",
            "version": "2024.1",
            "nodes": ["sbd.develop.1.m1", "sbd.develop.1.m2", "sbd.maintain.9.m20"],
            "note": "Exclusion of high-risk sources, detection at ingestion, and annotated reporting.",
        }
    ]


def test_it_exports_the_latest_version_comparing_numbers_not_text(tiny_versions):
    exported = export("tiny")

    assert exported["version"] == "1.10"
    assert exported["nodes"][0]["title"] == "Area A of 1.10"


def test_it_exports_the_version_asked_for(tiny_versions):
    exported = export("tiny", "--version", "1.9")

    assert exported["version"] == "1.9"
    assert exported["nodes"][0]["title"] == "Area A of 1.9"


def test_its_query_count_does_not_grow_with_the_tree(shipped_frameworks, django_assert_max_num_queries):
    with django_assert_max_num_queries(5):
        export("sbd")


def test_it_names_what_is_loaded_when_the_id_is_unknown(tiny_versions):
    message = export_refused("nope")

    assert message == "No framework 'nope' is loaded. Loaded: tiny 1.9, tiny 1.10."


def test_it_names_what_is_loaded_when_the_version_is_unknown(tiny_versions):
    message = export_refused("tiny", "--version", "2.0")

    assert "No framework 'tiny 2.0' is loaded." in message
    assert "tiny 1.9" in message
