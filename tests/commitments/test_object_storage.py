"""What an S3-compatible bucket must never do with evidence and PDFs: publish them, rewrite them,
or pass for reachable when it is not there."""

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from commitments.evidence_storage import StorageUnavailable, storage_check, store_bytes, store_evidence_file
from tests.storage_backends import bucket_storage_settings

pytestmark = pytest.mark.django_db


@pytest.fixture
def storage_backend():
    return "bucket"


def test_a_missing_bucket_fails_the_readiness_check_by_name(media, settings):
    endpoint = settings.STORAGES["default"]["OPTIONS"]["endpoint_url"]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": bucket_storage_settings("pp-no-such-bucket", endpoint),
    }

    with pytest.raises(StorageUnavailable, match=r"bucket 'pp-no-such-bucket' .*NoSuchBucket"):
        storage_check()


def test_stored_objects_are_not_public_and_have_no_url(media):
    blob = store_evidence_file(SimpleUploadedFile("policy.txt", b"Restricted policy\n"))

    grants = media.client.get_object_acl(Bucket=media.bucket, Key=blob.storage_name)["Grants"]
    assert grants and all("URI" not in grant["Grantee"] for grant in grants)  # no AllUsers, no group
    with pytest.raises(NotImplementedError, match="served only through permission-checked views"):
        default_storage.url(blob.storage_name)


def test_a_stored_object_is_never_rewritten(media):
    # With versioning on, every write of a name would add a version.
    media.client.put_bucket_versioning(Bucket=media.bucket, VersioningConfiguration={"Status": "Enabled"})
    name = store_bytes(b"%PDF-1.7 signed", "reports/ab/abc.pdf")
    store_evidence_file(SimpleUploadedFile("policy.txt", b"Policy v1\n"))

    store_bytes(b"%PDF-1.7 signed", name)
    blob = store_evidence_file(SimpleUploadedFile("copy.txt", b"Policy v1\n"))

    versions = media.client.list_object_versions(Bucket=media.bucket)
    assert sorted(version["Key"] for version in versions["Versions"]) == sorted([name, blob.storage_name])
    assert "DeleteMarkers" not in versions


def test_the_readiness_check_leaves_nothing_in_a_versioned_bucket(media):
    media.client.put_bucket_versioning(Bucket=media.bucket, VersioningConfiguration={"Status": "Enabled"})

    storage_check()
    storage_check()

    versions = media.client.list_object_versions(Bucket=media.bucket)
    assert "Versions" not in versions and "DeleteMarkers" not in versions


def test_readyz_is_ready_with_the_bucket_and_not_when_its_server_is_down(client, media, request):
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"]["storage"]["status"] == "ok"

    request.getfixturevalue("broken_storage")
    down = client.get("/readyz")

    assert down.status_code == 503
    storage = down.json()["checks"]["storage"]
    assert (storage["status"], storage["error"]) == ("fail", "StorageUnavailable")
