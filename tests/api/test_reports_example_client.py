"""examples/submit_report.py against a live server: the sample CSV of the demo's framework pushed as a
whole report (a draft opened, all 21 items changed in one request, its evidence files and links
uploaded, then submitted), a rerun that uploads nothing twice, and refusals shown next to the CSV
lines they are about."""

import csv
import datetime
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from api.models import TokenScope
from api.services import api_token_create
from commitments.models import (
    Commitment,
    Evidence,
    Framework,
    LedgerEntry,
    MetricValue,
    Organisation,
    ProgressReport,
    ReportingPeriod,
    ReportStatus,
)
from commitments.services.reports import report_create
from examples.submit_report import main
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db(transaction=True)

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tamarind-2026.csv"
EVIDENCE_COLUMNS = ("evidence", "evidence_title", "evidence_visibility", "evidence_date")


@pytest.fixture
def tamarind(live_server):
    call_command("load_frameworks", verbosity=0, stdout=io.StringIO())
    framework = Framework.objects.get(key="sbd")
    organisation = Organisation.objects.create(name="Tamarind Image Works", slug="tamarind")
    Commitment.objects.create(
        organisation=organisation, framework=framework, signed_on=datetime.date(2024, 4, 23), signatory="CEO"
    )
    period = ReportingPeriod.objects.create(
        framework=framework,
        label="2026",
        starts_on=datetime.date(2026, 1, 1),
        ends_on=datetime.date(2026, 12, 31),
        due_on=datetime.date(2027, 3, 31),
    )
    officer = MembershipFactory(organisation=organisation, role="officer").user
    token = api_token_create(user=officer, name="ci", scope=TokenScope.WRITE).secret
    return organisation, period, officer, token


def sample_rows() -> list[dict[str, str]]:
    with SAMPLE.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def without_evidence(rows):
    return [{name: value for name, value in row.items() if name not in EVIDENCE_COLUMNS} for row in rows]


def run(live_server, token, csv_path, *extra):
    out, err = io.StringIO(), io.StringIO()
    code = main(
        [
            str(csv_path),
            "--server",
            live_server.url,
            "--token",
            token,
            "--organisation",
            "tamarind",
            "--period",
            "2026",
            *extra,
        ],
        out=out,
        err=err,
    )
    return code, out.getvalue(), err.getvalue()


def test_the_sample_report_is_pushed_with_its_evidence_and_submitted(live_server, tamarind):
    organisation, period, officer, token = tamarind

    code, out, err = run(live_server, token, SAMPLE)

    assert (code, err) == (0, ""), out + err
    report = ProgressReport.objects.get(organisation=organisation, period=period)
    assert f"Report {report.reference} of Tamarind Image Works for 2026: opened as a draft." in out
    assert "Items: 21 changed in one request." in out
    assert "Evidence: 11 added, 0 already there." in out
    assert "is submitted (revision 1)" in out
    assert report.status == ReportStatus.SUBMITTED
    statuses = dict(report.items.values_list("node__code", "status"))
    assert statuses == {row["code"]: row["status"] for row in sample_rows()}
    reports_received = MetricValue.objects.get(item__report=report, metric__key="user_reports_received")
    assert (str(reports_received.value.normalize()), reports_received.data_source) == (
        "1204",
        "Trust & safety case system, year-end export (fictional)",
    )
    sequences = list(
        LedgerEntry.objects.filter(report_id=report.pk, event="item.updated").values_list(
            "sequence", flat=True
        )
    )
    assert len(sequences) == 21 and sequences == list(range(sequences[0], sequences[0] + 21))  # one append
    evidence = Evidence.objects.filter(item__report=report)
    assert evidence.count() == 11
    screening = evidence.get(title="Ingestion screening, 2026")
    assert (screening.kind, screening.visibility, screening.media_type) == (
        "file",
        "restricted",
        "text/markdown",
    )
    assert screening.effective_date == datetime.date(2026, 3, 1)
    assert evidence.get(item__node__code="M14").url == "https://tamarind.example/model-card"


def test_a_rerun_uploads_nothing_twice(live_server, tamarind):
    organisation, period, officer, token = tamarind
    assert run(live_server, token, SAMPLE, "--no-submit")[0] == 0

    code, out, err = run(live_server, token, SAMPLE, "--no-submit")

    assert code == 0, out + err
    assert "Evidence: 0 added, 11 already there." in out
    assert Evidence.objects.filter(item__report__organisation=organisation).count() == 11


def test_without_a_report_the_client_opens_the_draft_first(live_server, tamarind, tmp_path):
    organisation, period, officer, token = tamarind
    rows = [
        {**row, "status": "planned", "narrative": "", "evidence": ""}
        for row in without_evidence(sample_rows())
        if row["code"] in ("M1", "M10")
    ]

    code, out, err = run(live_server, token, write_csv(tmp_path / "two.csv", rows), "--no-submit")

    assert code == 0, out + err
    report = ProgressReport.objects.get(organisation=organisation, period=period)
    assert f"Report {report.reference} of Tamarind Image Works for 2026: opened as a draft." in out
    assert "Not submitted (--no-submit)." in out
    assert report.status == ReportStatus.DRAFT
    assert set(report.items.exclude(status="").values_list("node__code", flat=True)) == {"M1", "M10"}


def test_a_refused_change_is_shown_next_to_its_csv_line_and_nothing_is_saved(live_server, tamarind, tmp_path):
    organisation, period, officer, token = tamarind
    report = report_create(organisation=organisation, period=period, acting_user=officer)
    rows = without_evidence(sample_rows())
    rows[1]["narrative"] = "x" * 20_001  # M2, on line 3
    rows[7]["metric_user_reports_received"] = "many|Case system"  # M8, on line 9

    code, out, err = run(live_server, token, write_csv(tmp_path / "bad.csv", rows))

    assert code == 1
    assert "Refused (400)" in err
    assert "line 3 (M2): narrative: Text is limited to 20,000 characters" in err
    assert "line 9 (M8): metrics/user_reports_received: " in err and "'many' is not a number." in err
    assert not report.items.exclude(status="").exists()
    assert ProgressReport.objects.get(pk=report.pk).status == ReportStatus.DRAFT


def test_a_refused_submission_names_the_lines_of_the_items_in_question(live_server, tamarind, tmp_path):
    organisation, period, officer, token = tamarind
    report = report_create(organisation=organisation, period=period, acting_user=officer)
    csv_path = write_csv(tmp_path / "no-evidence.csv", without_evidence(sample_rows()))

    code, out, err = run(live_server, token, csv_path)

    assert code == 1
    assert "Items: 21 changed in one request." in out  # pushed, then not submittable
    assert "line 2 (M1): Attach at least one piece of evidence for an implemented mitigation." in err
    assert ProgressReport.objects.get(pk=report.pk).status == ReportStatus.DRAFT


def test_a_submitted_report_is_left_alone(live_server, tamarind):
    _, _, _, token = tamarind
    assert run(live_server, token, SAMPLE)[0] == 0
    entries = LedgerEntry.objects.count()

    code, out, err = run(live_server, token, SAMPLE)

    assert code == 1
    assert "The report is submitted" in err
    assert LedgerEntry.objects.count() == entries


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"status": "done"}, "status 'done' is none of"),
        ({"evidence": "missing.pdf"}, "evidence file 'missing.pdf' not found"),
        ({"node_id": "sbd.develop.1.m1"}, "name the item by node_id or by code"),
        ({"evidence_visibility": "secret", "evidence": ""}, "evidence_visibility 'secret'"),
        ({"evidence_date": "March", "evidence": ""}, "evidence_date 'March' is not a date"),
    ],
)
def test_csv_problems_are_told_before_anything_is_sent(live_server, tamarind, tmp_path, change, message):
    _, _, _, token = tamarind
    rows = sample_rows()[:2]
    rows[0] = {**rows[0], "node_id": "", **change}
    rows[1] = {**rows[1], "node_id": ""}

    code, out, err = run(live_server, token, write_csv(tmp_path / "bad.csv", rows))

    assert code == 2
    assert "line 2:" in err and message in err
    assert not ProgressReport.objects.exists()


def test_a_code_the_report_does_not_have_is_named(live_server, tamarind, tmp_path):
    organisation, period, officer, token = tamarind
    report_create(organisation=organisation, period=period, acting_user=officer)
    rows = without_evidence(sample_rows())[:1]
    rows[0]["code"] = "M99"

    code, out, err = run(live_server, token, write_csv(tmp_path / "m99.csv", rows))

    assert code == 2
    assert "line 2: the report has no item 'M99'." in err


def test_a_bad_token_is_explained(live_server, tamarind, tmp_path):
    code, out, err = run(
        live_server, "pp_nope_nope", write_csv(tmp_path / "t.csv", without_evidence(sample_rows()))
    )

    assert code == 1
    assert "Refused (401): Unknown token." in err


def test_the_sample_csv_names_every_item_of_the_framework_once(tamarind):
    from examples.submit_report import read_rows

    rows = read_rows(SAMPLE, today=datetime.date(2026, 12, 1))

    codes = set(Framework.objects.get(key="sbd").nodes.filter(reportable=True).values_list("code", flat=True))
    assert sorted(row.code for row in rows) == sorted(codes)
    assert all(e.path is None or e.path.is_file() for row in rows for e in row.evidence)
    assert json.dumps([row.change for row in rows])  # plain JSON, as the request body
