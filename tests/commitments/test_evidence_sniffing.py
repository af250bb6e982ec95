"""Content sniffing: uploads are judged by their bytes, never by their name or declared type."""

import json
import re

import pytest

from commitments.errors import UploadRefused
from commitments.sniffing import HEAD_BYTES, ContentSniffer, sniff_bytes, structured
from tests.samples import ACCEPTED, REFUSED, elf_bytes, pdf_bytes, png_bytes


@pytest.mark.parametrize("kind", ACCEPTED)
def test_it_accepts_each_permitted_document_type_with_its_media_type(kind):
    data, name, media_type = ACCEPTED[kind]
    assert sniff_bytes(data, name=name) == media_type


@pytest.mark.parametrize("kind", REFUSED)
def test_it_refuses_each_non_document_with_a_message_naming_what_it_is(kind):
    data, name, message = REFUSED[kind]
    with pytest.raises(UploadRefused, match=re.escape(message)):
        sniff_bytes(data, name=name)


def test_it_refuses_an_executable_renamed_pdf_with_the_full_explanation():
    with pytest.raises(UploadRefused) as refused:
        sniff_bytes(elf_bytes(), name="report.pdf")
    assert str(refused.value) == (
        "This file is an executable program (ELF), not a document. "
        "Upload PDF, plain text, Markdown, CSV or JSON."
    )


def test_unrecognised_binary_gets_the_generic_refusal():
    data = bytes(range(256)) * 8
    with pytest.raises(UploadRefused) as refused:
        sniff_bytes(data, name="data.pdf")
    assert str(refused.value) == (
        "This file is not a permitted document type (PDF, plain text, Markdown, CSV, JSON)."
    )


def test_the_file_name_never_makes_binary_acceptable_nor_text_binary():
    assert sniff_bytes(pdf_bytes(), name="setup.exe") == "application/pdf"
    assert sniff_bytes(b"plain words\n", name="photo.png") == "text/plain"
    with pytest.raises(UploadRefused):
        sniff_bytes(png_bytes(), name="policy.txt")


def test_the_name_only_chooses_between_text_subtypes():
    csv_content = b"quarter,reports\n2026-Q1,12\n"
    assert sniff_bytes(csv_content, name="reports.csv") == "text/csv"
    assert sniff_bytes(csv_content, name="reports.txt") == "text/plain"
    assert sniff_bytes(b"# Policy\n", name="POLICY.MARKDOWN") == "text/markdown"
    # JSON is recognised by parsing, whatever the name.
    assert sniff_bytes(b'[{"a": 1}]', name="export.txt") == "application/json"


def test_a_csv_whose_rows_have_different_widths_is_refused_naming_the_line():
    with pytest.raises(UploadRefused) as refused:
        sniff_bytes(b"a,b,c\n1,2,3\n\n4,5\n", name="ragged.csv")
    assert str(refused.value) == (
        "This file is named .csv but is not a consistent table: line 4 has 2 fields where the first "
        "row has 3. Fix the row (a separator inside a value needs double quotes) or upload it as plain text."
    )


def test_a_csv_with_one_column_or_quoted_separators_is_a_table():
    assert sniff_bytes(b"sha256\nabc\ndef\n", name="hashes.csv") == "text/csv"
    assert sniff_bytes(b'name,note\n"Acme, Inc.","said ""yes"""\n', name="notes.csv") == "text/csv"


def test_a_csv_with_a_field_too_long_to_read_is_refused():
    with pytest.raises(UploadRefused, match="cannot be read as CSV at line 2"):
        sniff_bytes(b"a,b\n" + b'"' + b"x" * 200_000 + b'",1\n', name="big.csv")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"reports": 12,\n', "the file ends before the JSON value is complete (line 2, column 1)"),
        (b"[NaN, Infinity]", "a value was expected"),
        (b'{"a": 1} {"b": 2}', "there is more after the JSON value (line 1, column 10)"),
        (b'{"a": "tab\there"}', "a string contains a control character or a bad escape"),
        (b"[" * 600 + b"]" * 600, "it is nested more than 512 levels deep"),
        (b"", ""),
    ],
)
def test_a_file_named_json_must_be_valid_json_all_the_way_through(data, message):
    with pytest.raises(UploadRefused) as refused:
        sniff_bytes(data, name="export.json")
    if data:
        assert str(refused.value).startswith("This file is named .json but is not valid JSON: ")
    assert message in str(refused.value)


def test_text_starting_like_json_must_be_json_unless_its_name_says_text():
    with pytest.raises(UploadRefused, match="This file starts like JSON but is not valid JSON"):
        sniff_bytes(b'{"reports": 12,', name="export")
    # "[Draft]" or a Markdown link at the start of a text file is not an attempt at JSON.
    assert sniff_bytes(b"[Draft] Policy text\n", name="policy.md") == "text/markdown"
    assert sniff_bytes(b"[Policy](https://example.test) summary\n", name="notes.txt") == "text/plain"


def test_large_json_is_checked_whole_in_pieces_and_an_error_deep_inside_is_found(monkeypatch):
    monkeypatch.setattr(structured, "_READ_CHARS", 1000)
    records = ",\n".join(
        json.dumps({"id": i, "name": f"r{i}", "tags": ["a", {"b": [i]}]}) for i in range(2000)
    )
    data = f"[\n{records}\n]".encode()
    assert sniff_bytes(data, name="export.json") == "application/json"

    broken = data.replace(b'"r1500"', b"r1500")
    with pytest.raises(UploadRefused, match=r"a value was expected .* \(line 1,502, column 22\)"):
        sniff_bytes(broken, name="export.json")


def test_a_utf8_byte_order_mark_is_allowed():
    assert sniff_bytes(b"\xef\xbb\xbf" + b'{"a": 1}', name="export.json") == "application/json"
    assert sniff_bytes(b"\xef\xbb\xbfquarter;reports\n2026-Q1;12\n", name="r.csv") == "text/csv"


def test_characters_split_across_chunks_are_still_valid_text():
    data = ("Überprüfung — ✓ 🛡\n" * 5000).encode()
    assert sniff_bytes(data, name="notes.txt", chunk_size=7) == "text/plain"


def test_text_that_merely_starts_like_a_binary_signature_stays_text():
    for data in (b"MZ is the country code of Mozambique.\n", b"ID3 tags are metadata.\n", b"BM-7 notes\n"):
        assert sniff_bytes(data, name="notes.txt") == "text/plain"


def test_binary_found_deep_inside_a_text_file_is_refused_with_its_position():
    data = b"a" * (3 * 64 * 1024) + b"\x07" + b"b" * 100
    with pytest.raises(UploadRefused, match="0x07 at byte 196,608"):
        sniff_bytes(data, name="notes.txt")


def test_a_truncated_character_at_the_very_end_is_refused():
    data = "ok é".encode()[:-1]
    with pytest.raises(UploadRefused, match="not valid UTF-8"):
        sniff_bytes(data, name="notes.txt")


def test_c1_control_characters_are_refused_even_across_a_chunk_boundary():
    with pytest.raises(UploadRefused, match="U\\+0085 at byte 4"):
        sniff_bytes("line\u0085break".encode(), name="notes.txt")
    straddling = b"a" * (2 * HEAD_BYTES - 1) + "\u0085".encode() + b"b"
    with pytest.raises(UploadRefused, match=f"U\\+0085 at byte {2 * HEAD_BYTES - 1:,}"):
        sniff_bytes(straddling, name="notes.txt", chunk_size=HEAD_BYTES)
    assert sniff_bytes("© 2026, 20 °C\u00a0".encode(), name="notes.txt") == "text/plain"


def test_tabs_form_feeds_and_crlf_line_ends_are_text():
    assert sniff_bytes(b"col\tcol\r\nnext page\x0cmore\r\n", name="notes.txt") == "text/plain"


def test_an_empty_file_is_refused():
    with pytest.raises(UploadRefused, match="empty"):
        sniff_bytes(b"", name="notes.txt")


def test_an_executable_is_refused_from_its_first_chunk():
    sniffer = ContentSniffer(name="report.pdf")
    with pytest.raises(UploadRefused, match="ELF"):
        sniffer.feed(elf_bytes() + bytes(HEAD_BYTES))


def test_the_permitted_set_can_be_narrowed_by_a_setting(settings):
    settings.EVIDENCE_ALLOWED_MEDIA_TYPES = ["application/pdf"]

    assert sniff_bytes(pdf_bytes(), name="policy.pdf") == "application/pdf"
    with pytest.raises(UploadRefused) as refused:
        sniff_bytes(b"plain words\n", name="notes.txt")
    assert "Upload PDF." in str(refused.value)


def test_the_setting_cannot_let_images_in(settings):
    settings.EVIDENCE_ALLOWED_MEDIA_TYPES = ["application/pdf", "text/plain", "image/png"]

    with pytest.raises(UploadRefused, match="an image"):
        sniff_bytes(png_bytes(), name="scan.png")


@pytest.mark.parametrize(
    "text",
    [
        b"If a < svg then b > c; a <svgfoo> element is not an SVG.\n",
        b"Links: <https://example.test/policy> and <mailto:safety@example.test>\n",
        b"Escaped markup such as &lt;script&gt; is only text.\n",
        b"P1 incidents are handled within an hour.\nP3\n12 incidents in total.\n",
        b"begin 2024 with a plan\nMost of it\n",
        b"The switch is on=1 by default; turn it off at night.\n",
        b"sha256\n" + b"\n".join(bytes.hex(bytes([i]) * 32).encode() for i in range(50)) + b"\n",
        b"token: dGhpcyBpcyBub3QgYW4gaW1hZ2UsIGp1c3QgYSBsb25nIGJhc2U2NCB0b2tlbiBmb3IgdGVzdHM=\n",
    ],
)
def test_text_that_only_looks_like_markup_or_an_image_is_accepted(text):
    assert sniff_bytes(text, name="notes.txt") == "text/plain"


def test_markup_split_across_small_chunks_is_still_found():
    data = b"x" * 70_000 + b"<iframe src=x>"
    with pytest.raises(UploadRefused, match="“<iframe” at byte 70,000"):
        sniff_bytes(data, name="notes.txt", chunk_size=7)


def test_a_file_that_starts_with_markup_is_named_for_what_it_is():
    with pytest.raises(UploadRefused, match="This file is an SVG image, not a document"):
        sniff_bytes(b"  <svg xmlns='http://www.w3.org/2000/svg'/>", name="notes.txt")
