"""Property tests of the upload checks, on input nobody would write by hand.

Whatever arrives, the checks end in one of two ways: UploadRefused with nothing left in
storage, or a stored file of a permitted kind that, checked again from storage, is the same.
No other exception ever escapes; a hostile file can never turn into an error page.
"""

import io
import json

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from commitments.errors import UploadRefused
from commitments.evidence_storage import check_stored_blob, store_evidence_file
from commitments.sniffing import DEFAULT_ALLOWED_MEDIA_TYPES, sniff_bytes, structured
from tests.commitments.hostile_corpus import text_pdf_with_link
from tests.samples import pdf_bytes

NAMES = ["evidence.pdf", "notes.txt", "notes.md", "data.json", "table.csv", "upload"]
VALID_PDFS = [pdf_bytes(), text_pdf_with_link()]


def store_and_recheck(media, data: bytes, name: str) -> None:
    before = media.names()
    try:
        blob = store_evidence_file(io.BytesIO(data), name=name)
    except UploadRefused:
        assert media.names() == before  # refused: not even a scratch file stays
        return
    assert blob.media_type in DEFAULT_ALLOWED_MEDIA_TYPES
    assert check_stored_blob(blob.storage_name, name=name) == blob.media_type


@given(data=st.binary(max_size=2048), name=st.sampled_from(NAMES))
def test_random_bytes_reach_storage_only_as_a_permitted_kind_that_checks_again_the_same(media, data, name):
    store_and_recheck(media, data, name)


@given(body=st.binary(max_size=2048))
@example(body=b"1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
def test_random_bytes_behind_a_pdf_header_are_refused_cleanly(media, body):
    store_and_recheck(media, b"%PDF-" + body, "evidence.pdf")


@st.composite
def damaged_pdfs(draw):
    data = bytearray(draw(st.sampled_from(VALID_PDFS)))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        if action == "flip" and at < len(data):
            data[at] ^= draw(st.integers(1, 255))
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
        elif action == "delete":
            del data[at : at + draw(st.integers(1, 64))]
        elif action == "truncate":
            del data[max(at, 1) :]
    return bytes(data)


@given(data=damaged_pdfs())
def test_a_damaged_pdf_is_refused_cleanly_or_still_checks_out_from_storage(media, data):
    store_and_recheck(media, data, "evidence.pdf")


# Text that cannot, by itself, be refused: no "<", no digits (so no image header), no long runs.
SAFE_TEXT = st.text(alphabet="abcdefghijklm nopqrstuvwxyz,.;\n", min_size=1, max_size=3000).map(
    lambda text: "x" + text
)
ACTIVE_MARKUP = st.sampled_from(
    [
        "<svg",
        "<script",
        "<iframe src=x>",
        "<img src=x>",
        "<html>",
        "<object",
        "<embed",
        "<math>",
        "<!doctype html",
    ]
)


@given(
    before=SAFE_TEXT,
    after=SAFE_TEXT,
    markup=ACTIVE_MARKUP,
    upper=st.lists(st.booleans(), min_size=20, max_size=20),
    chunk_size=st.integers(1, 9000),
)
def test_markup_injected_anywhere_is_refused_at_its_offset(before, after, markup, upper, chunk_size):
    markup = "".join(char.upper() if flip else char for char, flip in zip(markup, upper, strict=False))
    data = before.encode() + markup.encode() + b" " + after.encode()

    with pytest.raises(UploadRefused) as refused:
        sniff_bytes(data, name="notes.md", chunk_size=chunk_size)

    assert f"at byte {len(before.encode()):,})" in str(refused.value)


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(blacklist_categories=("Cs",)), max_size=20),
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(
            st.text(st.characters(blacklist_categories=("Cs",)), max_size=8), children, max_size=5
        )
    ),
    max_leaves=40,
)


def _json_module_accepts(text: str) -> bool:
    def refuse(_constant):
        raise ValueError

    try:
        json.loads(text, parse_constant=refuse)
    except ValueError:
        return False
    return True


@given(
    value=JSON_VALUES,
    indent=st.sampled_from([None, 0, 2]),
    ascii_only=st.booleans(),
    edit=st.tuples(
        st.integers(0, 10_000), st.sampled_from(["", ",", "]", "}", ":", '"', "x", "0", "[", "{"])
    ),
    cut=st.booleans(),
    read_chars=st.integers(1, 64),
)
def test_the_streaming_json_check_agrees_with_the_json_module(
    monkeypatch, value, indent, ascii_only, edit, cut, read_chars
):
    monkeypatch.setattr(structured, "_READ_CHARS", read_chars)
    text = json.dumps(value, indent=indent, ensure_ascii=ascii_only)
    at, insert = edit
    at %= len(text) + 1
    text = text[:at] + insert + ("" if cut else text[at:])

    assert structured.is_json(lambda: io.BytesIO(text.encode())) == _json_module_accepts(text)
