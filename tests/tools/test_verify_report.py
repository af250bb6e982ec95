"""tools/verify_report.py: the standalone verifier an auditor runs offline with only pyHanko.

One genuine public PDF is rendered for the whole module; every forgery is made from it.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from reports.pdf.render import html_to_pdf
from reports.pdf.signing import sign_pdf
from tests.reports.pdf.tampering import (
    byte_flipped,
    manifest_read,
    manifest_replaced,
    rogue_key,
    sign_with,
    unsigned_original,
)
from tests.reports.pdf.verify_world import rendered_world
from tools.verify_report import VerificationResult, evidence_check, format_result, load_root, verify_pdf_bytes

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / "tools" / "verify_report.py"

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, signing_key):
    with rendered_world(django_db_blocker) as built:
        yield built


@pytest.fixture(scope="module")
def genuine(world):
    return world.pdf(world.public_v1)


@pytest.fixture(scope="module")
def rogue(tmp_path_factory):
    return rogue_key(tmp_path_factory.mktemp("rogue"))


@pytest.fixture
def files(tmp_path, world, genuine):
    """The PDF, the root and the evidence in a folder outside the repository, as an auditor has them."""
    (tmp_path / "report.pdf").write_bytes(genuine)
    (tmp_path / "root.pem").write_bytes(world.root_pem)
    world.evidence_folder(tmp_path / "evidence")
    return tmp_path


def _failed(result) -> set[str]:
    return {check.key for check in result.failures}


def _run(*args, cwd):
    command = [sys.executable, "-I", str(TOOL), *map(str, args)]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120)


# --- a genuine PDF ------------------------------------------------------------------------------


def test_a_genuine_pdf_passes_every_check(world, genuine):
    result = verify_pdf_bytes(genuine, root=world.root_pem)

    assert result.ok, result.failures
    assert [c.key for c in result.checks] == [
        "readable",
        "one_signature",
        "certification",
        "intact",
        "trusted",
        "whole_file",
        "manifest",
        "manifest_signer",
    ]
    assert result.sha256 == world.public_v1.sha256
    assert result.document_id == world.public_v1.document_id
    assert result.manifest["organisation"]["name"] == "Northwind Models"
    assert result.signature.signer_sha256 == result.manifest["signing_certificate_sha256"]
    assert "report signing" in result.signature.signer_subject
    assert result.signature.signing_time


def test_the_tool_runs_isolated_without_django_and_accepts_the_genuine_pdf(files):
    # -I: no PYTHONPATH, no user site, not even the script's folder on the path; the working
    # directory is outside the repository. Only installed packages can be imported.
    completed = _run("report.pdf", "--root", "root.pem", "--evidence", "evidence", cwd=files)

    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "Verdict: GENUINE" in completed.stdout
    assert "Northwind Models" in completed.stdout
    assert "✓ Evidence files match the manifest" in completed.stdout


def test_the_tool_imports_no_django_module(files):
    command = [sys.executable, "-I", "-X", "importtime", str(TOOL), "report.pdf", "--root", "root.pem"]
    completed = subprocess.run(command, cwd=files, capture_output=True, text=True, timeout=120)
    # Each line: "import time: <self us> | <cumulative us> | <indented module name>".
    imported = {
        line.split("|")[-1].strip().split(".")[0]
        for line in completed.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }

    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "pyhanko" in imported  # the listing is real
    assert not {name for name in imported if name.startswith(("django", "rest_framework", "celery"))}
    assert not {"reports", "commitments", "config", "accounts"} & imported


def test_json_output_carries_the_result(files):
    completed = _run("report.pdf", "--root", "root.pem", "--json", cwd=files)
    data = json.loads(completed.stdout)

    assert completed.returncode == 0
    assert data["ok"] is True
    assert data["manifest"]["document"]["id"] == data["document_id"]


def test_pyhankos_own_validator_accepts_the_genuine_pdf(files):
    pyhanko = Path(sys.executable).with_name("pyhanko")
    completed = subprocess.run(
        [str(pyhanko), "sign", "validate", "--trust", "root.pem", "--trust-replace", "report.pdf"],
        cwd=files,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "INTACT:TRUSTED,UNTOUCHED" in completed.stdout


# --- tampered and forged PDFs -------------------------------------------------------------------


def test_a_pdf_altered_by_one_byte_fails(world, genuine, files):
    altered = byte_flipped(genuine)
    (files / "altered.pdf").write_bytes(altered)

    result = verify_pdf_bytes(altered, root=world.root_pem)
    completed = _run("altered.pdf", "--root", "root.pem", cwd=files)

    assert "intact" in _failed(result)
    assert completed.returncode == 1
    assert "✗ Signature cryptographically intact" in completed.stdout
    assert "Verdict: NOT VERIFIED" in completed.stdout


def test_a_pdf_re_signed_with_another_key_is_not_trusted(world, genuine, rogue, tmp_path):
    forged = sign_with(unsigned_original(genuine), rogue)

    result = verify_pdf_bytes(forged, root=world.root_pem)

    assert not result.ok
    assert "trusted" in _failed(result)
    trusted = next(c for c in result.checks if c.key == "trusted")
    assert "does not chain to the given root" in trusted.detail
    # Against the forger's own root the chain holds, but the manifest still names the platform's
    # certificate, not the one that signed.
    own_root = verify_pdf_bytes(forged, root=rogue.chain.read_bytes())
    assert _failed(own_root) == {"manifest_signer"}


def test_the_third_party_validator_rejects_a_re_signed_pdf(world, genuine, rogue, files):
    (files / "forged.pdf").write_bytes(sign_with(unsigned_original(genuine), rogue))
    pyhanko = Path(sys.executable).with_name("pyhanko")
    completed = subprocess.run(
        [str(pyhanko), "sign", "validate", "--trust", "root.pem", "--trust-replace", "forged.pdf"],
        cwd=files,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert completed.returncode != 0
    assert "INTACT:TRUSTED" not in completed.stdout


def test_a_manifest_swapped_by_an_incremental_update_fails(world, genuine):
    manifest = manifest_read(genuine)
    manifest["items"][0]["status"] = "not_started"
    swapped = manifest_replaced(genuine, manifest)
    assert manifest_read(swapped)["items"][0]["status"] == "not_started"  # what a PDF viewer shows

    result = verify_pdf_bytes(swapped, root=world.root_pem)

    assert "whole_file" in _failed(result)
    # The verdict reports the manifest that was signed, and says the file now shows another one.
    assert result.manifest["items"][0]["status"] == "implemented"
    assert any("different manifest.json" in note for note in result.notes)


def test_a_manifest_swapped_and_re_signed_with_another_key_fails(world, genuine, rogue):
    manifest = manifest_read(genuine)
    manifest["items"][0]["verdict"] = "verified"
    manifest["items"][0]["status"] = "implemented"
    manifest["organisation"]["name"] = "Someone Else Entirely"
    forged = sign_with(manifest_replaced(unsigned_original(genuine), manifest), rogue)

    result = verify_pdf_bytes(forged, root=world.root_pem)

    assert {"trusted", "manifest_signer"} <= _failed(result)
    assert not result.signature_ok


def test_an_unsigned_pdf_fails(world, genuine):
    result = verify_pdf_bytes(unsigned_original(genuine), root=world.root_pem)

    assert _failed(result) == {"one_signature"}
    assert result.failures[0].detail == "the file is not signed"


def test_a_second_signature_added_later_fails(world, genuine, rogue):
    countersigned = sign_with(genuine, rogue, certify=False)

    result = verify_pdf_bytes(countersigned, root=world.root_pem)

    assert {"one_signature", "whole_file"} <= _failed(result)


def test_a_signed_pdf_without_a_manifest_is_reported(world):
    from weasyprint import HTML

    signed = sign_pdf(HTML(string="<p>No manifest here.</p>").write_pdf())

    result = verify_pdf_bytes(signed, root=world.root_pem)

    assert _failed(result) == {"manifest"}
    assert "no embedded manifest.json" in result.failures[0].detail


def test_a_manifest_that_is_not_json_is_reported(world):
    signed = sign_pdf(html_to_pdf("<p>Broken manifest.</p>", manifest_json=b"{not json").data)

    result = verify_pdf_bytes(signed, root=world.root_pem)

    assert _failed(result) == {"manifest"}
    assert "not valid JSON" in result.failures[0].detail


def test_a_file_that_is_not_a_pdf_fails_cleanly(world):
    result = verify_pdf_bytes(b"%PDF-1.7\nnothing else", root=world.root_pem)

    assert _failed(result) == {"readable"}


# --- evidence -------------------------------------------------------------------------------------


def test_matching_evidence_files_pass(world, genuine, files):
    report = evidence_check(manifest_read(genuine), files / "evidence")

    assert report.ok
    assert len(report.matched) == len(world.evidence) == 3
    assert not (report.missing or report.mismatched or report.unexpected)


def test_an_evidence_file_altered_by_one_byte_is_reported_and_a_missing_one_listed(world, genuine, files):
    first, second, _ = sorted(world.evidence)
    altered = files / "evidence" / f"{first}.pdf"
    data = bytearray(altered.read_bytes())
    data[20] ^= 0x01
    altered.write_bytes(bytes(data))
    (files / "evidence" / f"{second}.pdf").unlink()
    (files / "evidence" / "notes.txt").write_text("not evidence\n")

    result = verify_pdf_bytes(genuine, root=world.root_pem, evidence_dir=files / "evidence")
    completed = _run("report.pdf", "--root", "root.pem", "--evidence", "evidence", cwd=files)

    assert _failed(result) == {"evidence"}
    evidence = result.evidence
    assert [p.file.name for p in evidence.mismatched] == [f"{first}.pdf"]
    assert evidence.mismatched[0].expected.sha256 == first
    assert [e.sha256 for e in evidence.missing] == [second]
    assert evidence.missing[0].title == "Restricted evidence"
    assert [p.file.name for p in evidence.unexpected] == ["notes.txt"]
    assert completed.returncode == 1
    assert f"{first}.pdf: SHA-256 " in completed.stdout
    assert "does not match evidence #" in completed.stdout
    assert f"missing: no file has the SHA-256 of evidence #{evidence.missing[0].id}" in completed.stdout
    assert "notes.txt: SHA-256 " in completed.stdout and "is not in the manifest" in completed.stdout


def test_hidden_files_in_the_evidence_folder_are_ignored_and_said_so(world, genuine, files):
    (files / "evidence" / ".DS_Store").write_bytes(b"\x00\x01")

    report = evidence_check(manifest_read(genuine), files / "evidence")

    assert report.ok
    assert report.ignored == (".DS_Store",)


def test_certificates_can_be_judged_as_of_another_time(files):
    # Before the root existed nothing chains to it; an auditor uses --at with the signing time
    # to check a signature whose certificate has expired since.
    completed = _run("report.pdf", "--root", "root.pem", "--at", "2001-01-01T00:00:00", cwd=files)

    assert completed.returncode == 1
    assert "✗ Signer trusted by the given root" in completed.stdout


# --- usage errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.pdf", "--root", "root.pem"], "cannot read missing.pdf"),
        (["report.pdf", "--root", "missing.pem"], "cannot read the root certificate"),
        (["report.pdf", "--root", "report.pdf"], "not a readable X.509 certificate"),
        (["report.pdf", "--root", "root.pem", "--evidence", "nowhere"], "evidence folder nowhere"),
        (["report.pdf"], "--root"),
        (["report.pdf", "--root", "root.pem", "--at", "yesterday"], "not an ISO 8601 time"),
    ],
)
def test_usage_errors_exit_2_with_a_message(files, args, message):
    completed = _run(*args, cwd=files)

    assert completed.returncode == 2
    assert message in completed.stderr


def test_a_root_file_with_two_certificates_is_refused(world, rogue):
    from tools.verify_report import UsageError

    with pytest.raises(UsageError, match="exactly one certificate"):
        load_root(world.root_pem + rogue.chain.read_bytes())


# --- what it prints of the manifest -------------------------------------------------------------


AUDIT = {
    "engagement_id": 4,
    "standard": "ISAE 3000",
    "auditors": ["Dana Whitfield", "Lee Park"],
    "firm": "Harbourside Assurance LLP",
    "attestation": {
        "id": 9,
        "url": "https://example.test/audits/9/",
        "opinion": "adverse",
        "attested_on": "2026-03-31",
    },
    "findings": [
        {"node": "a.1", "kind": "conforms"},
        {"node": "a.2", "kind": "nonconformity"},
        {"node": "a.3", "kind": "conforms"},
    ],
}


def _printed(manifest) -> list[str]:
    result = VerificationResult(sha256="0" * 64, size_bytes=1, checks=(), manifest=manifest)
    return format_result(result).splitlines()


def test_each_attested_audit_of_an_audit_report_is_printed_and_none_said_so():
    audit = {"document": {"kind": "audit"}}

    assert (
        "  Audit         opinion adverse, attested 2026-03-31 by Dana Whitfield, Lee Park (Harbourside "
        "Assurance LLP); findings: 2 conforms, 1 nonconformity; attestation 9: https://example.test/audits/9/"
    ) in _printed({**audit, "audit": [AUDIT]})
    assert "  Audit         no attested independent audit covers this report" in _printed(
        {**audit, "audit": []}
    )
    assert not [line for line in _printed({"document": {"kind": "public"}}) if "Audit " in line]


@pytest.mark.parametrize(
    "audit",
    [
        None,
        "adverse",
        [1, "x", None],
        [{}],
        [{**AUDIT, "auditors": "Dana", "findings": {"a": 1}, "attestation": []}],
    ],
)
def test_a_malformed_audit_is_printed_without_failing(audit):
    printed = "\n".join(_printed({"document": {"kind": "audit"}, "audit": audit}))

    assert "Pledgeproof report verification" in printed


def test_manifest_text_cannot_steer_the_terminal():
    """An escape sequence or a bidi override in a manifest is printed as '?'."""
    hostile = {**AUDIT, "firm": "\x1b[2J\x1b[32mTrusted\u202e", "auditors": ["a\nb"]}

    printed = _printed(
        {"document": {"kind": "audit"}, "organisation": {"name": "\x1b]0;x\x07Org"}, "audit": [hostile]}
    )

    text = "\n".join(printed)
    assert "\x1b" not in text and "\u202e" not in text and "\x07" not in text
    assert "  Organisation  ?]0;x?Org" in printed
    assert any("by a?b (?[2J?[32mTrusted?);" in line for line in printed)
