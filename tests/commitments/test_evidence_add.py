"""evidence_add and evidence_revise, on a folder and on an S3-compatible bucket alike."""

import datetime
import hashlib
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile

from commitments.errors import InvalidTransition, NotAllowed, StorageFailed, UploadRefused, ValidationFailed
from commitments.evidence_storage import CHUNK_SIZE, store_bytes
from commitments.models import Evidence, LedgerEntry, ReportStatus
from commitments.services import evidence as evidence_services
from commitments.services.evidence import evidence_add, evidence_open, evidence_revise
from tests.builders import advance
from tests.factories import UserFactory
from tests.samples import (
    ACCEPTED,
    REFUSED,
    elf_bytes,
    pdf_bytes,
    pe_bytes,
)
from tests.storage_backends import on_both_backends  # noqa: F401

pytestmark = pytest.mark.django_db

EFFECTIVE = datetime.date(2026, 3, 1)


class Stream(io.BytesIO):
    """A plain binary stream with a client-chosen name that counts how much was read from it."""

    def __init__(self, data: bytes, name: str):
        super().__init__(data)
        self.name = name
        self.bytes_read = 0

    def read(self, size=-1):
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk


def add(item, user, **kwargs):
    kwargs.setdefault("title", "Child safety policy")
    kwargs.setdefault("effective_date", EFFECTIVE)
    kwargs.setdefault("visibility", Evidence.Visibility.PUBLIC)
    return evidence_add(item=item, acting_user=user, **kwargs)


def assert_nothing_left_behind(media, ledger_entries_before):
    assert not Evidence.objects.exists()
    assert LedgerEntry.objects.count() == ledger_entries_before
    assert media.names() == set()


# --- accepted files ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ACCEPTED)
def test_it_stores_each_permitted_document_under_its_sha256(kind, item, officer, media):
    data, name, media_type = ACCEPTED[kind]

    evidence = add(item, officer, upload=SimpleUploadedFile(name, data, content_type="image/png"))

    sha256 = hashlib.sha256(data).hexdigest()
    assert evidence.kind == Evidence.Kind.FILE
    assert evidence.media_type == media_type
    assert evidence.sha256 == sha256
    assert evidence.size_bytes == len(data)
    assert evidence.original_name == name
    assert evidence.storage_name == f"evidence/{sha256[:2]}/{sha256}"
    assert media.read(evidence.storage_name) == data
    assert media.names() == {evidence.storage_name}
    with evidence_open(evidence=evidence) as stored:
        assert stored.read() == data


def test_the_same_bytes_uploaded_twice_share_one_stored_file(item, officer, media):
    first = add(item, officer, upload=SimpleUploadedFile("policy.pdf", pdf_bytes()))
    second = add(item, officer, title="Same policy again", upload=SimpleUploadedFile("copy.pdf", pdf_bytes()))

    assert first.pk != second.pk
    assert first.storage_name == second.storage_name
    assert media.names() == {first.storage_name}
    assert second.original_name == "copy.pdf"


def test_a_large_upload_on_disk_is_streamed_in_chunks(item, officer, media):
    line = "Quartal 1 — 12 Meldungen an NCMEC; Quelle: Fallsystem-Export ✓\n".encode()
    upload = TemporaryUploadedFile("log.txt", "text/plain", 0, "utf-8")
    digest = hashlib.sha256()
    for _ in range(6000):
        upload.write(line)
        digest.update(line)
    upload.size = upload.tell()

    evidence = add(item, officer, upload=upload)
    upload.close()  # the request's own temporary file, which Django removes when the request ends

    assert evidence.size_bytes == upload.size > 4 * CHUNK_SIZE
    assert evidence.sha256 == digest.hexdigest()
    assert media.names() == {evidence.storage_name}


def test_adding_evidence_writes_a_ledger_entry_in_the_same_transaction(item, officer, media):
    evidence = add(
        item,
        officer,
        title="Hash-matching rollout",
        visibility=Evidence.Visibility.RESTRICTED,
        upload=SimpleUploadedFile("rollout.pdf", pdf_bytes()),
    )

    entry = LedgerEntry.objects.get(event="evidence.added")
    assert entry.report_id == item.report_id
    assert entry.actor_id == officer.pk
    assert (entry.subject_type, entry.subject_id) == ("commitments.evidence", str(evidence.pk))
    assert json.loads(entry.payload)["data"] == {
        "item": item.pk,
        "node": item.node.node_id,
        "evidence": evidence.pk,
        "kind": "file",
        "title": "Hash-matching rollout",
        "visibility": "restricted",
        "effective_date": "2026-03-01",
        "sha256": hashlib.sha256(pdf_bytes()).hexdigest(),
        "size_bytes": len(pdf_bytes()),
        "media_type": "application/pdf",
        "url": "",
    }


def test_contributors_may_add_evidence_too(item, contributor, media):
    evidence = add(item, contributor, upload=SimpleUploadedFile("policy.pdf", pdf_bytes()))
    assert evidence.created_by == contributor


def test_evidence_may_be_added_after_a_reviewer_requested_changes(report, item, officer, reviewer, media):
    advance(report, ReportStatus.CHANGES_REQUESTED, officer=officer, reviewer=reviewer)
    evidence = add(item, officer, upload=SimpleUploadedFile("policy.pdf", pdf_bytes()))
    assert evidence.pk is not None


# --- refused files -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", REFUSED)
def test_it_refuses_each_non_document_and_leaves_nothing_behind(kind, item, officer, media):
    data, name, message = REFUSED[kind]
    before = LedgerEntry.objects.count()

    with pytest.raises(UploadRefused) as refused:
        add(item, officer, upload=SimpleUploadedFile(name, data, content_type="application/pdf"))

    assert message in str(refused.value)
    assert_nothing_left_behind(media, before)


def test_it_refuses_an_executable_renamed_pdf(item, officer, media):
    before = LedgerEntry.objects.count()
    for data in (elf_bytes(), pe_bytes()):
        with pytest.raises(UploadRefused, match=r"This file is an executable program \((ELF|Windows PE)\)"):
            add(item, officer, upload=SimpleUploadedFile("report.pdf", data, content_type="application/pdf"))
    assert_nothing_left_behind(media, before)


def test_an_executable_is_refused_without_reading_the_rest_of_it(item, officer, media):
    stream = Stream(elf_bytes() + bytes(10 * CHUNK_SIZE), "report.pdf")

    with pytest.raises(UploadRefused, match="ELF"):
        add(item, officer, upload=stream)

    assert stream.bytes_read == CHUNK_SIZE
    assert media.names() == set()


def test_it_stops_an_oversized_upload_as_soon_as_it_passes_the_limit(item, officer, media, settings):
    settings.EVIDENCE_MAX_UPLOAD_BYTES = 1024 * 1024
    stream = Stream(b"x" * (5 * 1024 * 1024), "huge.txt")
    before = LedgerEntry.objects.count()

    with pytest.raises(UploadRefused) as refused:
        add(item, officer, upload=stream)

    assert (
        str(refused.value)
        == "This file is too large: the limit is 1 MB and the upload was stopped after 1.06 MB."
    )
    assert stream.bytes_read == 1024 * 1024 + CHUNK_SIZE
    assert_nothing_left_behind(media, before)


def test_it_refuses_an_upload_whose_known_size_is_over_the_limit_before_reading_it(
    item, officer, media, settings
):
    settings.EVIDENCE_MAX_UPLOAD_BYTES = 1024 * 1024
    before = LedgerEntry.objects.count()

    with pytest.raises(UploadRefused) as refused:
        add(item, officer, upload=SimpleUploadedFile("big.txt", b"x" * (2 * 1024 * 1024)))

    assert str(refused.value) == "This file is too large (2 MB); the limit is 1 MB."
    assert_nothing_left_behind(media, before)


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "..",
        "/etc/passwd",
        "\\\\server\\share\\policy.pdf",
        "C:\\Windows\\policy.pdf",
        "c:policy.pdf",
        "evidence/ab/policy.pdf",
        "reports\\policy.pdf",
        "policy\x00.pdf",
    ],
)
def test_it_refuses_file_names_that_try_to_leave_the_storage_folder(name, item, officer, media):
    stream = Stream(pdf_bytes(), name)
    before = LedgerEntry.objects.count()

    with pytest.raises(UploadRefused, match="The file name"):
        add(item, officer, upload=stream)

    assert stream.bytes_read == 0
    assert_nothing_left_behind(media, before)


def test_the_original_name_is_only_a_label(item, officer, media):
    evidence = add(item, officer, upload=Stream(pdf_bytes(), "Policy v2 (final).pdf"))

    assert evidence.original_name == "Policy v2 (final).pdf"
    assert "Policy" not in evidence.storage_name


# --- links ---------------------------------------------------------------------------------------


def test_it_adds_a_link_as_evidence_without_storing_anything(item, officer, media):
    evidence = add(item, officer, url="https://example.test/transparency-report-2026")

    assert evidence.kind == Evidence.Kind.URL
    assert evidence.url == "https://example.test/transparency-report-2026"
    assert (evidence.sha256, evidence.size_bytes, evidence.storage_name) == ("", None, "")
    assert media.names() == set()
    data = json.loads(LedgerEntry.objects.get(event="evidence.added").payload)["data"]
    assert data["url"] == "https://example.test/transparency-report-2026"
    with pytest.raises(ValidationFailed):
        evidence_open(evidence=evidence)


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://example.test/report.pdf", "not a web address"])
def test_it_refuses_links_that_are_not_http(url, item, officer, media):
    with pytest.raises(ValidationFailed) as refused:
        add(item, officer, url=url)
    assert "url" in refused.value.problems
    assert not Evidence.objects.exists()


def test_it_needs_exactly_one_of_file_and_link(item, officer, media):
    with pytest.raises(ValidationFailed) as neither:
        add(item, officer)
    with pytest.raises(ValidationFailed) as both:
        add(item, officer, upload=Stream(pdf_bytes(), "p.pdf"), url="https://example.test/p")
    assert "upload" in neither.value.problems and "upload" in both.value.problems
    assert not Evidence.objects.exists()
    assert media.names() == set()


def test_it_needs_a_title_a_date_and_a_known_visibility(item, officer, media):
    with pytest.raises(ValidationFailed) as refused:
        add(
            item,
            officer,
            title="  ",
            effective_date=None,
            visibility="secret",
            upload=Stream(pdf_bytes(), "p.pdf"),
        )
    assert set(refused.value.problems) == {"title", "effective_date", "visibility"}
    assert media.names() == set()


# --- who and when --------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["viewer", "other_officer", "reviewer", "stranger"])
def test_it_refuses_people_who_may_not_edit_the_report(who, request, item, media):
    user = UserFactory() if who == "stranger" else request.getfixturevalue(who)
    stream = Stream(pdf_bytes(), "policy.pdf")
    before = LedgerEntry.objects.count()

    with pytest.raises(NotAllowed):
        add(item, user, upload=stream)

    assert stream.bytes_read == 0
    assert_nothing_left_behind(media, before)


@pytest.mark.parametrize("state", [ReportStatus.SUBMITTED, ReportStatus.IN_REVIEW])
def test_it_refuses_evidence_once_the_report_has_been_submitted(
    state, report, item, officer, reviewer, media
):
    advance(report, state, officer=officer, reviewer=reviewer)
    before = LedgerEntry.objects.count()

    with pytest.raises(InvalidTransition, match="only be added while the report is a draft or has changes"):
        add(item, officer, upload=Stream(pdf_bytes(), "policy.pdf"))

    assert_nothing_left_behind(media, before)


# --- failures after the file was stored ----------------------------------------------------------


def _failing_ledger(**kwargs):
    raise RuntimeError("ledger unavailable")


def test_a_failed_database_write_removes_the_file_it_had_just_stored(item, officer, media, monkeypatch):
    monkeypatch.setattr(evidence_services, "ledger_append", _failing_ledger)
    before = LedgerEntry.objects.count()

    with pytest.raises(RuntimeError):
        add(item, officer, upload=Stream(pdf_bytes(), "policy.pdf"))

    assert_nothing_left_behind(media, before)


def test_a_failed_database_write_keeps_a_file_that_other_evidence_shares(item, officer, media, monkeypatch):
    kept = add(item, officer, upload=Stream(pdf_bytes(), "policy.pdf"))
    monkeypatch.setattr(evidence_services, "ledger_append", _failing_ledger)

    with pytest.raises(RuntimeError):
        add(item, officer, upload=Stream(pdf_bytes(), "again.pdf"))

    assert list(Evidence.objects.all()) == [kept]
    with evidence_open(evidence=kept) as stored:
        assert stored.read() == pdf_bytes()


def test_a_storage_failure_is_a_clear_refusal_and_leaves_no_scratch_file(
    item, officer, media, broken_storage
):
    before = LedgerEntry.objects.count()

    with pytest.raises(StorageFailed) as refused:
        add(item, officer, upload=Stream(b"x" * (3 * CHUNK_SIZE), "notes.txt"))

    assert str(refused.value) == (
        "The file was accepted but could not be stored just now, so nothing was saved. "
        "Please try again in a few minutes."
    )
    assert_nothing_left_behind(media, before)


def test_bytes_the_platform_makes_are_stored_the_same_way(media):
    # Signed PDFs go through store_bytes: content-addressed, moved into place, never a partial file.
    assert store_bytes(b"%PDF-1.7 signed", "reports/ab/abc.pdf") == "reports/ab/abc.pdf"
    assert store_bytes(b"%PDF-1.7 signed", "reports/ab/abc.pdf") == "reports/ab/abc.pdf"
    assert media.names() == {"reports/ab/abc.pdf"}
    assert media.read("reports/ab/abc.pdf") == b"%PDF-1.7 signed"


def test_a_storage_failure_storing_platform_bytes_leaves_nothing(media, broken_storage):
    with pytest.raises(Exception) as failed:
        store_bytes(b"%PDF-1.7 other", "reports/cd/cde.pdf")

    assert "disk full" in str(failed.value) or "Could not connect" in str(failed.value)
    assert media.names() == set()


# --- revisions -----------------------------------------------------------------------------------


def test_revising_creates_a_new_row_and_leaves_the_old_one_unchanged(item, officer, media):
    original = add(item, officer, upload=Stream(pdf_bytes(), "policy.pdf"))
    snapshot = {f.attname: getattr(original, f.attname) for f in Evidence._meta.concrete_fields}
    new_content = b"# Policy v2\n\nNow covers live streams.\n"

    revision = evidence_revise(
        evidence=original,
        acting_user=officer,
        title="Child safety policy v2",
        upload=Stream(new_content, "policy-v2.md"),
    )

    original.refresh_from_db()
    assert {f.attname: getattr(original, f.attname) for f in Evidence._meta.concrete_fields} == snapshot
    assert revision.pk != original.pk
    assert revision.supersedes == original
    assert revision.revision == 2
    assert revision.title == "Child safety policy v2"
    assert (revision.effective_date, revision.visibility) == (original.effective_date, original.visibility)
    assert revision.sha256 == hashlib.sha256(new_content).hexdigest()
    assert revision.media_type == "text/markdown"
    assert not original.is_current and revision.is_current
    # Both versions stay readable.
    assert media.names() == {original.storage_name, revision.storage_name}
    data = json.loads(LedgerEntry.objects.get(event="evidence.revised").payload)["data"]
    assert (data["supersedes"], data["evidence"], data["revision"]) == (original.pk, revision.pk, 2)


def test_revising_only_the_visibility_keeps_the_same_file(item, officer, media):
    original = add(item, officer, upload=Stream(pdf_bytes(), "policy.pdf"))

    revision = evidence_revise(
        evidence=original, acting_user=officer, visibility=Evidence.Visibility.RESTRICTED
    )

    assert revision.visibility == Evidence.Visibility.RESTRICTED
    assert (revision.sha256, revision.storage_name, revision.title, revision.original_name) == (
        original.sha256,
        original.storage_name,
        original.title,
        original.original_name,
    )


def test_a_file_can_be_revised_into_a_link(item, officer, media):
    original = add(item, officer, upload=Stream(pdf_bytes(), "policy.pdf"))

    revision = evidence_revise(evidence=original, acting_user=officer, url="https://example.test/policy")

    assert revision.kind == Evidence.Kind.URL
    assert (revision.sha256, revision.storage_name, revision.size_bytes) == ("", "", None)
    assert media.exists(original.storage_name)


def test_it_refuses_to_revise_evidence_that_was_already_revised(item, officer, media):
    original = add(item, officer, upload=Stream(pdf_bytes(), "policy.pdf"))
    evidence_revise(evidence=original, acting_user=officer, title="Second version")

    with pytest.raises(InvalidTransition, match="already been revised"):
        evidence_revise(evidence=original, acting_user=officer, title="Competing version")

    assert Evidence.objects.count() == 2


def test_a_revision_must_change_something(item, officer, media):
    original = add(item, officer, url="https://example.test/policy")
    with pytest.raises(ValidationFailed, match="Nothing to revise"):
        evidence_revise(evidence=original, acting_user=officer)


def test_revising_is_refused_for_viewers_and_after_submission(report, item, officer, viewer, reviewer, media):
    original = add(item, officer, url="https://example.test/policy")
    with pytest.raises(NotAllowed):
        evidence_revise(evidence=original, acting_user=viewer, title="Viewer edit")

    advance(report, ReportStatus.SUBMITTED, officer=officer, reviewer=reviewer)
    with pytest.raises(InvalidTransition):
        evidence_revise(evidence=original, acting_user=officer, title="Late edit")
    assert Evidence.objects.count() == 1


def test_a_refused_revision_upload_leaves_the_evidence_as_it_was(item, officer, media):
    original = add(item, officer, upload=Stream(pdf_bytes(), "policy.pdf"))
    before = LedgerEntry.objects.count()

    with pytest.raises(UploadRefused, match="ELF"):
        evidence_revise(evidence=original, acting_user=officer, upload=Stream(elf_bytes(), "policy.pdf"))

    assert list(Evidence.objects.all()) == [original]
    assert LedgerEntry.objects.count() == before
    assert media.names() == {original.storage_name}
