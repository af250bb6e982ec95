"""Hostile input to POST /api/v1/items/{id}/evidence/: every file the web refuses is refused here with the
same message (400, pointing at `#/file`), bodies over the limit are 413 before they are read, and
malformed multipart, path tricks in file names and junk in JSON are 400s that say what is wrong.
After each refusal nothing is left: no evidence row, no ledger entry, no stored file."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from commitments.models import Evidence, LedgerEntry
from tests.commitments.hostile_corpus import PDFS
from tests.samples import REFUSED, jpeg_bytes, pdf_bytes, png_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

FIELDS = {"title": "Evidence under test", "effective_date": "2026-03-01", "visibility": "public"}
BOUNDARY = "hostile-boundary-42"


def evidence_url(world):
    return reverse("api:item-evidence", args=[world.item("draft").pk])


def raw_multipart(*parts: tuple[str, str | None, bytes], boundary: str = BOUNDARY) -> bytes:
    """A multipart body written by hand: (field name, file name or None, content) per part. Django's
    test client would cut a file name down to its last part, which is exactly what is under test."""
    out = b""
    for name, filename, content in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        out += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode()
        if filename is not None:
            out += b"Content-Type: application/octet-stream\r\n"
        out += b"\r\n" + content + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


def fields_parts(**overrides):
    return [(name, None, value.encode()) for name, value in {**FIELDS, **overrides}.items()]


def post_raw(client, url, body, *, content_type=f"multipart/form-data; boundary={BOUNDARY}", **extra):
    return client.post(url, body, content_type=content_type, **extra)


@pytest.fixture
def nothing_left(api_world, media):
    """Asserts, after the test's request, that it added no evidence, no ledger entry and no file."""
    before = (Evidence.objects.count(), LedgerEntry.objects.count())
    yield
    assert (Evidence.objects.count(), LedgerEntry.objects.count()) == before
    assert media.names() == set()


def assert_problem(response, status, *, pointer=None, says=""):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    if pointer is not None:
        assert pointer in [error["pointer"] for error in problem["errors"]], problem
    if says:
        messages = [problem["detail"], *(error["detail"] for error in problem.get("errors", []))]
        assert any(says in message for message in messages), problem
    return problem


def upload(world, name, data, **fields):
    return world.client("officer").post(
        evidence_url(world),
        {**FIELDS, **fields, "file": SimpleUploadedFile(name, data, content_type="application/pdf")},
        format="multipart",
    )


# --- content: judged by the whole file, as on the web -------------------------------------------------


@pytest.mark.parametrize("kind", REFUSED)
def test_each_non_document_is_refused_with_the_webs_message(api_world, nothing_left, kind):
    data, name, message = REFUSED[kind]

    assert_problem(upload(api_world, name, data), 400, pointer="#/file", says=message)


@pytest.mark.parametrize(
    "case",
    [
        "image XObject",
        "inline image",
        "JPEG stream",
        "JPEG appended",
        "ZIP appended",
        "JPEG between objects",
        "PNG in a string",
        "data after %%EOF",
        "JavaScript on opening",
        "embedded file",
        "encrypted",
    ],
)
def test_hostile_pdfs_are_refused_with_the_webs_message(api_world, nothing_left, case):
    make, message = PDFS[case]

    assert_problem(upload(api_world, "policy.pdf", make()), 400, pointer="#/file", says=message)


def test_an_image_renamed_pdf_and_declared_as_pdf_is_still_an_image(api_world, nothing_left):
    assert_problem(upload(api_world, "scan.pdf", png_bytes()), 400, pointer="#/file", says="an image (PNG)")


def test_a_polyglot_pdf_carrying_a_jpeg_after_its_end_is_refused(api_world, nothing_left):
    polyglot = pdf_bytes("Policy") + jpeg_bytes()

    assert_problem(upload(api_world, "policy.pdf", polyglot), 400, pointer="#/file", says="image (JPEG)")


def test_an_empty_file_is_refused(api_world, nothing_left):
    assert_problem(upload(api_world, "policy.pdf", b""), 400, pointer="#/file", says="This file is empty.")


# --- size ------------------------------------------------------------------------------------------


def test_a_body_declaring_more_than_the_upload_limit_is_refused_before_it_is_read(api_world, nothing_left):
    body = raw_multipart(*fields_parts(), ("file", "policy.pdf", pdf_bytes()))

    response = post_raw(
        api_world.client("officer"), evidence_url(api_world), body, CONTENT_LENGTH=str(10**12)
    )

    problem = assert_problem(response, 413, says="An upload may be at most 25 MB")
    assert "declares 1000000000000 bytes" in problem["detail"]


def test_a_file_over_the_limit_inside_a_body_under_it_is_refused_by_the_service(
    api_world, nothing_left, settings
):
    settings.EVIDENCE_MAX_UPLOAD_BYTES = 4096
    big = b"Quarterly report on hash matching.\n" * 200  # 7 KB of acceptable text

    assert_problem(upload(api_world, "report.txt", big), 400, pointer="#/file", says="This file is too large")


def test_a_body_over_the_limit_and_its_room_for_fields_is_413(api_world, nothing_left, settings):
    settings.EVIDENCE_MAX_UPLOAD_BYTES = 1024
    big = b"Quarterly report on hash matching.\n" * 3000  # 105 KB

    assert_problem(upload(api_world, "report.txt", big), 413, says="An upload may be at most")


def test_text_fields_beyond_the_memory_limit_are_413(api_world, nothing_left, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = raw_multipart(*fields_parts(title="t" * 5000))

    assert_problem(post_raw(api_world.client("officer"), evidence_url(api_world), body), 413)


# --- malformed multipart and file names -----------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data", b"--x\r\nContent-Disposition: form-data; name=title\r\n\r\nhello\r\n--x--"),
        ("multipart/form-data; boundary=", b"anything"),
    ],
    ids=["no boundary", "empty boundary"],
)
def test_a_multipart_body_without_a_usable_boundary_is_a_malformed_body(
    api_world, nothing_left, content_type, body
):
    response = post_raw(api_world.client("officer"), evidence_url(api_world), body, content_type=content_type)

    problem = assert_problem(response, 400, says="The multipart body cannot be read")
    assert problem["type"].endswith("#malformed-body")


@pytest.mark.parametrize(
    "body",
    [
        b"not multipart at all",
        raw_multipart(*fields_parts())[:40],  # cut off inside the first part
        b"--" + BOUNDARY.encode() + b"\r\n\r\n\r\n--" + BOUNDARY.encode() + b"--\r\n",  # a part with no name
    ],
    ids=["garbage", "truncated", "part without a disposition"],
)
def test_multipart_garbage_gets_a_400_naming_the_missing_fields(api_world, nothing_left, body):
    response = post_raw(api_world.client("officer"), evidence_url(api_world), body)

    assert_problem(response, 400, pointer="#/title", says="This field is required.")


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("../../etc/passwd.txt", "refers to a parent folder"),
        ("..\\..\\windows\\policy.txt", "refers to a parent folder"),
        ("/etc/policy.txt", "starts with a path separator"),
        ("C:\\Users\\policy.txt", "starts with a drive letter"),
        ("reports/policy.txt", "contains a path separator"),
        ("&#x2F;etc&#x2F;policy.txt", "starts with a path separator"),
        ("..", "refers to a parent folder"),
        ("policy\x01.txt", "contains control characters"),
    ],
)
def test_a_file_name_that_tries_to_leave_a_folder_is_refused_not_shortened(
    api_world, nothing_left, name, says
):
    body = raw_multipart(*fields_parts(), ("file", name, b"Policy text.\n"))

    response = post_raw(api_world.client("officer"), evidence_url(api_world), body)

    assert_problem(response, 400, pointer="#/file", says=says)


def test_two_files_in_one_request_are_refused(api_world, nothing_left):
    body = raw_multipart(
        *fields_parts(), ("file", "one.txt", b"First policy.\n"), ("file", "two.txt", b"Second policy.\n")
    )

    response = post_raw(api_world.client("officer"), evidence_url(api_world), body)

    assert_problem(response, 400, pointer="#/file", says="Give this field once")


def test_a_field_sent_twice_is_refused(api_world, nothing_left):
    body = raw_multipart(
        *fields_parts(), ("title", None, b"Another title"), ("url", None, b"https://example.test/")
    )

    response = post_raw(api_world.client("officer"), evidence_url(api_world), body)

    assert_problem(response, 400, pointer="#/title", says="Give this field once")


def test_a_file_and_a_link_together_are_refused(api_world, nothing_left):
    response = upload(api_world, "policy.txt", b"Policy.\n", url="https://example.test/policy")

    assert_problem(response, 400, pointer="#/upload", says="Give either a file or a URL, not both.")


def test_neither_a_file_nor_a_link_is_refused(api_world, nothing_left):
    response = api_world.client("officer").post(evidence_url(api_world), FIELDS, format="json")

    assert_problem(response, 400, pointer="#/upload", says="Attach a file or give a URL.")


# --- JSON bodies ------------------------------------------------------------------------------------

LINK = {**FIELDS, "url": "https://example.test/policy"}


@pytest.mark.parametrize(
    ("body", "pointer", "says"),
    [
        ({**LINK, "owner": "someone"}, "#/owner", "Unknown field"),
        ({**LINK, "title": 12}, "#/title", "Send text (a JSON string)"),
        ({**LINK, "title": ["a", "b"]}, "#/title", "Send text (a JSON string)"),
        ({**LINK, "title": {"$ne": ""}}, "#/title", "Send text (a JSON string)"),
        ({**LINK, "title": None}, "#/title", "may not be null"),
        ({**LINK, "title": "t" * 301}, "#/title", "Keep the title under 300 characters."),
        ({**LINK, "title": "   "}, "#/title", "Give the evidence a title."),
        ({**LINK, "title": "a\x00b"}, "#/title", "Null characters are not allowed."),
        ({**LINK, "effective_date": "yesterday"}, "#/effective_date", "Date has wrong format"),
        ({**LINK, "effective_date": 20260301}, "#/effective_date", "Date has wrong format"),
        ({**LINK, "effective_date": "2026-02-30"}, "#/effective_date", "Date has wrong format"),
        ({**LINK, "visibility": "secret"}, "#/visibility", "is not a valid choice"),
        ({**LINK, "visibility": ["public"]}, "#/visibility", "is not a valid choice"),
        ({**LINK, "url": "javascript:alert(1)"}, "#/url", "starting with http:// or https://"),
        ({**LINK, "url": "file:///etc/passwd"}, "#/url", "starting with http:// or https://"),
        (
            {**LINK, "url": "https://example.test/" + "a" * 1000},
            "#/url",
            "Keep the URL under 1000 characters.",
        ),
        ({**LINK, "url": 7}, "#/url", "Send text (a JSON string)"),
        ({**LINK, "file": "cGRm"}, "#/file", "not a file"),
        ({**LINK, "file": {"name": "x.pdf", "content": "cGRm"}}, "#/file", "not a file"),
    ],
)
def test_json_junk_is_a_400_pointing_at_the_field(api_world, nothing_left, body, pointer, says):
    response = api_world.client("officer").post(evidence_url(api_world), body, format="json")

    assert_problem(response, 400, pointer=pointer, says=says)


def test_a_lone_surrogate_in_json_text_is_refused(api_world, nothing_left):
    # Valid JSON, but not text PostgreSQL (or any UTF-8 encoder) can store.
    body = json.dumps(LINK)[:-1] + ', "title": "policy \\ud800"}'
    body = body.replace('"title": "Evidence under test", ', "")

    response = post_raw(
        api_world.client("officer"), evidence_url(api_world), body, content_type="application/json"
    )

    assert_problem(response, 400, pointer="#/title", says="Surrogate characters are not allowed")


@pytest.mark.parametrize("body", [[LINK], "a link", 12, None], ids=["list", "string", "number", "null"])
def test_a_json_body_that_is_not_an_object_is_refused(api_world, nothing_left, body):
    response = post_raw(
        api_world.client("officer"),
        evidence_url(api_world),
        json.dumps(body),
        content_type="application/json",
    )

    assert_problem(response, 400)


def test_an_oversized_json_body_is_413(api_world, nothing_left, settings):
    settings.API_MAX_JSON_BYTES = 2048

    response = api_world.client("officer").post(
        evidence_url(api_world), {**LINK, "title": "t" * 4000}, format="json"
    )

    assert_problem(response, 413)


def test_a_body_of_another_media_type_is_415(api_world, nothing_left):
    response = post_raw(
        api_world.client("officer"), evidence_url(api_world), b"title=x", content_type="text/plain"
    )

    assert_problem(response, 415)
