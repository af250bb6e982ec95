"""manage.py audit_bundle (--engagement ID | --report ID) --out DIR builds the same ZIP as the job,
and tools/verify_bundle.py accepts it."""

import json
import zipfile
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.bundles.bundle_world import OTHER_FIRM_WORDS, bundle_world
from tests.reports.oscal.oscal_checks import validated
from tools.verify_bundle import verify_bundle

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, signing_key):
    with bundle_world(django_db_blocker) as built:
        yield built


def _run(*args) -> str:
    out = StringIO()
    call_command("audit_bundle", *map(str, args), stdout=out)
    return out.getvalue()


def _zip(folder):
    [path] = list(folder.glob("*.zip"))
    return path


def test_an_engagements_bundle_is_written_and_verifies(world, tmp_path):
    output = _run("--engagement", world.engagement.pk, "--out", tmp_path / "out")

    path = _zip(tmp_path / "out")
    assert str(path) in output
    assert "python tools/verify_bundle.py" in output
    with zipfile.ZipFile(path) as archive:
        assert f": {len(archive.namelist())} files," in output
    result = verify_bundle(path)
    assert result.ok, [c for c in result.checks if not c.ok]
    assert [r["reference"] for r in result.scope["reports"]] == [world.report.reference]


def test_a_reports_bundle_is_written_and_withholds_every_engagements_work(world, tmp_path):
    _run("--report", world.report.pk, "--out", tmp_path)

    path = _zip(tmp_path)
    assert verify_bundle(path).ok
    with zipfile.ZipFile(path) as archive:
        entries = archive.read("ledger/entries.jsonl").decode()
    assert OTHER_FIRM_WORDS not in entries
    assert "The escalation log is kept as described." not in entries


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--engagement", 987654], "No audit engagement has the id 987654."),
        (["--report", 987654], "No report has the id 987654."),
    ],
)
def test_an_unknown_id_is_an_error(tmp_path, args, message):
    with pytest.raises(CommandError, match=message):
        _run(*args, "--out", tmp_path)


def test_it_takes_one_of_engagement_or_report(tmp_path):
    with pytest.raises(CommandError):
        _run("--out", tmp_path)
    with pytest.raises(CommandError):
        _run("--engagement", 1, "--report", 1, "--out", tmp_path)


def test_the_bundle_carries_valid_oscal_naming_its_evidence_files_by_hash(world, tmp_path):
    _run("--engagement", world.engagement.pk, "--out", tmp_path)

    with zipfile.ZipFile(_zip(tmp_path)) as archive:
        names = archive.namelist()
        oscal = {name: archive.read(name) for name in names if name.startswith("oscal/")}
    evidence_files = {name.removeprefix("evidence/") for name in names if name.startswith("evidence/")}

    kinds = sorted(name.split("/")[1].split("-")[0] for name in oscal)
    assert kinds == ["catalog", "component"]  # no assessment-results: the engagement is not attested
    hashes = set()
    for content in oscal.values():
        validated(content)
        for resource in (
            json.loads(content).get("component-definition", {}).get("back-matter", {}).get("resources", [])
        ):
            hashes |= {h["value"] for r in resource.get("rlinks", []) for h in r.get("hashes", [])}
    assert hashes and hashes <= evidence_files
