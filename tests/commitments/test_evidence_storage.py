"""The content-addressed store itself, on a folder and on an S3-compatible bucket alike: memory
bounds, names kept, the readiness check, and what a bucket must never do (overwrite, publish)."""

import datetime
import hashlib
import tracemalloc

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.urls import reverse

from commitments.errors import UploadRefused
from commitments.evidence_storage import (
    StorageUnavailable,
    content_address,
    storage_check,
    store_bytes,
    store_evidence_file,
)
from commitments.models import Evidence
from commitments.services.evidence import evidence_add
from tests.storage_backends import bucket_storage_settings, on_both_backends  # noqa: F401

pytestmark = pytest.mark.django_db

MB = 1024 * 1024
LINE = b"2026-03-01, 12 reports escalated to the hotline; source: case system export\n"


def _text_upload(size: int) -> TemporaryUploadedFile:
    """A text file on disk, as Django's upload handler leaves a large upload."""
    upload = TemporaryUploadedFile("moderation-log.txt", "text/plain", 0, "utf-8")
    for _ in range(size // len(LINE)):
        upload.write(LINE)
    upload.size = upload.tell()
    return upload


def _add(item, user, upload) -> Evidence:
    return evidence_add(
        item=item,
        acting_user=user,
        title="Moderation log",
        effective_date=datetime.date(2026, 3, 1),
        visibility="restricted",
        upload=upload,
    )


def _download(client, evidence) -> tuple[int, str]:
    response = client.get(reverse("commitments:evidence_download", args=[evidence.pk]))
    digest = hashlib.sha256()
    size = 0
    for chunk in response.streaming_content:
        digest.update(chunk)
        size += len(chunk)
    return size, digest.hexdigest()


def _peak_memory(action):
    tracemalloc.start()
    try:
        result = action()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_24_mb_upload_and_its_download_never_sit_in_memory_whole(item, officer, viewer, client, media):
    client.force_login(viewer)
    # Warm up every code path first, so that what is measured is the file, not first imports.
    _download(client, _add(item, officer, SimpleUploadedFile("warm-up.txt", LINE * 200_000)))
    upload = _text_upload(24 * MB)

    evidence, upload_peak = _peak_memory(lambda: _add(item, officer, upload))
    upload.close()
    (size, sha256), download_peak = _peak_memory(lambda: _download(client, evidence))

    assert (size, sha256) == (evidence.size_bytes, evidence.sha256)
    assert size > 23 * MB
    # A fraction of the file: it streamed through in chunks and parts, in and out.
    assert upload_peak < 8 * MB, f"uploading held {upload_peak / MB:.1f} MB"
    assert download_peak < 2 * MB, f"downloading held {download_peak / MB:.1f} MB"
    assert media.names() == {
        evidence.storage_name,
        content_address(hashlib.sha256(LINE * 200_000).hexdigest()),
    }


def test_an_oversized_upload_is_refused_and_nothing_is_stored(item, officer, media, settings):
    settings.EVIDENCE_MAX_UPLOAD_BYTES = 2 * MB
    upload = _text_upload(3 * MB)
    upload.size = 0  # a client that did not say how large it is: stopped while streaming

    with pytest.raises(UploadRefused, match="This file is too large: the limit is 2 MB"):
        _add(item, officer, upload)
    upload.close()

    assert not Evidence.objects.exists()
    assert media.names() == set()


def test_storing_the_same_bytes_again_keeps_the_stored_file(media):
    first = store_evidence_file(SimpleUploadedFile("policy.txt", b"Policy v1\n"))
    second = store_evidence_file(SimpleUploadedFile("copy.txt", b"Policy v1\n"))

    assert (first.created, second.created) == (True, False)
    assert first.storage_name == second.storage_name
    assert media.names() == {first.storage_name}


def test_an_identical_upload_racing_ours_leaves_one_file(media, monkeypatch):
    # The other upload stores the same name between our existence check and our save.
    kept = store_evidence_file(SimpleUploadedFile("policy.txt", b"Policy v1\n"))
    monkeypatch.setattr(type(default_storage._wrapped), "exists", _exists_false_once(default_storage.exists))

    raced = store_evidence_file(SimpleUploadedFile("copy.txt", b"Policy v1\n"))

    assert raced.storage_name == kept.storage_name
    assert raced.created is False  # so a failure after it never deletes the other upload's file
    assert media.names() == {kept.storage_name}
    assert media.read(kept.storage_name) == b"Policy v1\n"


def _exists_false_once(real_exists):
    calls = []

    def exists(self, name):
        calls.append(name)
        return False if len(calls) == 1 else real_exists(name)

    return exists


def test_the_readiness_check_passes_and_writes_nothing(media):
    store_bytes(b"%PDF-1.7 signed", "reports/ab/abc.pdf")

    storage_check()

    assert media.names() == {"reports/ab/abc.pdf"}


def test_the_readiness_check_names_the_storage_that_is_down(media, settings, request):
    if media.backend == "bucket":
        request.getfixturevalue("broken_storage")  # the server is down
    else:
        blocker = settings.MEDIA_ROOT.parent / "not-a-folder"  # the folder cannot be made
        blocker.write_text("")
        settings.MEDIA_ROOT = blocker / "media"

    with pytest.raises(StorageUnavailable) as failed:
        storage_check()

    message = str(failed.value)
    assert message.startswith("Storage (")
    assert "is not usable" in message
    if media.backend == "bucket":
        assert "bucket 'pp-test-" in message and "Could not connect to the endpoint URL" in message
    else:
        assert "not-a-folder" in message
