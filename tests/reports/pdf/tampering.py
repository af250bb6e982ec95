"""Forged and damaged variants of a signed PDF, made the way an attacker would make them."""

import io
import json
from pathlib import Path

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers

from reports.pdf.signing import SigningFiles, signing_key_create


def byte_flipped(signed: bytes) -> bytes:
    """One byte changed inside the first content stream: the kind of edit no viewer shows."""
    start = signed.index(b"stream\n") + len(b"stream\n") + 10
    altered = bytearray(signed)
    altered[start] ^= 0x01
    return bytes(altered)


def unsigned_original(signed: bytes) -> bytes:
    """The PDF as WeasyPrint wrote it: pyHanko signs by appending, so it is the first revision."""
    end = signed.index(b"%%EOF") + len(b"%%EOF")
    return signed[: end + 1] if signed[end : end + 1] == b"\n" else signed[:end]


def rogue_key(folder: Path) -> SigningFiles:
    """A complete root + signer pair that is not the platform's."""
    files = SigningFiles(key=folder / "key.pem", cert=folder / "cert.pem", chain=folder / "chain.pem")
    signing_key_create(files, common_name="Pledgeproof")  # same names as the real one, other keys
    return files


class _DocMdpIgnoringSigner(signers.PdfSigner):
    """pyHanko politely refuses to sign a document certified "no changes"; a forger does not."""

    def _enforce_certification_constraints(self, reader):
        return None


def sign_with(data: bytes, files: SigningFiles, *, certify: bool = True) -> bytes:
    """A certification signature like the platform's made with another key, or with
    `certify=False` an approval signature added to an already signed file."""
    signer = signers.SimpleSigner.load(
        key_file=str(files.key), cert_file=str(files.cert), ca_chain_files=(str(files.chain),)
    )
    metadata = signers.PdfSignatureMetadata(
        field_name="PledgeproofCertification" if certify else "Countersignature",
        certify=certify,
        docmdp_permissions=fields.MDPPerm.NO_CHANGES,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    pdf_signer = signers.PdfSigner if certify else _DocMdpIgnoringSigner
    return pdf_signer(metadata, signer=signer).sign_pdf(writer).getvalue()


def sign_detached_with(data: bytes, files: SigningFiles) -> bytes:
    """A detached CMS signature like reports.pdf.signing.sign_detached's, made with another key."""
    import asyncio

    signer = signers.SimpleSigner.load(
        key_file=str(files.key), cert_file=str(files.cert), ca_chain_files=(str(files.chain),)
    )
    return asyncio.run(signer.async_sign_general_data(data, "sha256", detached=True)).dump()


def manifest_read(data: bytes) -> dict:
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(io.BytesIO(data), strict=False)
    spec = reader.root["/Names"]["/EmbeddedFiles"]["/Names"][1].get_object()
    return json.loads(spec["/EF"]["/F"].get_object().data)


def manifest_replaced(data: bytes, manifest: dict) -> bytes:
    """An incremental update pointing manifest.json at new content; the old bytes stay in the file."""
    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    names = writer.root["/Names"]["/EmbeddedFiles"]["/Names"]
    spec_ref = names.raw_get(1)
    spec = spec_ref.get_object()
    stream = generic.StreamObject(
        {"/Type": generic.pdf_name("/EmbeddedFile"), "/Subtype": generic.pdf_name("/application#2Fjson")},
        stream_data=json.dumps(manifest, sort_keys=True).encode(),
    )
    spec["/EF"]["/F"] = writer.add_object(stream)
    writer.mark_update(spec_ref)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
