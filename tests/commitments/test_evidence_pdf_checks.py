"""PDF checks beyond the hostile corpus: what ordinary producers write is accepted, limits hold."""

import re

import pytest

from commitments.errors import UploadRefused
from commitments.sniffing import pdf, sniff_bytes
from tests.samples import pdf_document, pdf_page, pdf_stream


def test_opening_at_a_page_is_not_an_action():
    # LibreOffice writes /OpenAction [page /XYZ …]: a destination, harmless.
    assert (
        sniff_bytes(pdf_page(catalog=b"/OpenAction [3 0 R /XYZ null null 0]"), name="p.pdf")
        == "application/pdf"
    )


def test_an_open_action_given_by_reference_is_judged_by_what_it_points_at():
    destination = pdf_page(catalog=b"/OpenAction 6 0 R", extra=(b"[3 0 R /Fit]",))
    action = pdf_page(catalog=b"/OpenAction 6 0 R", extra=(b"<< /S /GoTo /D [3 0 R /Fit] >>",))

    assert sniff_bytes(destination, name="p.pdf") == "application/pdf"
    with pytest.raises(
        UploadRefused, match=r"an action that runs when the document is opened \(/OpenAction\)"
    ):
        sniff_bytes(action, name="p.pdf")


def test_compressed_text_and_a_web_link_are_accepted():
    import zlib

    content = zlib.compress(b"BT /F1 12 Tf 72 720 Td (Hash matching covers every upload.) Tj ET")
    link = (
        b"<< /Type /Annot /Subtype /Link /Rect [72 700 300 730] "
        b"/A << /S /URI /URI (https://example.test) >> >>"
    )
    document = pdf_document(
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Annots [6 0 R] "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        pdf_stream(b"/Filter /FlateDecode", content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        link,
    )
    assert sniff_bytes(document, name="p.pdf") == "application/pdf"


def test_a_pdf_without_pages_is_refused():
    empty = pdf_document(b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>")
    with pytest.raises(UploadRefused, match=r"not a readable PDF \(it has no pages\)"):
        sniff_bytes(empty, name="p.pdf")


def test_a_pdf_nested_too_deeply_is_too_complex_to_check():
    deep = pdf_page(extra=(b"[" * 1000 + b"]" * 1000,))
    with pytest.raises(
        UploadRefused, match=r"This PDF is too complex to check \(object 6 is nested more than 64"
    ):
        sniff_bytes(deep, name="p.pdf")


def test_a_pdf_with_too_many_objects_is_too_complex_to_check(monkeypatch):
    monkeypatch.setattr(pdf, "MAX_OBJECTS", 10)
    with pytest.raises(UploadRefused, match=r"too complex to check \(it has more than 10 objects\)"):
        sniff_bytes(pdf_page(extra=(b"null",) * 10), name="p.pdf")


def test_a_stream_whose_length_does_not_match_is_refused():
    # Shorter by a few bytes, with the same number of digits, so every offset stays right.
    document = re.sub(
        rb"/Length (\d\d)", lambda found: b"/Length %d" % (int(found[1]) - 5), pdf_page(), count=1
    )
    with pytest.raises(UploadRefused, match="the length of the stream in object 4 does not match its data"):
        sniff_bytes(document, name="p.pdf")
