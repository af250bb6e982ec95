import hashlib
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from reports.models import ArtifactStatus, ReportArtifact
from tests.reports.public_builders import committed_org, published


def _run(*args):
    out = StringIO()
    call_command("render_report", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_renders_every_published_report_into_the_folder(
    framework, org, period, reviewer, program_admin, tmp_path
):
    first = published(org, period, reviewer=reviewer, admin=program_admin)
    second = published(
        committed_org(framework, "Quillfeather AI"), period, reviewer=reviewer, admin=program_admin
    )
    output = _run("--published", "--kind", "public", "--out", str(tmp_path))
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 2
    for line in lines:
        path, sha = re.fullmatch(r"(\S+)  sha256=([0-9a-f]{64})", line).groups()
        assert hashlib.sha256(Path(path).read_bytes()).hexdigest() == sha
    artifacts = ReportArtifact.objects.filter(kind="public")
    assert {a.report_id for a in artifacts} == {first.pk, second.pk}
    assert all(a.status == ArtifactStatus.READY for a in artifacts)
    # Rendered through the same service: each one is in the ledger.
    from commitments.models import LedgerEntry

    assert LedgerEntry.objects.filter(event="artifact.rendered").count() == 2


def test_one_report_and_its_period_summary(org, period, reviewer, program_admin, tmp_path):
    report = published(org, period, reviewer=reviewer, admin=program_admin)
    assert "-public-v1.pdf" in _run("--report", str(report.pk), "--kind", "public", "--out", str(tmp_path))
    assert "-public-v2.pdf" in _run("--report", str(report.pk), "--kind", "public", "--out", str(tmp_path))
    assert "summary-v1.pdf" in _run("--published", "--kind", "summary", "--out", str(tmp_path))


def test_clear_errors(report, tmp_path):
    with pytest.raises(CommandError, match="not published"):
        _run("--report", str(report.pk), "--kind", "public", "--out", str(tmp_path))
    with pytest.raises(CommandError, match="No report with id 999999"):
        _run("--report", "999999", "--kind", "public", "--out", str(tmp_path))
    with pytest.raises(CommandError, match="Nothing to render"):
        _run("--published", "--kind", "public", "--out", str(tmp_path))
    assert not ReportArtifact.objects.exists()
