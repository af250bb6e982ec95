"""The loader's specification, from a valid file through every rule it enforces.

Why ~590 lines: one specification of one loader; hostile files are in
test_framework_files_hostile.py.
"""

import datetime
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from commitments.models import (
    CrosswalkLink,
    Framework,
    FrameworkNode,
    LedgerEntry,
    MetricDefinition,
    MetricUnit,
    ProgressReport,
    ReportingPeriod,
)
from commitments.services.frameworks import SCHEMA_PATH, framework_definitions_read, frameworks_load_all
from tests.commitments.framework_fixtures import definition_write, fixture_definition, node
from tests.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


def load(directory: Path | None = None) -> tuple[str, str]:
    """Run load_frameworks and return what it printed to stdout and stderr."""
    out, err = StringIO(), StringIO()
    options = {"directory": directory} if directory is not None else {}
    call_command("load_frameworks", stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def load_refused(directory: Path) -> tuple[str, str]:
    """Run load_frameworks expecting a refusal; return the error message and stderr."""
    err = StringIO()
    with pytest.raises(CommandError) as refusal:
        call_command("load_frameworks", directory=directory, stdout=StringIO(), stderr=err)
    return str(refusal.value), err.getvalue()


def row_counts() -> dict[str, int]:
    models = (Framework, FrameworkNode, MetricDefinition, CrosswalkLink, LedgerEntry)
    return {model.__name__: model.objects.count() for model in models}


def freeze(framework: Framework) -> None:
    """Make a progress report use the framework, as a real reporting cycle would."""
    period = ReportingPeriod.objects.create(
        framework=framework,
        label="2025",
        starts_on=datetime.date(2025, 1, 1),
        ends_on=datetime.date(2025, 12, 31),
        due_on=datetime.date(2026, 3, 31),
    )
    ProgressReport.objects.create(organisation=OrganisationFactory(), period=period, created_by=UserFactory())


# --------------------------------------------------------------------------- shipped frameworks


def test_it_loads_the_shipped_frameworks():
    out, _ = load()

    assert "sbd v2024.1: created (33 nodes, 21 items)" in out
    assert "min-aigcsam v2024.1: created (5 nodes, 5 items)" in out
    assert "wh-2023 v2023.1: created (8 nodes, 8 items)" in out
    assert "seoul-fasc v2024.1: created (11 nodes, 8 items)" in out
    sbd = Framework.objects.get(key="sbd", version="2024.1")
    assert sbd.levels == ["phase", "principle", "mitigation"]
    assert sbd.publisher == "Thorn and All Tech Is Human"
    assert sbd.published_on == datetime.date(2024, 4, 23)
    kinds = [node.kind for node in sbd.nodes.all()]
    assert (kinds.count("phase"), kinds.count("principle"), kinds.count("mitigation")) == (3, 9, 21)
    assert [n.node_id for n in sbd.nodes.filter(depth=0)] == ["sbd.develop", "sbd.deploy", "sbd.maintain"]
    assert sbd.nodes.get(node_id="sbd.develop.1.m1").parent.node_id == "sbd.develop.1"


def test_every_reportable_item_carries_guidance_for_reporters_and_reviewers():
    load()

    items = FrameworkNode.objects.filter(reportable=True)
    assert items.count() == 21 + 5 + 8 + 8
    for item in items:
        assert item.evidence_expected and item.verification_criteria and item.example_disclosure, item.node_id
    assert not FrameworkNode.objects.filter(reportable=False).exclude(evidence_expected="").exists()


def test_sbd_items_carry_the_metrics_of_the_reference_table():
    load()

    metrics = MetricDefinition.objects.filter(node__framework__key="sbd")
    by_key = {metric.key: metric for metric in metrics.select_related("node")}
    assert by_key["ncmec_reports"].node.node_id == "sbd.maintain.9.m19"
    assert by_key["mean_time_to_action_hours"].unit == MetricUnit.HOURS
    assert by_key["outputs_with_provenance_pct"].unit == MetricUnit.PERCENT
    assert by_key["training_data_ncmec_reports"].node.node_id == "sbd.develop.1.m2"
    ncmec_counts = MetricDefinition.objects.filter(name__icontains="NCMEC")
    assert ncmec_counts.count() == 3
    assert all(metric.requires_data_source for metric in ncmec_counts)
    with_metrics = set(metrics.values_list("node__code", flat=True))
    assert with_metrics == {"M2", "M5", "M6", "M7", "M8", "M9", "M13", "M15", "M19"}


def test_it_marks_the_lines_the_reference_could_not_confirm():
    load()

    unconfirmed = FrameworkNode.objects.filter(framework__key="sbd", unconfirmed=True)
    assert set(unconfirmed.values_list("node_id", flat=True)) == {
        "sbd.develop.1",
        "sbd.deploy.5",
        "sbd.deploy.6",
        "sbd.maintain.7",
    }


def test_m4_sits_under_principle_1_and_says_it_also_serves_principle_2():
    load()

    m4 = FrameworkNode.objects.get(node_id="sbd.develop.1.m4")
    assert "principles 1 and 2" in m4.description


def test_the_minimum_commitments_link_into_sbd():
    load()

    links = CrosswalkLink.objects.filter(source__framework__key="min-aigcsam").select_related(
        "source", "target"
    )
    targets: dict[str, set[str]] = {}
    for link in links:
        targets.setdefault(link.source.node_id, set()).add(link.target.node_id.rsplit(".", 1)[1])
    assert targets == {
        "min-aigcsam.c1": {"m1", "m2", "m20"},
        "min-aigcsam.c2": {"m6", "m16"},
        "min-aigcsam.c3": {"m13", "m15"},
        "min-aigcsam.c4": {"m15", "m18", "m19"},
        "min-aigcsam.c5": {"m15"},
    }
    assert all(link.target.framework.key == "sbd" for link in links)


def test_provenance_and_red_teaming_are_crosswalked_across_frameworks():
    load()

    pairs = set(CrosswalkLink.objects.values_list("source__node_id", "target__node_id"))
    assert ("wh-2023.5", "sbd.develop.3.m6") in pairs
    assert ("wh-2023.1", "sbd.develop.2.m5") in pairs
    assert ("seoul-fasc.1.i", "sbd.develop.2.m5") in pairs
    assert ("seoul-fasc.1.i", "wh-2023.1") in pairs


def test_it_loads_crosswalk_targets_before_the_frameworks_that_link_to_them():
    order = [definition.ref for definition in framework_definitions_read()]

    assert order.index(("sbd", "2024.1")) < order.index(("min-aigcsam", "2024.1"))
    assert order.index(("wh-2023", "2023.1")) < order.index(("seoul-fasc", "2024.1"))


def test_it_records_each_load_in_the_ledger():
    admin = UserFactory()

    frameworks_load_all(acting_user=admin)

    entries = LedgerEntry.objects.filter(event="framework.loaded").order_by("sequence")
    assert entries.count() == 4
    data = json.loads(entries.first().payload)["data"]
    sbd = Framework.objects.get(key="sbd")
    assert data == {
        "key": "sbd",
        "version": "2024.1",
        "content_sha256": sbd.content_sha256,
        "action": "created",
        "node_count": 33,
    }
    assert {entry.actor_id for entry in entries} == {admin.pk}
    assert entries.first().subject_id == str(sbd.pk)


# --------------------------------------------------------------------------- idempotency


def test_a_second_run_changes_nothing():
    load()
    before = row_counts()
    loaded_at = dict(Framework.objects.values_list("key", "loaded_at"))

    out, _ = load()

    assert out.count(": unchanged (") == 4
    assert "created" not in out and "updated" not in out
    assert out.rstrip().endswith("Nothing changed.")
    assert row_counts() == before
    assert dict(Framework.objects.values_list("key", "loaded_at")) == loaded_at


def test_reformatting_a_file_without_changing_its_content_changes_nothing(tmp_path):
    data = fixture_definition("tiny-1.0")
    definition_write(tmp_path, data)
    load(tmp_path)
    before = row_counts()

    path = tmp_path / "tiny-1.0.yaml"
    path.write_text("# A comment and another key order.\n" + json.dumps(data, sort_keys=True, indent=4))
    out, _ = load(tmp_path)

    assert "tiny v1.0: unchanged" in out
    assert row_counts() == before


# --------------------------------------------------------------------------- validation


def _set(node_id: str, field: str, value):
    def change(data):
        node(data, node_id)[field] = value

    return change


def _drop(node_id: str, field: str):
    def change(data):
        del node(data, node_id)[field]

    return change


def _append(item: dict):
    def change(data):
        data["nodes"].append(item)

    return change


def _set_metric(field: str, value):
    def change(data):
        node(data, "tiny.a.x1")["metrics"][0][field] = value

    return change


GUIDANCE = {
    "evidence_expected": "A record.",
    "verification_criteria": "The record is dated.",
    "example_disclosure": "The record is attached.",
}
METRIC = {
    "key": "reports_made",
    "name": "Reports made",
    "unit": "count",
    "description": "Reports.",
    "required": True,
    "requires_data_source": True,
}


@pytest.mark.parametrize(
    ("change", "node_id", "problem"),
    [
        pytest.param(
            _append({"id": "tiny.a.x1", "parent": "tiny.a", "title": "Again", **GUIDANCE}),
            "tiny.a.x1",
            "duplicate node id",
            id="duplicate-id",
        ),
        pytest.param(_drop("tiny.a.x2", "title"), "tiny.a.x2", "missing title", id="missing-title"),
        pytest.param(
            _set("tiny.a.x2", "title", "  "),
            "tiny.a.x2",
            "title: '  ' is not valid: must not be blank",
            id="blank-title",
        ),
        pytest.param(
            _append({"id": "tiny.c.z1", "parent": "tiny.c", "title": "Orphan", **GUIDANCE}),
            "tiny.c.z1",
            "unknown parent 'tiny.c'",
            id="unknown-parent",
        ),
        pytest.param(
            _append({"id": "tiny.z", "parent": "tiny.a.x1", "title": "Too deep", **GUIDANCE}),
            "tiny.z",
            "id must start with its parent's id 'tiny.a.x1.'",
            id="id-not-prefixed-by-parent",
        ),
        pytest.param(
            _append({"id": "other.c", "title": "Wrong root"}),
            "other.c",
            "id must start with the framework key 'tiny.'",
            id="root-not-prefixed-by-key",
        ),
        pytest.param(
            _append({"id": "tiny.a.x1.deep", "parent": "tiny.a.x1", "title": "Too deep", **GUIDANCE}),
            "tiny.a.x1",
            "is on the reportable level 'item' and cannot have children (tiny.a.x1.deep)",
            id="reportable-level-with-children",
        ),
        pytest.param(
            _append({"id": "tiny.c", "title": "Empty area"}),
            "tiny.c",
            "is on level 'area' but has no children",
            id="group-without-children",
        ),
        pytest.param(
            _drop("tiny.b.y1", "verification_criteria"),
            "tiny.b.y1",
            "missing verification_criteria",
            id="item-without-verification-criteria",
        ),
        pytest.param(
            _set("tiny.a", "metrics", [METRIC | {"key": "area_metric"}]),
            "tiny.a",
            "metrics is only for reportable 'item' nodes, not for level 'area'",
            id="metrics-on-a-group",
        ),
        pytest.param(
            _set_metric("unit", "kg"),
            "tiny.a.x1",
            "metrics[0].unit: 'kg' is not one of count, percent, hours, days",
            id="bad-metric-unit",
        ),
        pytest.param(
            _set("tiny.b.y1", "metrics", [METRIC]),
            "tiny.b.y1",
            "metrics[0]: key 'reports_made' is already used by tiny.a.x1",
            id="duplicate-metric-key",
        ),
        pytest.param(
            _set("tiny.b.y1", "metrics", [METRIC | {"key": "ncmec", "requires_data_source": False}]),
            "tiny.b.y1",
            "a count of reports to NCMEC must set requires_data_source: true",
            id="ncmec-count-without-data-source",
        ),
        pytest.param(
            _set("tiny.a.x2", "crosswalk", [{"framework": "tiny", "version": "1.0", "nodes": ["tiny.a.x9"]}]),
            "tiny.a.x2",
            "unknown crosswalk target node 'tiny.a.x9' in tiny 1.0",
            id="unknown-crosswalk-node",
        ),
        pytest.param(
            _set("tiny.a.x2", "crosswalk", [{"framework": "nope", "version": "1.0", "nodes": ["nope.1"]}]),
            "tiny.a.x2",
            "unknown crosswalk target framework nope 1.0",
            id="unknown-crosswalk-framework",
        ),
        pytest.param(
            _set(
                "tiny.a.x2",
                "crosswalk",
                [{"framework": "tiny", "version": "1.0", "nodes": ["tiny.a.x1", "tiny.a.x1"]}],
            ),
            "tiny.a.x2",
            "crosswalk lists tiny 1.0 node 'tiny.a.x1' twice",
            id="crosswalk-target-twice",
        ),
        pytest.param(
            _set("tiny.a.x2", "evidence", "typo"),
            "tiny.a.x2",
            "Additional properties are not allowed ('evidence' was unexpected)",
            id="unknown-field",
        ),
    ],
)
def test_it_refuses_a_broken_definition_naming_file_node_and_problem(tmp_path, change, node_id, problem):
    data = fixture_definition("tiny-1.0")
    change(data)
    path = definition_write(tmp_path, data)

    message, stderr = load_refused(tmp_path)

    node_lines = [line for line in stderr.splitlines() if line.startswith(f"{path}: {node_id}: ")]
    assert any(problem in line for line in node_lines), stderr
    assert "nothing was loaded" in message
    assert Framework.objects.count() == 0


def test_it_refuses_a_parent_listed_after_its_children(tmp_path):
    data = fixture_definition("tiny-1.0")
    data["nodes"].append(data["nodes"].pop(0))  # tiny.a moves behind its items
    path = definition_write(tmp_path, data)

    _, stderr = load_refused(tmp_path)

    assert f"{path}: tiny.a.x1: parent 'tiny.a' must be listed before its children" in stderr


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        pytest.param(
            "key: tiny\nversion: 1.0\n", "version: 1.0 is not of type 'string'", id="unquoted-version"
        ),
        pytest.param(
            "key: tiny\nkey: other\n",
            "not valid YAML at line 2, column 1: key 'key' appears twice",
            id="repeated-yaml-key",
        ),
        pytest.param("key: [tiny\n", "not valid YAML", id="broken-yaml"),
        pytest.param("- just\n- a list\n", "not a mapping", id="not-a-mapping"),
        pytest.param("key: tiny\n", "missing levels", id="missing-top-level-field"),
    ],
)
def test_it_refuses_a_broken_file_naming_the_problem(tmp_path, text, problem):
    path = tmp_path / "broken.yaml"
    path.write_text(text)

    _, stderr = load_refused(tmp_path)

    assert any(line.startswith(f"{path}: ") and problem in line for line in stderr.splitlines()), stderr


def test_it_reports_every_problem_of_a_file_at_once(tmp_path):
    data = fixture_definition("tiny-1.0")
    del node(data, "tiny.a.x2")["title"]
    node(data, "tiny.a.x1")["metrics"][0]["unit"] = "kg"
    node(data, "tiny.b.y1")["parent"] = "tiny.nowhere"
    data["levels"] = ["area", "area"]
    definition_write(tmp_path, data)

    message, stderr = load_refused(tmp_path)

    assert "tiny.a.x2: missing title" in stderr
    assert "tiny.a.x1: metrics[0].unit: 'kg'" in stderr
    assert "tiny.b.y1: unknown parent 'tiny.nowhere'" in stderr
    assert "levels: 'area' appears more than once" in stderr
    assert message.startswith(f"{len(stderr.splitlines())} problem(s) in 1 framework file(s)")


def test_it_loads_nothing_when_any_file_has_a_problem(tmp_path):
    definition_write(tmp_path, fixture_definition("tiny-1.0"))
    broken = fixture_definition("tiny-links-1.0")
    del broken["nodes"][0]["title"]
    definition_write(tmp_path, broken)

    message, stderr = load_refused(tmp_path)

    assert "tiny-links-1.0.yaml: tiny-links.1: missing title" in stderr
    assert "tiny-1.0.yaml" not in stderr
    assert not any(row_counts().values())


def test_it_refuses_two_files_defining_the_same_version(tmp_path):
    definition_write(tmp_path, fixture_definition("tiny-1.0"))
    copy = definition_write(tmp_path, fixture_definition("tiny-1.0"), name="tiny-copy")

    _, stderr = load_refused(tmp_path)

    assert f"{copy}: tiny 1.0 is already defined in {tmp_path / 'tiny-1.0.yaml'}" in stderr


def test_it_refuses_frameworks_that_link_to_each_other_in_a_cycle(tmp_path):
    tiny = fixture_definition("tiny-1.0")
    node(tiny, "tiny.b.y1")["crosswalk"] = [
        {"framework": "tiny-links", "version": "1.0", "nodes": ["tiny-links.1"]}
    ]
    definition_write(tmp_path, tiny)
    definition_write(tmp_path, fixture_definition("tiny-links-1.0"))

    _, stderr = load_refused(tmp_path)

    assert "crosswalk targets form a cycle" in stderr
    assert Framework.objects.count() == 0


def test_it_refuses_a_directory_without_framework_files(tmp_path):
    message, _ = load_refused(tmp_path)

    assert message == f"No framework files (*.yaml) in {tmp_path}."


def test_the_schema_allows_exactly_the_metric_units_of_the_model():
    schema = json.loads(SCHEMA_PATH.read_text())

    assert schema["$defs"]["metric"]["properties"]["unit"]["enum"] == MetricUnit.values


# --------------------------------------------------------------------------- changes


def test_it_updates_a_version_that_no_report_uses(tmp_path):
    data = fixture_definition("tiny-1.0")
    definition_write(tmp_path, data)
    load(tmp_path)
    kept = FrameworkNode.objects.get(node_id="tiny.a.x1")
    ledger_size = LedgerEntry.objects.count()

    node(data, "tiny.a.x1")["title"] = "Item one, reworded"
    node(data, "tiny.a.x1")["metrics"][0]["unit"] = "percent"
    data["nodes"] = [item for item in data["nodes"] if item["id"] != "tiny.b.y1"]
    data["nodes"].append({"id": "tiny.b.y2", "parent": "tiny.b", "title": "Item four", **GUIDANCE})
    definition_write(tmp_path, data)
    out, _ = load(tmp_path)

    assert "tiny v1.0: updated (5 nodes, 3 items)" in out
    framework = Framework.objects.get(key="tiny")
    assert list(framework.nodes.values_list("node_id", flat=True)) == [
        "tiny.a",
        "tiny.a.x1",
        "tiny.a.x2",
        "tiny.b",
        "tiny.b.y2",
    ]
    reworded = framework.nodes.get(node_id="tiny.a.x1")
    assert (reworded.pk, reworded.title) == (kept.pk, "Item one, reworded")
    assert reworded.metrics.get().unit == MetricUnit.PERCENT
    assert CrosswalkLink.objects.get().target == reworded
    entry = LedgerEntry.objects.get(sequence=ledger_size + 1)
    assert json.loads(entry.payload)["data"]["action"] == "updated"
    assert LedgerEntry.objects.count() == ledger_size + 1


def test_it_refuses_to_change_a_version_that_a_report_uses(tmp_path):
    data = fixture_definition("tiny-1.0")
    definition_write(tmp_path, data)
    load(tmp_path)
    freeze(Framework.objects.get(key="tiny"))
    before = row_counts()

    node(data, "tiny.a.x1")["title"] = "Item one, reworded"
    definition_write(tmp_path, data)
    message, _ = load_refused(tmp_path)

    assert "tiny 1.0 is used by progress reports" in message
    assert 'Publish the change as a new version (e.g. "1.1"' in message
    assert FrameworkNode.objects.get(node_id="tiny.a.x1").title == "Item one"
    assert row_counts() == before


def test_a_version_that_a_report_uses_still_reloads_when_unchanged(tmp_path):
    definition_write(tmp_path, fixture_definition("tiny-1.0"))
    load(tmp_path)
    freeze(Framework.objects.get(key="tiny"))

    out, _ = load(tmp_path)

    assert "tiny v1.0: unchanged" in out


def test_a_refusal_halfway_leaves_every_framework_as_it_was(tmp_path):
    tiny = fixture_definition("tiny-1.0")
    links = fixture_definition("tiny-links-1.0")
    definition_write(tmp_path, tiny)
    definition_write(tmp_path, links)
    load(tmp_path)
    freeze(Framework.objects.get(key="tiny-links"))

    node(tiny, "tiny.a")["title"] = "Area A, reworded"  # loads first and would succeed
    links["nodes"][0]["title"] = "Linked item, reworded"  # frozen: refused
    definition_write(tmp_path, tiny)
    definition_write(tmp_path, links)
    message, _ = load_refused(tmp_path)

    assert "tiny-links 1.0 is used by progress reports" in message
    assert FrameworkNode.objects.get(node_id="tiny.a").title == "Area A"


def test_updating_a_crosswalk_target_keeps_the_links_other_frameworks_hold(tmp_path):
    tiny = fixture_definition("tiny-1.0")
    definition_write(tmp_path, tiny)
    definition_write(tmp_path, fixture_definition("tiny-links-1.0"))
    load(tmp_path)

    node(tiny, "tiny.b.y1")["title"] = "Item three, reworded"
    definition_write(tmp_path, tiny)
    out, _ = load(tmp_path)

    assert "tiny v1.0: updated" in out and "tiny-links v1.0: unchanged" in out
    linked = CrosswalkLink.objects.filter(source__node_id="tiny-links.1").values_list(
        "target__node_id", flat=True
    )
    assert sorted(linked) == ["tiny.a.x1", "tiny.b.y1"]


def test_removing_a_node_another_framework_links_to_makes_that_framework_reload(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir(), second.mkdir()
    tiny = fixture_definition("tiny-1.0")
    definition_write(first, tiny)
    definition_write(first, fixture_definition("tiny-links-1.0"))
    load(first)

    tiny["nodes"] = [item for item in tiny["nodes"] if item["id"] != "tiny.b.y1"]
    tiny["nodes"].append({"id": "tiny.b.y2", "parent": "tiny.b", "title": "Item four", **GUIDANCE})
    definition_write(second, tiny)
    out, _ = load(second)

    assert "crosswalk links of tiny-links v1.0 to removed nodes were dropped" in out
    linked = CrosswalkLink.objects.filter(source__node_id="tiny-links.1").values_list(
        "target__node_id", flat=True
    )
    assert list(linked) == ["tiny.a.x1"]
    assert Framework.objects.get(key="tiny-links").content_sha256 == ""
