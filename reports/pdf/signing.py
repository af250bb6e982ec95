"""The platform's signing key: creating a local one, loading the configured one, signing PDFs
and other files (a detached CMS signature, e.g. of an audit bundle's manifest.json).

Every PDF gets an invisible PAdES certification signature that allows no changes; its widget is
a named form field in the structure tree (PDF/UA). Verifiers trust
only the published root certificate (`/verify/root.pem`, `manage.py signing_root`); the signing
certificate and any intermediates travel inside the signature.

The key is RSA (3072 bits, RSASSA-PKCS1-v1_5 with SHA-256), because the PDFs are PDF/A-3b on PDF
1.7 (reports/pdf/render.py says why that profile): pyHanko signs with an ECDSA key by registering
ISO/TS 32002 and raising the file to PDF 2.0, which a PDF/A-3 file may not declare. Keys made
before (ECDSA P-256) still load and sign, and every PDF they signed still verifies against their
root; `manage.py check` warns about them (`signing_key_warnings`) until `init_signing_key
--replace` makes an RSA key under a new root.

With PLEDGEPROOF_TSA_URL set, each signature (PDF or detached) also carries an RFC 3161 timestamp from that
authority (a signature timestamp token in the CMS unsigned attributes), so a verifier can judge the
certificates at a time the platform could not have chosen. An authority that does not answer makes
the signing fail, and with it that rendering, which is then recorded and retried like any other.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

ROOT_VALIDITY_DAYS = 3650
SIGNER_VALIDITY_DAYS = 825
RSA_KEY_BITS = 3072
TSA_TIMEOUT_SECONDS = 10


class SigningKeyMissing(ImproperlyConfigured):
    pass


class TimestampUnavailable(RuntimeError):
    """The configured timestamp authority gave no timestamp: nothing was signed."""


@dataclass(frozen=True)
class SigningFiles:
    key: Path
    cert: Path
    chain: Path

    @classmethod
    def from_settings(cls) -> SigningFiles:
        return cls(
            key=Path(settings.PLEDGEPROOF_SIGNING_KEY),
            cert=Path(settings.PLEDGEPROOF_SIGNING_CERT),
            chain=Path(settings.PLEDGEPROOF_SIGNING_CHAIN),
        )

    def exist(self) -> bool:
        return self.key.is_file() and self.cert.is_file() and self.chain.is_file()


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Pledgeproof (local)"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _key_usage(*, signer: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signer,
        content_commitment=signer,  # non-repudiation
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=not signer,
        crl_sign=not signer,
        encipher_only=False,
        decipher_only=False,
    )


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_BITS)


def signing_key_create(files: SigningFiles, *, common_name: str = "Pledgeproof local") -> None:
    """Create a private root and a report-signing certificate it issues (RSA, see the module doc).

    The root's private key is not kept: it signs the one signing certificate and is discarded, so
    a leaked file can never mint a second signer under the published root.
    """
    now = datetime.datetime.now(datetime.UTC)
    root_key = _new_key()
    root_name = _name(f"{common_name} root")
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=ROOT_VALIDITY_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(signer=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    signer_key = _new_key()
    signer = (
        x509.CertificateBuilder()
        .subject_name(_name(f"{common_name} report signing"))
        .issuer_name(root_name)
        .public_key(signer_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=SIGNER_VALIDITY_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(signer=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(signer_key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False
        )
        .sign(root_key, hashes.SHA256())
    )
    key_pem = signer_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    _write_private(files.key, key_pem)
    files.cert.parent.mkdir(parents=True, exist_ok=True)
    files.cert.write_bytes(_pem(signer))
    files.chain.parent.mkdir(parents=True, exist_ok=True)
    files.chain.write_bytes(_pem(root))
    signing_cache_clear()


def _load_pem_certs(path: Path) -> list[x509.Certificate]:
    try:
        return x509.load_pem_x509_certificates(path.read_bytes())
    except FileNotFoundError:
        raise SigningKeyMissing(
            f"No signing certificate chain at {path}. Run `python manage.py init_signing_key` "
            "or set PLEDGEPROOF_SIGNING_CHAIN."
        ) from None
    except ValueError as exc:
        raise ImproperlyConfigured(f"{path} holds no readable PEM certificates: {exc}") from None


def _is_self_signed(cert: x509.Certificate) -> bool:
    return cert.subject == cert.issuer


@dataclass(frozen=True)
class SigningMaterial:
    files: SigningFiles
    signer_cert: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    root: x509.Certificate

    @property
    def root_pem(self) -> bytes:
        return _pem(self.root)

    @property
    def root_fingerprint(self) -> str:
        return certificate_fingerprint(self.root)

    @property
    def signer_fingerprint(self) -> str:
        return certificate_fingerprint(self.signer_cert)

    @property
    def keeps_pdf_1_7(self) -> bool:
        """Whether signing with this key leaves the file at PDF 1.7 (PDF/A-3b); an EC key does not."""
        return isinstance(self.signer_cert.public_key(), rsa.RSAPublicKey)


def signing_key_warnings() -> list[str]:
    """What an operator should fix about the configured key (empty when nothing, or no key yet)."""
    try:
        material = signing_material()
    except ImproperlyConfigured:
        return []
    if material.keeps_pdf_1_7:
        return []
    kind = type(material.signer_cert.public_key()).__name__.removeprefix("_")
    return [
        f"The report-signing key {material.files.key} is not RSA ({kind}): pyHanko raises the PDFs it "
        "signs to PDF 2.0, which contradicts their PDF/A-3b claim. Run `python manage.py "
        "init_signing_key --replace` (a new root: publish it, and keep the old root.pem for the PDFs "
        "signed before) or install an RSA key and certificate."
    ]


def certificate_fingerprint(cert: x509.Certificate) -> str:
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


@lru_cache(maxsize=4)
def _material(files: SigningFiles) -> SigningMaterial:
    if not files.exist():
        raise SigningKeyMissing(
            "The platform's signing key is not set up: expected "
            f"{files.key}, {files.cert} and {files.chain}. Run `python manage.py init_signing_key`, "
            "or point PLEDGEPROOF_SIGNING_KEY, PLEDGEPROOF_SIGNING_CERT and PLEDGEPROOF_SIGNING_CHAIN "
            "at the production key and chain."
        )
    signer = _load_pem_certs(files.cert)[0]
    chain = tuple(_load_pem_certs(files.chain))
    roots = [cert for cert in chain if _is_self_signed(cert)]
    if len(roots) != 1:
        raise ImproperlyConfigured(
            f"{files.chain} must end in exactly one self-signed root certificate; found {len(roots)}."
        )
    return SigningMaterial(files=files, signer_cert=signer, chain=chain, root=roots[0])


def signing_material() -> SigningMaterial:
    return _material(SigningFiles.from_settings())


def signing_cache_clear() -> None:
    """Forget loaded keys, e.g. after init_signing_key replaced them."""
    _material.cache_clear()
    _signer.cache_clear()


@lru_cache(maxsize=4)
def _signer(files: SigningFiles, passphrase: str):
    from pyhanko.sign import signers

    signer = signers.SimpleSigner.load(
        key_file=str(files.key),
        cert_file=str(files.cert),
        ca_chain_files=(str(files.chain),),
        key_passphrase=passphrase.encode() if passphrase else None,
    )
    if signer is None:
        raise ImproperlyConfigured(
            f"Could not load the signing key {files.key} with its certificate {files.cert} "
            "(wrong passphrase or a key that does not match the certificate?)."
        )
    return signer


def _timestamper():
    from pyhanko.sign import timestamps

    tsa_url = settings.PLEDGEPROOF_TSA_URL
    return timestamps.HTTPTimeStamper(tsa_url, timeout=TSA_TIMEOUT_SECONDS) if tsa_url else None


def _timestamp_unavailable(exc: Exception, what: str) -> TimestampUnavailable:
    cause = exc.__cause__ or exc
    return TimestampUnavailable(
        f"The timestamp authority {settings.PLEDGEPROOF_TSA_URL} gave no timestamp ({cause}), so {what} "
        "was not signed. Retry once it answers."
    )


SIGNATURE_FIELD = "PledgeproofCertification"
SIGNATURE_LABEL = "Pledgeproof certification signature"


def sign_pdf(data: bytes) -> bytes:
    """Add an invisible PAdES certification signature that permits no further changes."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers, timestamps

    material = signing_material()
    signer = _signer(material.files, settings.PLEDGEPROOF_SIGNING_KEY_PASSPHRASE)
    metadata = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        certify=True,
        docmdp_permissions=fields.MDPPerm.NO_CHANGES,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason="Pledgeproof report: certified, no changes allowed",
        location=settings.SITE_URL,
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    fields.append_signature_field(
        writer, fields.SigFieldSpec(sig_field_name=SIGNATURE_FIELD, readable_field_name=SIGNATURE_LABEL)
    )
    _tag_signature_field(writer)
    try:
        output = signers.PdfSigner(metadata, signer=signer, timestamper=_timestamper()).sign_pdf(writer)
    except timestamps.TimestampRequestError as exc:
        raise _timestamp_unavailable(exc, "the PDF") from exc
    return output.getvalue()


def sign_detached(data: bytes) -> bytes:
    """A detached CMS signature (DER, as in a `.p7s` file) of `data` by the platform's key: SHA-256,
    the signing certificate and its chain inside, a signing-time attribute and, with a timestamp
    authority configured, its RFC 3161 signature timestamp. Anyone holding the root checks it
    (tools/verify_bundle.py does it with pyHanko's validate_detached_cms; `openssl cms -verify
    -binary -inform DER -content FILE -CAfile root.pem` does too)."""
    import asyncio

    from pyhanko.sign import timestamps
    from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes

    material = signing_material()
    signer = _signer(material.files, settings.PLEDGEPROOF_SIGNING_KEY_PASSPHRASE)
    attributes = PdfCMSSignedAttributes(signing_time=datetime.datetime.now(datetime.UTC))
    try:
        # pyHanko 0.38 offers this only as a coroutine (its own sync APIs wrap them the same way).
        signed = asyncio.run(
            signer.async_sign_general_data(
                data,
                "sha256",
                detached=True,
                timestamper=_timestamper(),
                signed_attr_settings=attributes,
            )
        )
    except timestamps.TimestampRequestError as exc:
        raise _timestamp_unavailable(exc, "the file") from exc
    return signed.dump()


def _tag_signature_field(writer) -> None:
    """Put the signature's widget in the structure tree, in a Form element, as PDF/UA wants of
    every annotation on a page (PDF/A forbids hiding it instead). Untagged input is left alone."""
    from pyhanko.pdf_utils import generic

    tree_ref = writer.root.raw_get("/StructTreeRoot") if "/StructTreeRoot" in writer.root else None
    if tree_ref is None:
        return
    tree = tree_ref.get_object()
    field_ref = next(
        ref for ref in writer.root["/AcroForm"]["/Fields"] if ref.get_object().get("/T") == SIGNATURE_FIELD
    )
    widget = field_ref.get_object()
    kids = tree["/K"]
    document_ref = kids.raw_get(0) if isinstance(kids, generic.ArrayObject) else tree.raw_get("/K")
    document = document_ref.get_object()
    parent_tree = tree["/ParentTree"]
    numbers = parent_tree["/Nums"]
    keys = [int(numbers.raw_get(index)) for index in range(0, len(numbers), 2)]
    key = max([*keys, int(tree.get("/ParentTreeNextKey", 0)) - 1]) + 1

    form = generic.DictionaryObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/StructElem"),
            generic.NameObject("/S"): generic.NameObject("/Form"),
            generic.NameObject("/P"): document_ref,
            generic.NameObject("/Alt"): generic.TextStringObject(SIGNATURE_LABEL),
            generic.NameObject("/K"): generic.DictionaryObject(
                {
                    generic.NameObject("/Type"): generic.NameObject("/OBJR"),
                    generic.NameObject("/Obj"): field_ref,
                    generic.NameObject("/Pg"): widget.raw_get("/P"),
                }
            ),
        }
    )
    form_ref = writer.add_object(form)
    document_kids = document.raw_get("/K")
    if not isinstance(document_kids, generic.ArrayObject):
        document_kids = document["/K"] = generic.ArrayObject([document.raw_get("/K")])
    document_kids.append(form_ref)
    numbers.append(generic.NumberObject(key))
    numbers.append(form_ref)
    tree["/ParentTreeNextKey"] = generic.NumberObject(key + 1)
    widget["/StructParent"] = generic.NumberObject(key)
    for changed in (document, parent_tree, tree, widget):
        writer.update_container(changed)
