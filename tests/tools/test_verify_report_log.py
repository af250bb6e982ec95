"""A signed PDF checked against the transparency log (issue 13): by the platform (`/verify/`,
`manage.py verify_report`) and by the standalone verifier with --log (a folder copy here; over
HTTP in tests/commitments/log/test_history_rewrite_demo.py).

A PDF's manifest holds the checkpoint signed when it was issued; a rewrite of the history it
reports, or a truncation, contradicts that checkpoint, even when whoever did it recomputed every
hash, rebuilt the tree and re-signed with the log's own key.
"""

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from commitments.models import LedgerEntry
from commitments.services.ledger import ledger_verify_fast
from commitments.services.ledger.checkpoints import checkpoint_latest
from commitments.services.ledger.serve import log_get
from commitments.services.ledger.verify_log import ledger_verify_log
from reports.pdf.verification import pdf_verify
from tests.commitments.log.test_verify_ledger_log import append, rewrite_consistently, truncate
from tests.commitments.log.test_witness import resign_everything
from tests.reports.pdf.verify_world import rendered_world
from tools.tlog.entry import chain_hash
from tools.tlog.pdf_log import pdf_log_checks
from tools.tlog.source import folder_source, mirrored

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / "tools" / "verify_report.py"
LOG_CHECKS = ["log_issued", "log_current", "log_consistent", "log_entry"]

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, signing_key):
    with rendered_world(django_db_blocker, audit=True) as built:
        yield built


@pytest.fixture
def audit_pdf(world):
    return world.pdf(world.audit)


@pytest.fixture
def attack(world):
    """Whatever a test does to the database is undone after it (the module's PDFs stay)."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def _log_results(result):
    return {check.key: check for check in result.checks if check.key.startswith("log_")}


def _copy_of_the_log(folder: Path, manifest: dict, sha256: str) -> Path:
    """A folder holding what a verifier reads from the log for this PDF (as --save-log keeps it)."""
    pdf_log_checks(manifest, sha256, mirrored(log_get, folder))
    return folder


def _run(*args, cwd):
    command = [sys.executable, "-I", str(TOOL), *map(str, args)]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120)


def _command(pdf: Path):
    out = io.StringIO()
    try:
        call_command("verify_report", str(pdf), stdout=out)
    except CommandError as error:
        return error, out.getvalue()
    return None, out.getvalue()


# --- an untouched log ----------------------------------------------------------------------------


def test_the_platform_checks_a_genuine_pdf_against_its_log(world, audit_pdf):
    result = pdf_verify(audit_pdf)

    assert result.ok, result.failures
    checks = _log_results(result)
    assert list(checks) == LOG_CHECKS
    manifest = result.manifest["ledger"]
    assert f"at {manifest['size']} entries" in checks["log_issued"].detail
    assert f"entry {world.audit.ledger_sequence}," in checks["log_entry"].detail


def test_the_standalone_tool_checks_a_genuine_pdf_against_a_copy_of_the_log(world, audit_pdf, tmp_path):
    result = pdf_verify(audit_pdf)
    folder = _copy_of_the_log(tmp_path / "log", result.manifest, result.sha256)
    (tmp_path / "audit.pdf").write_bytes(audit_pdf)
    (tmp_path / "root.pem").write_bytes(world.root_pem)

    completed = _run("audit.pdf", "--root", "root.pem", "--log", folder, cwd=tmp_path)

    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "✓ Issued under a checkpoint signed by the log's key" in completed.stdout
    assert "✓ The log still holds the history this PDF was issued under" in completed.stdout
    assert f"✓ The log records the issue of this very file: entry {world.audit.ledger_sequence}," in (
        completed.stdout
    )
    assert "Verdict: GENUINE" in completed.stdout


def test_the_tool_keeps_a_copy_it_can_check_again_offline(world, audit_pdf, tmp_path):
    result = pdf_verify(audit_pdf)
    online = _copy_of_the_log(tmp_path / "online", result.manifest, result.sha256)
    (tmp_path / "audit.pdf").write_bytes(audit_pdf)
    (tmp_path / "root.pem").write_bytes(world.root_pem)

    first = _run("audit.pdf", "--root", "root.pem", "--log", online, "--save-log", "kept", cwd=tmp_path)
    again = _run("audit.pdf", "--root", "root.pem", "--log", "kept", "--json", cwd=tmp_path)

    assert first.returncode == 0, first.stdout + first.stderr
    assert (tmp_path / "kept" / "checkpoint").read_bytes() == (online / "checkpoint").read_bytes()
    assert again.returncode == 0, again.stdout + again.stderr
    checks = {c["key"]: c["ok"] for c in json.loads(again.stdout)["checks"]}
    assert all(checks[key] for key in LOG_CHECKS)


def test_a_checkpoint_saved_earlier_is_proved_consistent(world, audit_pdf, tmp_path, attack):
    saved = tmp_path / "saved"
    saved.write_text(checkpoint_latest().note)
    append(3)
    resign_everything()

    result = pdf_verify(audit_pdf)
    checks = pdf_log_checks(result.manifest, result.sha256, log_get, saved_checkpoint=saved.read_bytes())

    assert [c.key for c in checks if c.ok] == [
        "log_issued",
        "log_current",
        "log_consistent",
        "log_saved",
        "log_entry",
    ]


# --- a rewritten or truncated log ---------------------------------------------------------------


def test_a_consistent_rewrite_re_signed_with_the_log_key_fails_the_pdfs_check(
    world, audit_pdf, tmp_path, attack
):
    pdf = tmp_path / "audit.pdf"
    pdf.write_bytes(audit_pdf)
    # An early verdict of the report, changed; every later hash, the tree and the checkpoints redone.
    verdict = LedgerEntry.objects.filter(event="item.verdict_recorded").order_by("sequence").first()
    data = json.loads(verdict.payload)["data"]
    rewrite_consistently(verdict.sequence, {**data, "verdict": "not_verified"})
    resign_everything()
    # The chain and the latest checkpoint agree again: only what the PDF saved contradicts them.
    assert ledger_verify_fast().ok and ledger_verify_log().ok

    result = pdf_verify(audit_pdf)
    failed = _log_results(result)["log_consistent"]
    error, output = _command(pdf)

    assert not result.ok
    assert not failed.ok
    assert "does not extend the checkpoint this PDF was issued under" in failed.detail
    assert "the history this document reports was rewritten or cut since it was issued" in failed.detail
    assert error is not None and error.returncode == 1
    assert "The log still holds the history this PDF was issued under" in str(error)
    assert "Verdict: NOT VERIFIED" in output


def test_a_rewrite_that_leaves_the_tree_alone_fails_on_the_pdfs_own_entry(world, audit_pdf, attack):
    verdict = LedgerEntry.objects.filter(event="item.verdict_recorded").order_by("sequence").first()
    data = json.loads(verdict.payload)["data"]
    rewrite_consistently(verdict.sequence, {**data, "verdict": "not_verified"})

    checks = _log_results(pdf_verify(audit_pdf))

    assert checks["log_consistent"].ok  # the tree served is still the old one...
    assert not checks["log_entry"].ok  # ...and the entries no longer are its leaves
    assert (
        f"entry {world.audit.ledger_sequence} of the log is not the one with hash"
        in checks["log_entry"].detail
    )


def test_a_truncation_before_the_pdf_was_issued_fails(world, audit_pdf, attack):
    issued = pdf_verify(audit_pdf).manifest["ledger"]["size"]
    truncate(issued - 2)
    resign_everything()

    checks = _log_results(pdf_verify(audit_pdf))

    assert not checks["log_consistent"].ok
    assert f"the log shrank: its checkpoint says {issued - 2} entries" in checks["log_consistent"].detail


def test_a_truncation_of_the_pdfs_own_entry_fails(world, audit_pdf, attack):
    truncate(world.audit.ledger_sequence - 1)
    resign_everything()

    checks = _log_results(pdf_verify(audit_pdf))

    assert checks["log_consistent"].ok
    assert not checks["log_entry"].ok
    assert "the log does not serve this file's entry" in checks["log_entry"].detail
    assert "No signed PDF of this platform has this SHA-256" in checks["log_entry"].detail


def test_a_pdf_whose_entry_no_checkpoint_covers_yet_is_not_passed(world, audit_pdf, attack):
    with connection.cursor() as cursor:  # as if the outbox had not signed yet
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("DELETE FROM commitments_checkpoint WHERE size >= %s", [world.audit.ledger_sequence])

    check = _log_results(pdf_verify(audit_pdf))["log_entry"]

    assert not check.ok
    assert f"entry {world.audit.ledger_sequence} is not yet covered by a signed checkpoint" in check.detail


def test_a_saved_checkpoint_the_log_no_longer_extends_fails(world, audit_pdf, tmp_path, attack):
    append(4)
    resign_everything()
    saved = checkpoint_latest().note.encode()
    newest = LedgerEntry.objects.order_by("-sequence").first().sequence
    truncate(newest - 2)
    resign_everything()
    append(3)  # grown past the saved size again, with other entries
    resign_everything()

    result = pdf_verify(audit_pdf)
    checks = {
        c.key: c for c in pdf_log_checks(result.manifest, result.sha256, log_get, saved_checkpoint=saved)
    }

    assert checks["log_consistent"].ok  # the PDF's own history is intact...
    assert not checks["log_saved"].ok  # ...but what the witness saw was rewritten
    assert f"does not extend the checkpoint you saved at size {newest}" in checks["log_saved"].detail


# --- hostile input to the tool ------------------------------------------------------------------


def test_a_tile_changed_in_the_copy_is_caught(world, audit_pdf, tmp_path):
    result = pdf_verify(audit_pdf)
    folder = _copy_of_the_log(tmp_path / "log", result.manifest, result.sha256)
    tile = max((p for p in (folder / "tile" / "0").rglob("*") if p.is_file()), key=lambda p: p.stat().st_size)
    data = bytearray(tile.read_bytes())
    data[5] ^= 0x01
    tile.write_bytes(bytes(data))

    checks = pdf_log_checks(result.manifest, result.sha256, folder_source(folder))

    assert [c.key for c in checks] == ["log_issued", "log_current"]
    assert not checks[-1].ok and "tiles give another root" in checks[-1].detail


@pytest.mark.parametrize(
    "saved",
    [
        b"",
        b"\x00\xff" * 100,
        b"x" * 70_000,
        b"pledgeproof.test/log\n5\nAAAA\n\n\xe2\x80\x94 other+00000000+AAAA\n",
    ],
    ids=["empty", "binary", "huge", "forged"],
)
def test_a_hostile_saved_checkpoint_fails_cleanly(world, audit_pdf, saved):
    result = pdf_verify(audit_pdf)

    checks = pdf_log_checks(result.manifest, result.sha256, log_get, saved_checkpoint=saved)

    assert checks[-1].key == "log_saved" and not checks[-1].ok
    assert "the saved checkpoint does not verify with the log's key" in checks[-1].detail


def test_a_log_key_other_than_the_manifests_is_refused(world, audit_pdf, tmp_path):
    (tmp_path / "audit.pdf").write_bytes(audit_pdf)
    (tmp_path / "root.pem").write_bytes(world.root_pem)
    result = pdf_verify(audit_pdf)
    folder = _copy_of_the_log(tmp_path / "log", result.manifest, result.sha256)
    other = "pledgeproof.test/log+00000000+AW+gtgD2rDo4YRdEV1oNpArOLmmfCCa93nW6fXC2HfUs"

    completed = _run("audit.pdf", "--root", "root.pem", "--log", folder, "--log-key", other, cwd=tmp_path)

    assert completed.returncode == 1
    assert (
        "✗ Issued under a checkpoint signed by the log's key: the manifest names the log key"
        in completed.stdout
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--log", "no-such-folder"], "no-such-folder is not a folder"),
        (["--checkpoint", "x"], "--checkpoint, --log-key and --save-log need --log"),
        (["--log", ".", "--checkpoint", "absent"], "cannot read the checkpoint absent"),
    ],
)
def test_log_usage_errors_exit_2(world, audit_pdf, tmp_path, args, message):
    (tmp_path / "audit.pdf").write_bytes(audit_pdf)
    (tmp_path / "root.pem").write_bytes(world.root_pem)

    completed = _run("audit.pdf", "--root", "root.pem", *args, cwd=tmp_path)

    assert completed.returncode == 2
    assert message in completed.stderr


# --- the /verify/ page --------------------------------------------------------------------------


def _upload(client, pdf: bytes):
    return client.post("/verify/", {"pdf": io.BytesIO(pdf)}, format="multipart").content.decode()


def test_the_verify_page_shows_the_log_checks_of_a_genuine_pdf(client, world, audit_pdf):
    page = _upload(client, audit_pdf)
    by_hash = client.get("/verify/", {"sha256": world.audit.sha256}).content.decode()

    for text in (page, by_hash):
        assert "✓ Genuine and current" in text
        assert "✓ The log still holds the history this PDF was issued under" in text
        assert "✓ The log records the issue of this very file" in text


def test_the_verify_page_says_a_pdf_is_contradicted_by_a_rewritten_log(client, world, audit_pdf, attack):
    verdict = LedgerEntry.objects.filter(event="item.verdict_recorded").order_by("sequence").first()
    data = json.loads(verdict.payload)["data"]
    rewrite_consistently(verdict.sequence, {**data, "verdict": "not_verified"})
    resign_everything()

    page = _upload(client, audit_pdf)
    by_hash = client.get("/verify/", {"sha256": world.audit.sha256}).content.decode()

    for text in (page, by_hash):
        assert "Genuine and current" not in text
        assert "✗ Signed, but contradicted by the transparency log" in text
        assert "✗ The log still holds the history this PDF was issued under" in text


# --- /log/artifact/<sha256> itself --------------------------------------------------------------


def test_the_artifact_entry_is_public_hashes_right_and_names_nobody(client, world):
    response = client.get(f"/log/artifact/{world.audit.sha256}")
    entry = json.loads(response.content)
    payload = json.loads(entry["payload"])

    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert chain_hash(entry["prev_hash"], entry["payload"]) == entry["entry_hash"]
    assert entry["sequence"] == world.audit.ledger_sequence == payload["sequence"]
    assert payload["event"] == "artifact.rendered" and payload["data"]["sha256"] == world.audit.sha256
    assert payload["actor"] is None and payload["actor_email"] is None  # who asked stays on the row
    assert client.post(f"/log/artifact/{world.audit.sha256}").status_code == 405  # reads only


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/log/artifact/" + "0" * 64, 404),  # no PDF has it
        ("/log/artifact/" + "A" * 64, 400),  # upper case: not the form hashes are named in
        ("/log/artifact/" + "0" * 63, 400),
        ("/log/artifact/" + "0" * 65, 400),
        ("/log/artifact/" + "x" * 5000, 400),
    ],
)
def test_the_artifact_entry_refuses_what_is_not_a_hash_of_an_issued_pdf(client, world, path, status):
    response = client.get(path)

    assert response.status_code == status
    assert response.content.decode().strip() in (
        "No signed PDF of this platform has this SHA-256.",
        "An artifact is named by its SHA-256: 64 lower-case hex digits.",
    )
