"""Files an attacker would upload as evidence, built at test time.

Each entry is (a function making the bytes, the name the file is uploaded under, a fragment of
the message the refusal must show). PDFs are written by hand (tests.samples.pdf_document) or
with pypdf, so that each carries exactly the one thing under test.
"""

from __future__ import annotations

import base64
import io
import struct
import zlib
from collections.abc import Callable

from pypdf import PdfWriter
from pypdf.annotations import Link

from tests.samples import jpeg_bytes, pdf_bytes, pdf_document, pdf_page, pdf_stream, png_bytes, zip_bytes

DEPICTS = "Evidence describes, it never depicts"
NOT_READABLE = "This file starts like a PDF but is not a readable PDF"
ACTIVE = "evidence must be a plain document that runs nothing"

RGB_PIXEL = b"\xff\x00\x00"
IMAGE_XOBJECT = pdf_stream(
    b"/Type /XObject /Subtype /Image /Width 1 /Height 1 /ColorSpace /DeviceRGB /BitsPerComponent 8", RGB_PIXEL
)
JS_ACTION = b"<< /Type /Action /S /JavaScript /JS (app.alert\\(1\\)) >>"


def text_pdf_with_link() -> bytes:
    """What an officer should upload: text and an ordinary web link (pypdf's writer)."""
    reader_bytes = pdf_bytes("Hash matching covers every upload; details at example.test.")
    writer = PdfWriter(clone_from=io.BytesIO(reader_bytes))
    writer.add_annotation(0, Link(rect=(72, 700, 300, 730), url="https://example.test/policy"))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def weasyprint_pdf() -> bytes:
    from weasyprint import HTML

    html = (
        "<h1>Child safety policy</h1><p>Every upload is hash-matched against known material; "
        "see <a href='https://example.test/policy'>the published policy</a>.</p>"
    )
    return HTML(string=html).write_pdf()


def image_pdf() -> bytes:
    return pdf_page(
        b"q 100 0 0 100 72 600 cm /Im1 Do Q", resources=b"/XObject << /Im1 6 0 R >>", extra=(IMAGE_XOBJECT,)
    )


def inline_image_pdf() -> bytes:
    return pdf_page(b"q 100 0 0 100 72 600 cm BI /W 1 /H 1 /CS /RGB /BPC 8 ID " + RGB_PIXEL + b" EI Q")


def orphan_image_pdf() -> bytes:
    """An image object nothing refers to: no page draws it, but the file carries it."""
    return pdf_page(extra=(IMAGE_XOBJECT,))


def unlisted_image_pdf() -> bytes:
    """An image object the cross-reference table does not even list."""
    document = pdf_bytes()
    hidden = b"99 0 obj\n" + IMAGE_XOBJECT + b"\nendobj\n"
    cut = document.index(b"xref")
    start = int(document.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    document = document[:cut] + hidden + document[cut:]
    return document.replace(b"startxref\n%d\n" % start, b"startxref\n%d\n" % (start + len(hidden)))


def bitmap_font_pdf() -> bytes:
    """A TrueType font whose glyphs are pictures (an sbix table holds PNG or JPEG images)."""
    font = b"\x00\x01\x00\x00" + struct.pack(">HHHH", 1, 16, 0, 0) + b"sbix" + bytes(12)
    return pdf_page(extra=(pdf_stream(b"/Length1 %d" % len(font), font),))


def xmp_thumbnail_pdf() -> bytes:
    """The thumbnail image editors keep in XMP metadata, as base64 text in XML."""
    thumbnail = base64.encodebytes(jpeg_bytes() * 4)
    xmp = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description><xmp:Thumbnails><rdf:Alt>'
        b"<rdf:li><xmpGImg:image>" + thumbnail + b"</xmpGImg:image></rdf:li></rdf:Alt></xmp:Thumbnails>"
        b"</rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    return pdf_page(catalog=b"/Metadata 6 0 R", extra=(pdf_stream(b"/Type /Metadata /Subtype /XML", xmp),))


def jpeg_image_pdf() -> bytes:
    """A JPEG stream without /Subtype /Image: its codec alone gives it away."""
    return pdf_page(extra=(pdf_stream(b"/Filter /DCTDecode", jpeg_bytes()),))


def js_open_action_pdf() -> bytes:
    return pdf_page(catalog=b"/OpenAction 6 0 R", extra=(JS_ACTION,))


def js_name_tree_pdf() -> bytes:
    return pdf_page(catalog=b"/Names << /JavaScript << /Names [(init) 6 0 R] >> >>", extra=(JS_ACTION,))


def js_link_pdf() -> bytes:
    link = b"<< /Type /Annot /Subtype /Link /Rect [72 700 300 730] /A 7 0 R >>"
    return pdf_page(page=b"/Annots [6 0 R]", extra=(link, JS_ACTION))


def js_escaped_name_pdf() -> bytes:
    return pdf_page(extra=(b"<< /S /J#61vaScript /J#53 (app.alert\\(1\\)) >>",))


def javascript_uri_pdf() -> bytes:
    link = (
        b"<< /Type /Annot /Subtype /Link /Rect [72 700 300 730] "
        b"/A << /S /URI /URI (javascript:alert\\(1\\)) >> >>"
    )
    return pdf_page(page=b"/Annots [6 0 R]", extra=(link,))


def launch_pdf() -> bytes:
    link = b"<< /Type /Annot /Subtype /Link /Rect [72 700 300 730] /A << /S /Launch /F (calc.exe) >> >>"
    return pdf_page(page=b"/Annots [6 0 R]", extra=(link,))


def indirect_launch_pdf() -> bytes:
    """The action's type given by reference, so that the dictionary itself never says /Launch."""
    link = b"<< /Type /Annot /Subtype /Link /Rect [72 700 300 730] /A << /S 7 0 R /F (calc.exe) >> >>"
    return pdf_page(page=b"/Annots [6 0 R]", extra=(link, b"/Launch"))


def page_actions_pdf() -> bytes:
    return pdf_page(page=b"/AA << /O 6 0 R >>", extra=(JS_ACTION,))


def embedded_file_pdf() -> bytes:
    return pdf_page(
        catalog=b"/Names << /EmbeddedFiles << /Names [(photo.jpg) 6 0 R] >> >>",
        extra=(
            b"<< /Type /Filespec /F (photo.jpg) /EF << /F 7 0 R >> >>",
            pdf_stream(b"/Type /EmbeddedFile", jpeg_bytes()),
        ),
    )


def file_attachment_pdf() -> bytes:
    annotation = b"<< /Type /Annot /Subtype /FileAttachment /Rect [0 0 10 10] /FS (notes.zip) >>"
    return pdf_page(page=b"/Annots [6 0 R]", extra=(annotation,))


def xfa_pdf() -> bytes:
    return pdf_page(
        catalog=b"/AcroForm << /Fields [] /XFA 6 0 R >>",
        extra=(pdf_stream(b"", b"<xdp:xdp xmlns:xdp='http://ns.adobe.com/xdp/'></xdp:xdp>"),),
    )


def rich_media_pdf() -> bytes:
    annotation = b"<< /Type /Annot /Subtype /RichMedia /Rect [0 0 10 10] >>"
    return pdf_page(page=b"/Annots [6 0 R]", extra=(annotation,))


def object_stream_js_pdf() -> bytes:
    """JavaScript compressed inside an object stream, where the file's bytes do not show it."""
    index = b"6 0 "
    body = zlib.compress(index + JS_ACTION)
    object_stream = pdf_stream(b"/Type /ObjStm /N 1 /First %d /Filter /FlateDecode" % len(index), body)
    return pdf_page(extra=(b"null", object_stream))


def data_after_eof_pdf() -> bytes:
    return pdf_bytes() + b"This text is not part of the document.\n"


def jpeg_appended_pdf() -> bytes:
    return pdf_bytes() + jpeg_bytes()


def zip_appended_pdf() -> bytes:
    return pdf_bytes() + zip_bytes({"photo.jpg": "not really a photo"})


def jpeg_between_objects_pdf() -> bytes:
    document = pdf_bytes()
    cut = document.index(b"2 0 obj")
    # Appending at the end would be caught by the %%EOF check; here the JPEG sits between objects
    # and the offsets after it are wrong, as a careless attacker would leave them.
    return document[:cut] + jpeg_bytes() + b"\n" + document[cut:]


def header_then_garbage_pdf() -> bytes:
    return b"%PDF-1.7\n" + bytes(range(256)) * 16


def encrypted_pdf() -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(pdf_bytes()))
    writer.encrypt("secret", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def decompression_bomb_pdf() -> bytes:
    """40 MB of zeros in a 40 KB stream."""
    compressor = zlib.compressobj(9)
    chunk = bytes(1024 * 1024)
    body = b"".join(compressor.compress(chunk) for _ in range(40)) + compressor.flush()
    return pdf_page(extra=(pdf_stream(b"/Filter /FlateDecode", body),))


def jpeg_in_content_stream_pdf() -> bytes:
    return pdf_page(b"BT /F1 12 Tf 72 720 Td (Policy) Tj ET\n% " + jpeg_bytes() + b"\n")


def png_in_string_pdf() -> bytes:
    escaped = png_bytes().replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    return pdf_page(extra=(b"<< /Note (" + escaped + b") >>",))


def split_inline_image_pdf() -> bytes:
    """A viewer joins a page's content streams, so "B" + "I" is the BI that starts an inline image."""
    return pdf_document(
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents [4 0 R 5 0 R] >>",
        pdf_stream(b"", b"q 100 0 0 100 72 600 cm B"),
        pdf_stream(b"", b"I /W 1 /H 1 /CS /RGB /BPC 8 ID " + RGB_PIXEL + b" EI Q"),
    )


def xref_into_stream_pdf() -> bytes:
    """The cross-reference table sends a viewer into the middle of a stream, where an object
    the check would refuse is written as the stream's plain bytes."""
    smuggled = b"6 0 obj " + JS_ACTION + b" endobj"
    document = pdf_page(b"BT /F1 12 Tf 72 720 Td (Policy) Tj ET\n%" + smuggled, catalog=b"/OpenAction 6 0 R")
    offset = document.index(b"6 0 obj")
    entry = b"%010d 00000 n \n" % offset
    document = document.replace(b"xref\n0 6\n", b"xref\n0 7\n").replace(b"/Size 6", b"/Size 7")
    return document.replace(b"trailer\n", entry + b"trailer\n")


PDFS: dict[str, tuple[Callable[[], bytes], str]] = {
    "image XObject": (image_pdf, f"This PDF contains a raster image (object 6). {DEPICTS}"),
    "inline image": (inline_image_pdf, "This PDF contains an inline image"),
    "orphan image": (orphan_image_pdf, "This PDF contains a raster image (object 6)"),
    "image listed nowhere": (unlisted_image_pdf, "This PDF contains a raster image (object 99)"),
    "JPEG stream": (jpeg_image_pdf, "an image compressed as JPEG"),
    "bitmap font": (bitmap_font_pdf, "a font whose glyphs are pictures (an sbix table)"),
    "XMP thumbnail": (
        xmp_thumbnail_pdf,
        "an image (JPEG) hidden in its data (encoded as base64 in the metadata",
    ),
    "JavaScript on opening": (js_open_action_pdf, "This PDF contains JavaScript (object 6)"),
    "JavaScript in the name tree": (js_name_tree_pdf, "This PDF contains JavaScript"),
    "JavaScript in a link": (js_link_pdf, "This PDF contains JavaScript (object 7)"),
    "JavaScript with escaped names": (js_escaped_name_pdf, "This PDF contains JavaScript (object 6)"),
    "javascript: link": (javascript_uri_pdf, "a link to a “javascript:” address"),
    "Launch": (launch_pdf, "an action that launches a program or opens another file (/Launch)"),
    "Launch named by reference": (indirect_launch_pdf, "(/Launch) (object 6)"),
    "page actions": (page_actions_pdf, "actions that run when something happens in the document (/AA)"),
    "embedded file": (embedded_file_pdf, "This PDF contains embedded files"),
    "file attachment": (file_attachment_pdf, "an embedded file (a file attachment annotation)"),
    "XFA": (xfa_pdf, "an XFA form"),
    "rich media": (rich_media_pdf, "rich media (video, sound or Flash)"),
    "JavaScript in an object stream": (
        object_stream_js_pdf,
        "This PDF contains JavaScript (object 6 (in object stream 7))",
    ),
    "data after %%EOF": (data_after_eof_pdf, "This PDF has data after its end"),
    "JPEG appended": (jpeg_appended_pdf, "and that data is an image (JPEG)"),
    "ZIP appended": (zip_appended_pdf, "and that data is a compressed archive (ZIP)"),
    "JPEG between objects": (jpeg_between_objects_pdf, "an image (JPEG) hidden in its data"),
    "header then garbage": (header_then_garbage_pdf, NOT_READABLE),
    "encrypted": (encrypted_pdf, "This PDF is encrypted"),
    "decompression bomb": (decompression_bomb_pdf, "This PDF is too complex to check"),
    "JPEG in a content stream": (jpeg_in_content_stream_pdf, "an image (JPEG) hidden in its data"),
    "PNG in a string": (png_in_string_pdf, "an image (PNG) hidden in its data"),
    "inline image split across streams": (split_inline_image_pdf, "an inline image"),
    "cross-reference into a stream": (xref_into_stream_pdf, NOT_READABLE),
}

PDFS_ALLOWED_WITH_IMAGES = (
    "image XObject",
    "inline image",
    "orphan image",
    "image listed nowhere",
    "JPEG stream",
    "bitmap font",
    "XMP thumbnail",
)

_PADDING_10K = b"Quarterly report on hash matching.\n" * 300
_PADDING_1M = b"Quarterly report on hash matching.\n" * 30_000
_CHUNK = 64 * 1024

TEXTS: dict[str, tuple[Callable[[], bytes], str, str]] = {
    "SVG after 10 KB": (
        lambda: _PADDING_10K + b'<svg xmlns="http://www.w3.org/2000/svg"><image href="x.png"/></svg>',
        "notes.txt",
        "SVG markup (“<svg” at byte 10,500)",
    ),
    "SVG after 1 MB": (
        lambda: _PADDING_1M + b"<svg><rect/></svg>",
        "notes.md",
        "SVG markup (“<svg” at byte 1,050,000)",
    ),
    "HTML after 1 MB": (
        lambda: _PADDING_1M + b"<html><body>x</body></html>",
        "notes.txt",
        "HTML markup (“<html” at byte 1,050,000)",
    ),
    "script after 10 KB": (
        lambda: _PADDING_10K + b"<script>alert(1)</script>",
        "notes.txt",
        "HTML markup (“<script” at byte 10,500)",
    ),
    "SVG straddling a chunk boundary": (
        lambda: b"x" * (_CHUNK - 3) + b"<svg/onload=alert(1)>",
        "notes.txt",
        f"“<svg” at byte {_CHUNK - 3:,}",
    ),
    "mixed case": (
        lambda: _PADDING_10K + b"<ScRiPt>alert(1)</sCrIpT>",
        "notes.txt",
        "HTML markup (“<ScRiPt”",
    ),
    "iframe": (lambda: b"See <iframe src=https://example.test>", "notes.md", "HTML markup (“<iframe”"),
    "event handler": (
        lambda: b"Click <div class=x onmouseover=alert(1)>here</div>",
        "notes.md",
        "an HTML tag with an event handler",
    ),
    "data:image": (
        lambda: _PADDING_10K + b"![x](data:image/png;base64,iVBORw0KGgo=)",
        "notes.md",
        "an embedded image (a “data:image” address at byte 10,505)",
    ),
    "base64 PNG": (
        lambda: b"Figure 1:\n" + base64.encodebytes(png_bytes() * 4),
        "notes.txt",
        f"an image (PNG) encoded as base64 (at byte 10). {DEPICTS}",
    ),
    "base64 JPEG": (
        lambda: b"photo=" + base64.b64encode(jpeg_bytes() * 4),
        "notes.txt",
        "an image (JPEG) encoded as base64",
    ),
    "P1 bitmap": (
        lambda: b"P1\n4 4\n0 1 1 0\n1 0 0 1\n1 0 0 1\n0 1 1 0\n",
        "notes.txt",
        "This file is a PBM image written as text",
    ),
    "P3 pixmap": (
        lambda: b"P3\n2 2\n255\n255 0 0  0 255 0\n0 0 255  255 255 0\n",
        "notes.txt",
        "This file is a PPM image written as text",
    ),
    "P3 after padding": (
        lambda: _PADDING_10K + b"P3\n2 2\n255\n255 0 0  0 255 0\n",
        "notes.txt",
        "a PPM image written as text (at byte 10,500)",
    ),
    "XPM": (
        lambda: (
            b'/* XPM */\nstatic char *icon[] = {\n"2 2 2 1",\n"a c #ff0000",\n"b c #00ff00",\n"ab",\n"ba"};\n'
        ),
        "icon.txt",
        "an XPM image written as text",
    ),
    "XBM": (
        lambda: (
            b"#define icon_width 8\n#define icon_height 2\n"
            b"static unsigned char icon_bits[] = {\n 0xff, 0x00 };\n"
        ),
        "icon.txt",
        "an XBM image written as text",
    ),
    "invalid JSON named .json": (
        lambda: b'{"reports": 12,\n "source": }\n',
        "export.json",
        "This file is named .json but is not valid JSON",
    ),
    "ragged CSV": (
        lambda: b"quarter,reports\n2026-Q1,12\n2026-Q2\n",
        "reports.csv",
        "line 3 has 1 field where the first row has 2",
    ),
}


def pdf_corpus_ids() -> list[str]:
    return list(PDFS)


def text_corpus_ids() -> list[str]:
    return list(TEXTS)
