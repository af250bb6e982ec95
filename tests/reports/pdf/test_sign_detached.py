"""reports.pdf.signing.sign_detached: a detached CMS signature (DER) of any file by the platform's
key, as the audit bundle's manifest.json.p7s. Judged here as an outsider would: pyHanko's
validate_detached_cms against the published root, and OpenSSL's `cms -verify` when it is installed.
"""

import asyncio
import datetime
import os
import shutil
import subprocess

import pytest
from asn1crypto import cms
from pyhanko.sign.validation import async_validate_detached_cms
from pyhanko_certvalidator import ValidationContext

from reports.pdf.signing import SigningFiles, TimestampUnavailable, sign_detached, signing_material
from tests.reports.pdf.test_signing_key import ec_key_create
from tests.reports.pdf.tsa import TSA_NAME, dead_url, local_tsa, tsa_keys_create
from tools.verify_report import load_certificates, load_root

DATA = b'{"format": "pledgeproof-audit-bundle", "files": {}}\n'


def _ec_key(folder, settings=None) -> SigningFiles:
    """An ECDSA key as init_signing_key made them before issue 16; `settings`: made the platform's."""
    folder.mkdir(parents=True, exist_ok=True)
    files = SigningFiles(key=folder / "key.pem", cert=folder / "cert.pem", chain=folder / "chain.pem")
    ec_key_create(files)
    if settings is not None:
        settings.PLEDGEPROOF_SIGNING_KEY = files.key
        settings.PLEDGEPROOF_SIGNING_CERT = files.cert
        settings.PLEDGEPROOF_SIGNING_CHAIN = files.chain
    return files


def _status(data: bytes, signature: bytes, root_pem: bytes, tsa_roots=()):
    signed = cms.ContentInfo.load(signature)["content"]
    context = ValidationContext(trust_roots=[load_root(root_pem)], allow_fetching=False)
    ts_context = ValidationContext(trust_roots=[load_root(root_pem), *tsa_roots], allow_fetching=False)
    return asyncio.run(
        async_validate_detached_cms(
            data, signed, signer_validation_context=context, ts_validation_context=ts_context
        )
    )


def test_it_is_a_detached_signature_with_the_chain_inside_that_the_root_vouches_for(signing_key, settings):
    settings.PLEDGEPROOF_TSA_URL = ""

    signature = sign_detached(DATA)

    signed = cms.ContentInfo.load(signature)["content"]
    assert signed["encap_content_info"]["content"].native is None  # detached: the file is not inside
    inside = {cert.chosen.dump() for cert in signed["certificates"]}
    assert load_root(signing_key.root_pem).dump() in inside
    status = _status(DATA, signature, signing_key.root_pem)
    assert status.bottom_line
    assert status.signer_reported_dt is not None and status.timestamp_validity is None


def test_it_fails_for_another_file_and_for_another_root(signing_key, settings, tmp_path):
    settings.PLEDGEPROOF_TSA_URL = ""
    signature = sign_detached(DATA)
    other = _ec_key(tmp_path / "other")

    changed = _status(DATA.replace(b"{}", b'{"a": "b"}'), signature, signing_key.root_pem)
    elsewhere = _status(DATA, signature, other.chain.read_bytes())

    assert not changed.intact
    assert changed.valid is False or not changed.bottom_line
    assert elsewhere.intact and not elsewhere.trusted


def test_an_earlier_ec_key_signs_too(tmp_path, settings):
    settings.PLEDGEPROOF_TSA_URL = ""
    _ec_key(tmp_path, settings)

    signature = sign_detached(DATA)

    assert _status(DATA, signature, signing_material().root_pem).bottom_line


def test_with_an_authority_configured_it_carries_a_timestamp_the_authoritys_root_vouches_for(
    signing_key, settings
):
    keys = tsa_keys_create()
    stamped_at = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    with local_tsa(keys, fixed_time=stamped_at) as tsa:
        settings.PLEDGEPROOF_TSA_URL = tsa.url
        signature = sign_detached(DATA)

    assert tsa.answered == ["/tsa"]
    status = _status(DATA, signature, signing_key.root_pem, tsa_roots=load_certificates(keys.root_pem))
    assert status.bottom_line
    assert status.timestamp_validity.timestamp == stamped_at
    assert TSA_NAME in status.timestamp_validity.signing_cert.subject.human_friendly


def test_an_authority_that_does_not_answer_signs_nothing_and_says_which(signing_key, settings):
    settings.PLEDGEPROOF_TSA_URL = dead_url()

    with pytest.raises(TimestampUnavailable) as raised:
        sign_detached(DATA)

    assert settings.PLEDGEPROOF_TSA_URL in str(raised.value)
    assert "the file was not signed" in str(raised.value)


def test_openssl_accepts_it_with_the_root(signing_key, settings, tmp_path):
    if shutil.which("openssl") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must have OpenSSL's command: it is the outside verifier VERIFY.md names")
        pytest.skip("OpenSSL's command is not installed")
    settings.PLEDGEPROOF_TSA_URL = ""
    (tmp_path / "manifest.json").write_bytes(DATA)
    (tmp_path / "manifest.json.p7s").write_bytes(sign_detached(DATA))
    (tmp_path / "root.pem").write_bytes(signing_key.root_pem)
    command = ["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", "manifest.json.p7s"]
    command += ["-content", "manifest.json", "-CAfile", "root.pem", "-out", "/dev/null"]

    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=False)
    (tmp_path / "manifest.json").write_bytes(DATA + b" ")
    changed = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=False)

    assert done.returncode == 0, done.stderr
    assert changed.returncode != 0
