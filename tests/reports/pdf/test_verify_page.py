"""The public /verify/ page, root.pem, the manifest schema and public PDF downloads."""

import hashlib
import json

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from reports.models import ReportArtifact
from tests.factories import UserFactory
from tests.reports.pdf.tampering import byte_flipped, rogue_key, sign_with, unsigned_original
from tests.reports.pdf.verify_world import rendered_world

pytestmark = pytest.mark.django_db

VERIFY = reverse("verify:index")


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, signing_key):
    with rendered_world(django_db_blocker, corrected=True, audit=True, summary=True) as built:
        yield built


def _upload(client, data: bytes, name="report.pdf"):
    return client.post(VERIFY, {"pdf": SimpleUploadedFile(name, data, content_type="application/pdf")})


def _download(client, artifact, **params):
    return client.get(reverse("verify:document", args=[artifact.document_id]), params)


# --- the page ---------------------------------------------------------------------------------------


def test_anyone_can_open_the_page_and_it_is_never_cached(client, world):
    response = client.get(VERIFY)

    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in response.text
    assert "csrfmiddlewaretoken" in response.text
    # The page carries a per-visitor CSRF token: no shared cache may keep it.
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert world.public_v2.document_id not in response.text


def test_the_page_shows_the_root_fingerprint_and_how_to_check_offline(client, signing_key):
    text = client.get(VERIFY).text

    assert signing_key.root_fingerprint in text
    assert reverse("verify:root_pem") in text
    assert "pyhanko sign validate --trust root.pem --trust-replace report.pdf" in text
    assert "python tools/verify_report.py report.pdf --root root.pem --evidence evidence/" in text


# --- upload -----------------------------------------------------------------------------------------


def test_uploading_the_current_pdf_says_genuine_and_current_with_the_signature(client, world):
    response = _upload(client, world.pdf(world.public_v2))

    assert response.status_code == 200
    assert response.context["outcome"].verdict == "current"
    text = response.text
    assert "Genuine and current" in text
    assert "<strong>Valid.</strong>" in text
    assert "Pledgeproof test report signing" in text  # the signer
    assert response.context["outcome"].verification.signature.signing_time in text
    assert world.public_v2.sha256 in text
    assert reverse("verify:document", args=[world.public_v2.document_id]) in text


def test_uploading_a_superseded_pdf_links_to_the_current_version(client, world):
    response = _upload(client, world.pdf(world.public_v1))

    assert response.context["outcome"].verdict == "superseded"
    text = response.text
    assert "Genuine but superseded" in text
    assert "The report was corrected: publication version 2" in text
    assert world.public_v2.document_id in text
    assert reverse("verify:document", args=[world.public_v2.document_id]) in text
    assert reverse("public:report", args=["northwind-models", "tiny", "2026"]) in text


def test_uploading_a_pdf_altered_by_one_byte_says_not_genuine_with_the_reason(client, world):
    response = _upload(client, byte_flipped(world.pdf(world.public_v2)))

    assert response.status_code == 200
    assert response.context["outcome"].verdict == "invalid"
    assert "Not genuine" in response.text
    assert "<strong>Invalid.</strong>" in response.text
    assert "the file was altered after signing" in response.text


def test_uploading_a_pdf_signed_with_another_key_says_not_genuine(client, world, tmp_path):
    forged = sign_with(unsigned_original(world.pdf(world.public_v2)), rogue_key(tmp_path))

    response = _upload(client, forged)

    assert response.context["outcome"].verdict == "invalid"
    assert "does not chain to the given root" in response.text


def test_uploading_a_validly_signed_pdf_that_was_never_issued_is_unknown(client, world):
    from reports.pdf.signing import sign_pdf

    response = _upload(client, sign_pdf(unsigned_original(world.pdf(world.public_v2))))

    assert response.context["outcome"].verdict == "unknown"
    assert "The file's signature is valid, but the file is not one this site issued." in response.text


def test_a_file_that_is_not_a_pdf_is_refused_by_content_whatever_its_name(client, world):
    response = _upload(client, b"GIF89a not a pdf", name="report.pdf")

    assert response.status_code == 400
    assert "This file is not a PDF" in response.text
    assert 'aria-invalid="true"' in response.text


def test_posting_without_a_file_asks_for_one(client, world):
    response = client.post(VERIFY, {})

    assert response.status_code == 400
    assert "Choose a PDF file to check." in response.text


def test_an_upload_over_the_limit_is_refused(client, world, settings):
    settings.PDF_MAX_VERIFY_UPLOAD_BYTES = 1024 * 1024
    data = world.pdf(world.public_v2)

    response = _upload(client, data + b"%" * settings.PDF_MAX_VERIFY_UPLOAD_BYTES)

    assert response.status_code == 413
    assert "larger than the 1 MB this page accepts" in response.text


def test_a_declared_size_far_over_the_limit_is_refused_before_reading(client, world, settings):
    settings.PDF_MAX_VERIFY_UPLOAD_BYTES = 1024 * 1024

    response = client.generic(
        "POST", VERIFY, b"", content_type="multipart/form-data; boundary=x", CONTENT_LENGTH="99999999"
    )

    assert response.status_code == 413


def test_an_upload_is_kept_in_memory_and_never_written_anywhere(client, world, settings, tmp_path):
    # Django's default handlers would spool this upload to a temporary file in a folder that does
    # not exist, and fail; the verify page keeps it in memory.
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "missing")
    media_before = sorted(p for p in settings.MEDIA_ROOT.rglob("*"))
    artifacts_before = ReportArtifact.objects.count()

    response = _upload(client, world.pdf(world.public_v2))

    assert response.context["outcome"].verdict == "current"
    assert sorted(p for p in settings.MEDIA_ROOT.rglob("*")) == media_before
    assert ReportArtifact.objects.count() == artifacts_before


def test_an_upload_needs_the_csrf_token_from_the_page(world):
    client = Client(enforce_csrf_checks=True)
    data = world.pdf(world.public_v2)

    refused = _upload(client, data)
    token = client.get(VERIFY).context["csrf_token"]
    accepted = client.post(
        VERIFY, {"csrfmiddlewaretoken": str(token), "pdf": SimpleUploadedFile("r.pdf", data)}
    )

    assert refused.status_code == 403
    assert accepted.status_code == 200
    assert accepted.context["outcome"].verdict == "current"


@pytest.fixture
def two_uploads_a_minute(settings):
    from django.core.cache import cache

    settings.PDF_VERIFY_UPLOADS_PER_MINUTE = 2
    cache.clear()
    yield
    cache.clear()


def test_uploads_from_one_address_are_limited_per_minute(client, world, two_uploads_a_minute):
    data = world.pdf(world.public_v2)
    first, second = _upload(client, data), _upload(client, b"not a pdf")

    refused = _upload(client, data)

    assert (first.status_code, second.status_code) == (200, 400)  # a refused file counts too
    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert "Too many files checked from your address in the last minute" in refused.text
    assert "this page takes 2 a minute" in refused.text
    assert refused.context["outcome"] is None
    # Looking a document up by hash is cheap and stays open.
    assert client.get(VERIFY, {"sha256": hashlib.sha256(data).hexdigest()}).status_code == 200


def test_the_upload_limit_counts_each_address_on_its_own(world, two_uploads_a_minute):
    data = world.pdf(world.public_v2)
    busy, other = Client(REMOTE_ADDR="192.0.2.10"), Client(REMOTE_ADDR="192.0.2.20")
    for _ in range(2):
        _upload(busy, data)

    assert _upload(busy, data).status_code == 429
    assert _upload(other, data).status_code == 200


def test_get_only_and_post_answers_other_methods_with_405(client, world):
    assert client.put(VERIFY).status_code == 405


# --- by hash and by id ---------------------------------------------------------------------------------


def test_a_pasted_hash_of_the_current_pdf_is_genuine_and_current(client, world):
    response = client.get(VERIFY, {"sha256": world.public_v2.sha256.upper()})

    assert response.context["outcome"].verdict == "current"
    assert "Genuine and current" in response.text
    assert response.context["outcome"].verification is None


def test_a_pasted_hash_of_a_superseded_pdf_says_so(client, world):
    response = client.get(VERIFY, {"sha256": world.public_v1.sha256})

    assert response.context["outcome"].verdict == "superseded"
    assert world.public_v2.document_id in response.text


def test_an_unknown_hash_is_unknown(client, world):
    response = client.get(VERIFY, {"sha256": hashlib.sha256(b"something else").hexdigest()})

    assert response.status_code == 200
    assert response.context["outcome"].verdict == "unknown"
    assert "No document issued by Pledgeproof has this SHA-256." in response.text


@pytest.mark.parametrize("value", ["abc", "g" * 64, "a" * 63, "a" * 65, "<script>"])
def test_a_pasted_value_that_is_not_a_sha256_is_refused_clearly(client, world, value):
    response = client.get(VERIFY, {"sha256": value})

    assert response.status_code == 400
    assert "A SHA-256 is 64 hexadecimal characters" in response.text
    assert "<script>" not in response.text


def test_the_link_printed_on_the_pdf_shows_the_documents_status_and_hash(client, world):
    response = client.get(VERIFY, {"id": world.public_v2.document_id})

    assert response.context["outcome"].verdict == "current"
    assert world.public_v2.sha256 in response.text
    assert "Northwind Models" in response.text
    assert "sha256sum file.pdf" in response.text


def test_the_link_of_a_superseded_pdf_says_superseded(client, world):
    response = client.get(VERIFY, {"id": world.public_v1.document_id})

    assert response.context["outcome"].verdict == "superseded"
    assert world.public_v1.sha256 in response.text
    assert world.public_v2.sha256 in response.text


@pytest.mark.parametrize("value", ["PP-2026-999999-public-v1", "PP-2026-000001-public-v99", "nonsense", ""])
def test_an_unknown_document_id_is_unknown(client, world, value):
    response = client.get(VERIFY, {"id": value})

    assert response.status_code == 200
    assert response.context["outcome"].verdict == "unknown"
    assert "No public Pledgeproof document has this id." in response.text


def test_the_summary_is_found_by_its_id(client, world):
    response = client.get(VERIFY, {"id": world.summary.document_id})

    assert response.context["outcome"].verdict == "current"
    assert reverse("verify:document", args=[world.summary.document_id]) in response.text


def test_an_audit_report_can_be_checked_by_its_holder_but_is_never_offered_for_download(client, world):
    by_hash = client.get(VERIFY, {"sha256": world.audit.sha256})
    by_upload = _upload(client, world.pdf(world.audit))

    for response in (by_hash, by_upload):
        assert response.context["outcome"].verdict == "current"
        assert "Audit reports are not public" in response.text
        assert reverse("verify:document", args=[world.audit.document_id]) not in response.text
        assert "Northwind Models" not in response.text.split("<footer")[0].split('id="verdict-title"')[1]


def test_an_audit_report_is_not_found_by_its_id(client, world):
    response = client.get(VERIFY, {"id": world.audit.document_id})

    assert response.context["outcome"].verdict == "unknown"
    assert "No public Pledgeproof document has this id." in response.text
    assert world.audit.sha256 not in response.text


# --- downloads, root certificate, schema ------------------------------------------------------------------


@pytest.mark.parametrize("which", ["public_v2", "public_v1", "summary"])
def test_public_and_summary_pdfs_are_downloadable_by_anyone_by_id(client, world, which):
    artifact = getattr(world, which)

    response = _download(client, artifact)
    body = b"".join(response.streaming_content)  # the test client closes the file once read

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="{artifact.file_name}"' in response["Content-Disposition"]
    assert hashlib.sha256(body).hexdigest() == artifact.sha256
    assert response["ETag"] == f'"{artifact.sha256}"'


def test_an_audit_pdf_is_never_downloadable_publicly(client, world):
    assert _download(client, world.audit).status_code == 404
    assert _download(client, world.audit, sha256=world.audit.sha256).status_code == 404
    # Not even for a signed-in user who may read it elsewhere: this address is the public one.
    client.force_login(world.admin)
    assert _download(client, world.audit).status_code == 404


def test_an_unknown_document_is_not_found(client, world):
    url = reverse("verify:document", args=["PP-2026-000001-public-v42"])

    assert client.get(url).status_code == 404


def test_anyone_can_download_the_root_certificate(client, signing_key):
    response = client.get(reverse("verify:root_pem"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-pem-file"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response.content == signing_key.root_pem
    assert client.post(reverse("verify:root_pem")).status_code == 405


def test_the_manifest_schema_is_published_and_describes_the_manifest(client, world):
    response = client.get(reverse("verify:manifest_schema"))
    schema = json.loads(response.content)
    manifest = json.loads(world.public_v2.manifest)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/schema+json"
    assert schema["$schema"].startswith("https://json-schema.org/")
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(manifest, schema)


def test_the_methodology_page_publishes_the_fingerprint_and_the_links(client, signing_key):
    text = client.get(reverse("public:methodology")).text

    assert "Verifying PDF reports" in text
    assert signing_key.root_fingerprint in text
    assert reverse("verify:root_pem") in text
    assert f'href="{VERIFY}"' in text


def test_a_signed_in_user_sees_the_same_public_verify_page(client, world):
    client.force_login(UserFactory())

    response = client.get(VERIFY, {"sha256": world.public_v2.sha256})

    assert response.context["outcome"].verdict == "current"
    assert "no-store" in response["Cache-Control"]


def test_settings_limit_is_shown_on_the_form(client):
    mb = settings.PDF_MAX_VERIFY_UPLOAD_BYTES // (1024 * 1024)

    assert f"Up to {mb} MB" in client.get(VERIFY).text
