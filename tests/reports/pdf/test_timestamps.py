"""RFC 3161 timestamps (issue 16, part 4): with PLEDGEPROOF_TSA_URL set every signature carries
one; the verifiers (tools/verify_report.py, its --json, manage.py verify_report, the verify page)
report its time and authority and judge the certificates at that time; an authority that does not
answer fails the rendering like any signing failure, with the reason, and a retry renders it.

A local authority (tests/reports/pdf/tsa.py: pyHanko's DummyTimeStamper over HTTP, with its own
root) answers, so the timestamped path runs in CI with no network.
"""

import base64
import datetime
import json
from pathlib import Path

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from reports.apps import tsa_roots_check
from reports.models import ArtifactStatus
from reports.pdf.render import html_to_pdf
from reports.pdf.services import artifact_render, artifact_request, artifact_retry
from reports.pdf.signing import sign_pdf
from tests.reports.pdf.tsa import TSA_NAME, dead_url, local_tsa, tsa_keys_create
from tests.reports.public_builders import published
from tools import verify_report
from tools.verify_report import load_certificates, verify_pdf_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def tsa_keys():
    return tsa_keys_create()


@pytest.fixture
def stamped_at():
    """The time the local authority states: now, to the second (a timestamp after the key was made)."""
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0)


@pytest.fixture
def tsa(tsa_keys, stamped_at, settings):
    with local_tsa(tsa_keys, fixed_time=stamped_at) as running:
        settings.PLEDGEPROOF_TSA_URL = running.url
        yield running


@pytest.fixture
def tsa_root_file(tmp_path, tsa_keys) -> Path:
    path = tmp_path / "tsa-root.pem"
    path.write_bytes(tsa_keys.root_pem)
    return path


def _signed(signing_key) -> bytes:
    manifest = json.dumps({"signing_certificate_sha256": signing_key.signer_fingerprint}).encode()
    return sign_pdf(html_to_pdf('<html lang="en"><h1>Timestamped</h1></html>', manifest_json=manifest).data)


def _iso(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).isoformat()


# --- signing ------------------------------------------------------------------------------------


def test_with_an_authority_configured_the_signature_carries_its_timestamp(
    tsa, tsa_keys, stamped_at, signing_key
):
    signed = _signed(signing_key)

    assert tsa.answered and set(tsa.answered) == {"/tsa"}  # asked at the configured address
    roots = load_certificates(tsa_keys.root_pem)
    result = verify_pdf_bytes(signed, root=signing_key.root_pem, tsa_roots=roots)
    assert result.ok, result.failures
    signature = result.signature
    assert signature.timestamp_time == _iso(stamped_at)
    assert TSA_NAME in signature.timestamp_authority
    assert signature.timestamp_trusted is True
    assert signature.certificates_judged_at == _iso(stamped_at)
    timestamp_check = next(check for check in result.checks if check.key == "timestamp")
    assert timestamp_check.ok and TSA_NAME in timestamp_check.detail


def test_without_an_authority_the_signature_has_no_timestamp_and_is_judged_now(signing_key, settings):
    settings.PLEDGEPROOF_TSA_URL = ""

    result = verify_pdf_bytes(_signed(signing_key), root=signing_key.root_pem)

    assert result.ok
    assert result.signature.timestamp_time is None and result.signature.timestamp_authority is None
    assert result.signature.timestamp_trusted is None and result.signature.certificates_judged_at is None
    assert "timestamp" not in {check.key for check in result.checks}


def test_a_timestamp_no_given_root_covers_is_shown_but_not_vouched_for(tsa, stamped_at, signing_key):
    result = verify_pdf_bytes(_signed(signing_key), root=signing_key.root_pem)

    assert result.ok  # the signature itself is fine today
    assert result.signature.timestamp_time == _iso(stamped_at)
    assert result.signature.timestamp_trusted is False
    assert result.signature.certificates_judged_at is None  # judged now, not at an unproven time
    assert any("--tsa-root" in note for note in result.notes)


def test_the_certificates_are_judged_at_the_timestamp_so_the_pdf_verifies_after_the_signer_expires(
    tsa, tsa_keys, stamped_at, signing_key
):
    signed = _signed(signing_key)
    expired = signing_key.signer_cert.not_valid_after_utc + datetime.timedelta(days=30)

    with time_machine.travel(expired):
        unproven = verify_pdf_bytes(signed, root=signing_key.root_pem)
        vouched = verify_pdf_bytes(
            signed, root=signing_key.root_pem, tsa_roots=load_certificates(tsa_keys.root_pem)
        )

    trusted = {check.key: check for check in unproven.checks}["trusted"]
    assert not trusted.ok
    assert "expired" in trusted.detail or "not valid" in trusted.detail
    assert vouched.ok, vouched.failures
    assert vouched.signature.certificates_judged_at == _iso(stamped_at)


def test_a_forged_timestamp_root_does_not_vouch_for_the_time(tsa, signing_key):
    other_authority = tsa_keys_create()  # same names, other keys

    result = verify_pdf_bytes(
        _signed(signing_key), root=signing_key.root_pem, tsa_roots=load_certificates(other_authority.root_pem)
    )

    assert result.signature.timestamp_trusted is False
    assert result.signature.certificates_judged_at is None


# --- the standalone verifier's command line -------------------------------------------------------


def test_the_command_line_reports_the_timestamp_in_text_and_json(
    tsa, stamped_at, signing_key, tsa_root_file, tmp_path, capsys
):
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(_signed(signing_key))
    root = tmp_path / "root.pem"
    root.write_bytes(signing_key.root_pem)
    arguments = [str(pdf), "--root", str(root), "--tsa-root", str(tsa_root_file)]

    assert verify_report.main(arguments) == verify_report.EXIT_OK
    text = capsys.readouterr().out
    assert f"Timestamp     {_iso(stamped_at)} by " in text and TSA_NAME in text and "(vouched for)" in text
    assert f"Judged at     {_iso(stamped_at)}" in text

    assert verify_report.main([*arguments, "--json"]) == verify_report.EXIT_OK
    signature = json.loads(capsys.readouterr().out)["signature"]
    assert signature["timestamp_time"] == _iso(stamped_at)
    assert TSA_NAME in signature["timestamp_authority"]
    assert signature["timestamp_trusted"] is True
    assert signature["certificates_judged_at"] == _iso(stamped_at)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n",
        b"\x30\x82\xff\xff" + b"\x00" * 64,  # a DER header promising more than there is
        b"%PDF-1.7\n-----BEGIN CERTIFICATE-----\n",  # a polyglot: a PDF that starts a PEM block
        b"A" * (2 * 1024 * 1024),  # oversized garbage
    ],
    ids=["empty", "malformed-pem", "truncated-der", "polyglot", "oversized"],
)
def test_an_unusable_timestamp_root_is_a_usage_error_not_a_crash(
    signing_key, tmp_path, capsys, content, settings
):
    settings.PLEDGEPROOF_TSA_URL = ""
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(_signed(signing_key))
    root = tmp_path / "root.pem"
    root.write_bytes(signing_key.root_pem)
    bad = tmp_path / "tsa-root.pem"
    bad.write_bytes(content)

    status = verify_report.main([str(pdf), "--root", str(root), "--tsa-root", str(bad)])

    assert status == verify_report.EXIT_USAGE
    assert "tsa-root.pem" in capsys.readouterr().err


def _pem(body: bytes) -> bytes:
    return b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(body) + b"-----END CERTIFICATE-----\n"


@hypothesis_settings(max_examples=200, deadline=None)
@given(data=st.one_of(st.binary(max_size=2048), st.binary(max_size=1024).map(_pem)))
def test_reading_timestamp_roots_either_finds_certificates_or_says_why(data):
    try:
        certificates = load_certificates(data)
    except verify_report.UsageError as exc:
        assert str(exc)
    else:
        assert certificates and all(cert.subject is not None for cert in certificates)


def test_reading_timestamp_roots_finds_every_certificate_of_a_bundle(tsa_keys, signing_key):
    bundle = tsa_keys.root_pem + signing_key.root_pem

    assert len(load_certificates(bundle)) == 2


def test_a_missing_timestamp_root_file_is_a_usage_error(signing_key, tmp_path, capsys):
    root = tmp_path / "root.pem"
    root.write_bytes(signing_key.root_pem)
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.7\n")

    status = verify_report.main([str(pdf), "--root", str(root), "--tsa-root", str(tmp_path / "absent.pem")])

    assert status == verify_report.EXIT_USAGE
    assert "cannot read the timestamp authority root" in capsys.readouterr().err


# --- the platform's verifiers -------------------------------------------------------------------


def test_the_verify_page_shows_the_timestamp_vouched_for_by_the_configured_root(
    client, tsa, stamped_at, signing_key, tsa_root_file, settings
):
    settings.PLEDGEPROOF_TSA_ROOTS = str(tsa_root_file)
    upload = SimpleUploadedFile("report.pdf", _signed(signing_key), content_type="application/pdf")

    response = client.post(reverse("verify:index"), {"pdf": upload})

    assert response.status_code == 200
    text = response.content.decode()
    assert _iso(stamped_at) in text and TSA_NAME in text
    assert "vouched for by the authority" in text
    assert "(the timestamp&#x27;s time)" in text or "(the timestamp's time)" in text


def test_the_verify_page_without_the_authoritys_root_says_the_timestamp_is_not_vouched_for(
    client, tsa, stamped_at, signing_key, settings
):
    settings.PLEDGEPROOF_TSA_ROOTS = ""
    upload = SimpleUploadedFile("report.pdf", _signed(signing_key), content_type="application/pdf")

    text = client.post(reverse("verify:index"), {"pdf": upload}).content.decode()

    assert _iso(stamped_at) in text and "not vouched for" in text
    assert "the time of this check" in text


@pytest.mark.parametrize("content", [b"", b"not a certificate", None], ids=["empty", "garbage", "missing"])
def test_an_unreadable_authority_root_file_leaves_the_page_working_and_check_names_it(
    client, tsa, stamped_at, signing_key, settings, tmp_path, content
):
    path = tmp_path / "tsa-roots.pem"
    if content is not None:
        path.write_bytes(content)
    settings.PLEDGEPROOF_TSA_ROOTS = str(path)
    upload = SimpleUploadedFile("report.pdf", _signed(signing_key), content_type="application/pdf")

    response = client.post(reverse("verify:index"), {"pdf": upload})

    assert response.status_code == 200
    assert _iso(stamped_at) in response.content.decode() and "not vouched for" in response.content.decode()
    (warning,) = tsa_roots_check()
    assert warning.id == "reports.W002" and str(path) in warning.msg


def test_check_is_silent_about_a_readable_authority_root_file(tsa_root_file, settings):
    settings.PLEDGEPROOF_TSA_ROOTS = str(tsa_root_file)
    assert tsa_roots_check() == []


def test_manage_verify_report_prints_the_timestamp(
    tsa, stamped_at, signing_key, tsa_root_file, settings, tmp_path, capsys
):
    settings.PLEDGEPROOF_TSA_ROOTS = str(tsa_root_file)
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(_signed(signing_key))

    with pytest.raises(CommandError):  # not an artifact of this platform: exit 1, after the report
        call_command("verify_report", str(pdf))

    text = capsys.readouterr().out
    assert f"Timestamp     {_iso(stamped_at)}" in text and "(vouched for)" in text


# --- an authority that does not answer ------------------------------------------------------------


def test_a_dead_authority_fails_the_rendering_with_the_reason_and_a_retry_with_it_back_renders(
    org,
    period,
    reviewer,
    program_admin,
    settings,
    tsa_keys,
    stamped_at,
    client,
    django_capture_on_commit_callbacks,
):
    report = published(org, period, reviewer=reviewer, admin=program_admin)
    artifact = artifact_request(kind="public", acting_user=program_admin, report=report, queue=False)
    settings.PLEDGEPROOF_TSA_URL = dead_url()

    failed = artifact_render(artifact.pk)

    assert failed.status == ArtifactStatus.FAILED
    assert failed.failure_reason.startswith(
        f"TimestampUnavailable: The timestamp authority {settings.PLEDGEPROOF_TSA_URL} gave no timestamp"
    )
    assert not failed.storage_name
    client.force_login(program_admin)
    page = client.get(reverse("documents:report", kwargs={"report_id": report.pk}))
    assert page.status_code == 200 and "gave no timestamp" in page.content.decode()

    with local_tsa(tsa_keys, fixed_time=stamped_at) as running:
        settings.PLEDGEPROOF_TSA_URL = running.url
        with django_capture_on_commit_callbacks(execute=True):
            artifact_retry(artifact=failed, acting_user=program_admin)
    artifact.refresh_from_db()
    assert artifact.status == ArtifactStatus.READY, artifact.failure_reason
    assert running.answered
