"""Issue 13's "done when", on the demo database over real HTTP: a checkpoint saved by a witness
before a consistent rewrite (or a truncation) makes `verify_ledger --checkpoint` and
`verify_report` on an earlier PDF fail, and the standalone verifier reading the live log too,
while the untouched demo passes every one of them.

The rewrites are the thorough kind: every later hash, the head row and the Merkle tree
recomputed, and every checkpoint re-signed with the log's own key, so that the platform's own
`verify_ledger` (without a saved checkpoint) passes afterwards.
"""

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import User
from commitments.models import ItemVerdict, LedgerEntry, ProgressReport, ReportStatus
from commitments.services.ledger.checkpoints import log_verifier_key
from reports.models import ArtifactKind, ReportArtifact
from reports.pdf.services import artifact_read
from tests.commitments.log.test_verify_ledger_log import rewrite_consistently, truncate
from tests.commitments.log.test_witness import resign_everything
from tests.reports.pdf.verify_world import render

pytestmark = pytest.mark.django_db(transaction=True)

TOOL = Path(__file__).resolve().parents[3] / "tools" / "verify_report.py"


@pytest.fixture
def demo(settings, live_server, tmp_path, signing_key):
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())
    # An admin asks for the public PDF of a published demo report, as from its Documents page.
    admin = User.objects.filter(platform_role="program_admin").order_by("pk").first()
    report = ProgressReport.objects.filter(status=ReportStatus.PUBLISHED).order_by("pk").first()
    artifact = render(ArtifactKind.PUBLIC, admin=admin, report=report)
    pdf = tmp_path / "earlier.pdf"
    pdf.write_bytes(artifact_read(artifact))
    (tmp_path / "root.pem").write_bytes(signing_key.root_pem)
    return {"url": f"{live_server.url}/log", "pdf": pdf, "state": tmp_path / "witness", "dir": tmp_path}


def witness(demo):
    call_command("witness", demo["url"], state=demo["state"], key=str(log_verifier_key()), stdout=StringIO())
    return demo["state"] / "checkpoint"


def verify_ledger(*args):
    out = StringIO()
    call_command("verify_ledger", *args, stdout=out)
    return out.getvalue()


def verify_report(pdf):
    out = StringIO()
    call_command("verify_report", str(pdf), stdout=out)
    return out.getvalue()


def standalone(demo, *args):
    command = [sys.executable, "-I", str(TOOL), *map(str, args)]
    return subprocess.run(command, cwd=demo["dir"], capture_output=True, text=True, timeout=120)


def fails(call, *args):
    with pytest.raises(CommandError) as caught:
        call(*args)
    assert caught.value.returncode == 1, caught.value
    return str(caught.value)


def test_the_untouched_demo_passes_every_check(demo):
    saved = witness(demo)

    assert "Ledger intact" in verify_ledger("--checkpoint", str(saved))
    assert "Verdict: GENUINE" in verify_report(demo["pdf"])
    tool = standalone(demo, demo["pdf"], "--root", "root.pem", "--log", demo["url"], "--checkpoint", saved)
    assert tool.returncode == 0, tool.stdout + tool.stderr
    assert "✓ The log extends the checkpoint you saved" in tool.stdout
    assert "✓ The log records the issue of this very file" in tool.stdout


def test_a_consistent_rewrite_contradicts_the_witness_checkpoint_and_the_earlier_pdf(demo):
    saved = witness(demo)
    first_verdict = LedgerEntry.objects.filter(event="item.verdict_recorded").order_by("sequence").first()
    data = json.loads(first_verdict.payload)["data"]
    rewrite_consistently(first_verdict.sequence, {**data, "verdict": "not_verified"})
    ItemVerdict.objects.filter(pk=first_verdict.subject_id).update(verdict="not_verified")  # the row too
    resign_everything()

    verify_ledger()  # re-signed with the log's key, the row matching: the platform alone cannot tell
    assert "history was rewritten" in fails(verify_ledger, "--checkpoint", str(saved))
    assert "The log still holds the history this PDF was issued under" in fails(verify_report, demo["pdf"])
    tool = standalone(demo, demo["pdf"], "--root", "root.pem", "--log", demo["url"], "--checkpoint", saved)
    assert tool.returncode == 1
    assert "✗ The log still holds the history this PDF was issued under" in tool.stdout
    assert "INCONSISTENT" in fails(witness, demo)


def test_a_truncation_contradicts_the_witness_checkpoint_and_the_earlier_pdf(demo):
    saved = witness(demo)
    issued = json.loads(
        ReportArtifact.objects.ready().filter(kind=ArtifactKind.PUBLIC).order_by("pk").first().manifest
    )["ledger"]["size"]
    truncate(issued - 1)
    resign_everything()

    # The PDF's row outlived its entry, which reconciliation sees; what the witness saved says more.
    assert "the ledger has no artifact.rendered entry for it" in fails(verify_ledger)
    assert "entries were removed" in fails(verify_ledger, "--checkpoint", str(saved))
    assert "the log shrank" in fails(verify_report, demo["pdf"])
    tool = standalone(demo, demo["pdf"], "--root", "root.pem", "--log", demo["url"])
    assert tool.returncode == 1
    assert "the log shrank" in tool.stdout


def test_the_standalone_witness_follows_the_demo_log(demo):
    first = standalone(demo, "--witness", demo["url"], "--state", "state")
    again = standalone(demo, "--witness", demo["url"], "--state", "state")

    assert first.returncode == 0, first.stdout + first.stderr
    assert "first checkpoint saved" in first.stdout
    assert again.returncode == 0 and "consistent with the checkpoint saved at size" in again.stdout
    assert (demo["dir"] / "state" / "key").read_text().strip() == str(log_verifier_key())
