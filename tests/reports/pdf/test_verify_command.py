"""manage.py verify_report: the standalone checks with the platform's root, plus current or superseded."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from reports.pdf.signing import sign_pdf
from tests.reports.pdf.tampering import byte_flipped, rogue_key, sign_with, unsigned_original
from tests.reports.pdf.verify_world import render, rendered_world

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, signing_key):
    with rendered_world(django_db_blocker, corrected=True) as built:
        yield built


def _run(*args):
    out = StringIO()
    call_command("verify_report", *map(str, args), stdout=out, stderr=StringIO())
    return out.getvalue()


def _fails(*args) -> tuple[CommandError, str]:
    out = StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("verify_report", *map(str, args), stdout=out, stderr=StringIO())
    return raised.value, out.getvalue()


def _write(tmp_path, data, name="report.pdf"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_a_genuine_current_pdf_is_accepted(world, tmp_path):
    output = _run(_write(tmp_path, world.pdf(world.public_v2)))

    assert "Verdict: GENUINE" in output
    assert f"Known document {world.public_v2.document_id}" in output
    assert "Genuine and current" in output


def test_a_genuine_superseded_pdf_is_accepted_with_a_warning_naming_the_current_one(world, tmp_path):
    output = _run(_write(tmp_path, world.pdf(world.public_v1)))

    assert "Genuine but SUPERSEDED" in output
    assert "the report was corrected: publication version 2" in output
    assert f"Current version: {world.public_v2.document_id} (SHA-256 {world.public_v2.sha256})" in output


def test_a_newer_rendering_of_the_same_publication_supersedes_the_older_one(world, tmp_path):
    newer = render("public", report=world.report, admin=world.admin)

    output = _run(_write(tmp_path, world.pdf(world.public_v2)))

    assert f"a newer version, {newer.document_id}, was issued" in output
    assert "Genuine and current" not in output


def test_a_pdf_altered_by_one_byte_fails_with_the_reason(world, tmp_path):
    error, output = _fails(_write(tmp_path, byte_flipped(world.pdf(world.public_v2))))

    assert error.returncode == 1
    assert "Signature cryptographically intact" in str(error)
    assert "not a document this platform issued" in str(error)
    assert "Unknown: no ready document" in output


def test_a_pdf_re_signed_with_another_key_fails(world, tmp_path):
    forged = sign_with(unsigned_original(world.pdf(world.public_v2)), rogue_key(tmp_path / "rogue"))

    error, _ = _fails(_write(tmp_path, forged))

    assert error.returncode == 1
    assert "does not chain to the given root" in str(error)


def test_a_validly_signed_file_the_platform_never_issued_is_unknown(world, tmp_path):
    # The platform's own key over the same content, signed again: a valid signature, other bytes.
    resigned = sign_pdf(unsigned_original(world.pdf(world.public_v2)))

    error, output = _fails(_write(tmp_path, resigned))

    assert "✓ Signer trusted by the given root" in output  # the signature and manifest hold
    assert "✓ The log still holds the history this PDF was issued under" in output
    assert "✗ The log records the issue of this very file: the log does not serve this file's entry" in output
    assert error.returncode == 1
    assert str(error).startswith("NOT VERIFIED — The log records the issue of this very file: ")
    assert str(error).endswith("; the file's SHA-256 is not a document this platform issued")


def test_evidence_is_checked_when_a_folder_is_given(world, tmp_path):
    folder = world.evidence_folder(tmp_path / "evidence")
    pdf = _write(tmp_path, world.pdf(world.public_v2))

    assert "✓ Evidence files match the manifest" in _run(pdf, "--evidence", folder)

    victim = sorted(folder.iterdir())[0]
    data = bytearray(victim.read_bytes())
    data[3] ^= 0x01  # inside the header: the samples differ only in their last bytes
    victim.write_bytes(bytes(data))
    error, output = _fails(pdf, "--evidence", folder)

    assert error.returncode == 1
    assert "Evidence files match the manifest" in str(error)
    assert f"{victim.name}: SHA-256 " in output and "does not match evidence #" in output


def test_json_output_says_where_the_file_stands(world, tmp_path):
    data = json.loads(_run(_write(tmp_path, world.pdf(world.public_v1)), "--json"))

    assert data["ok"] is True
    assert data["platform"] == {
        "known": True,
        "document_id": world.public_v1.document_id,
        "kind": "public",
        "superseded": True,
        "superseded_reason": data["platform"]["superseded_reason"],
        "current_document_id": world.public_v2.document_id,
        "current_sha256": world.public_v2.sha256,
    }


def test_a_missing_file_is_a_usage_error(tmp_path):
    error, _ = _fails(tmp_path / "nothing.pdf")

    assert error.returncode == 2
    assert "Cannot read" in str(error)
