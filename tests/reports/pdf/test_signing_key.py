"""The platform's signing key is RSA, so that signed PDFs stay PDF 1.7 (PDF/A-3b); an ECDSA key
made before still signs and verifies, and `manage.py check` and `init_signing_key` say how to
replace it (issue 16, part 3)."""

import datetime
import io
import json

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from django.core.management import call_command
from pyhanko.pdf_utils.reader import PdfFileReader

from reports.apps import signing_key_check
from reports.pdf.render import html_to_pdf
from reports.pdf.signing import (
    RSA_KEY_BITS,
    SigningFiles,
    _key_usage,
    sign_pdf,
    signing_key_create,
    signing_material,
)
from tools.verify_report import verify_pdf_bytes


def _files(folder) -> SigningFiles:
    return SigningFiles(key=folder / "key.pem", cert=folder / "cert.pem", chain=folder / "chain.pem")


def _use(settings, files: SigningFiles) -> None:
    settings.PLEDGEPROOF_SIGNING_KEY = files.key
    settings.PLEDGEPROOF_SIGNING_CERT = files.cert
    settings.PLEDGEPROOF_SIGNING_CHAIN = files.chain


def ec_key_create(files: SigningFiles) -> None:
    """A root and signer as init_signing_key made them before issue 16: ECDSA P-256."""
    now = datetime.datetime.now(datetime.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Pledgeproof earlier root")])
    root_key = ec.generate_private_key(ec.SECP256R1())
    root = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(signer=False), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Pledgeproof earlier signer")]))
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(signer=True), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    files.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    files.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.chain.write_bytes(root.public_bytes(serialization.Encoding.PEM))


def _signed(material) -> bytes:
    manifest = json.dumps({"signing_certificate_sha256": material.signer_fingerprint}).encode()
    return sign_pdf(html_to_pdf('<html lang="en"><h1>Key</h1></html>', manifest_json=manifest).data)


def test_a_new_signing_key_is_rsa_and_check_is_silent(tmp_path, settings):
    files = _files(tmp_path)
    signing_key_create(files, common_name="Pledgeproof key test")
    _use(settings, files)

    material = signing_material()
    for cert in (material.signer_cert, material.root):
        assert isinstance(cert.public_key(), rsa.RSAPublicKey)
        assert cert.public_key().key_size == RSA_KEY_BITS
    assert signing_key_check() == []


def test_a_pdf_signed_with_the_rsa_key_declares_no_pdf_2_0(settings):
    signed = _signed(signing_material())

    reader = PdfFileReader(io.BytesIO(signed))
    assert signed.startswith(b"%PDF-1.7")
    assert reader.root.get("/Version") in (None, "/1.7")


def test_an_earlier_ec_key_still_signs_and_verifies_but_check_names_the_problem(tmp_path, settings):
    files = _files(tmp_path)
    ec_key_create(files)
    _use(settings, files)
    material = signing_material()

    signed = _signed(material)

    assert verify_pdf_bytes(signed, root=material.root_pem).ok
    # Why it is a problem: pyHanko raises an ECDSA-signed file to PDF 2.0 (ISO/TS 32002).
    assert PdfFileReader(io.BytesIO(signed)).root.get("/Version") == "/2.0"
    (warning,) = signing_key_check()
    assert warning.id == "reports.W001"
    assert str(files.key) in warning.msg and "init_signing_key --replace" in warning.msg


def test_init_signing_key_warns_about_an_ec_key_and_replace_makes_an_rsa_one(tmp_path, settings):
    files = _files(tmp_path)
    ec_key_create(files)
    _use(settings, files)
    out, err = io.StringIO(), io.StringIO()

    call_command("init_signing_key", stdout=out, stderr=err)

    assert "nothing changed" in out.getvalue()
    assert "not RSA" in err.getvalue() and "--replace" in err.getvalue()
    assert isinstance(signing_material().signer_cert.public_key(), ec.EllipticCurvePublicKey)

    call_command("init_signing_key", "--replace", stdout=io.StringIO(), stderr=io.StringIO())

    assert isinstance(signing_material().signer_cert.public_key(), rsa.RSAPublicKey)
    assert signing_key_check() == []
