"""Storage tests on both backends: a folder (MEDIA_ROOT) and a real S3-compatible server.

The server is moto in server mode, started once per test process as a separate process on a free
port of 127.0.0.1, so uploads and downloads go over HTTP through boto3 and django-storages exactly
as against AWS or MinIO, and the memory a test measures is the app's, not the server's.

`media` gives a test the storage it runs on (a fresh folder, or a fresh bucket) and what is in it,
leftovers included: for a bucket, every object plus any file left in the scratch folder or in
MEDIA_ROOT, which must stay empty. A module runs on both backends by overriding `storage_backend`:

    @pytest.fixture(params=BACKENDS)
    def storage_backend(request):
        return request.param

Under CI=true a missing moto fails the test instead of skipping it.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

BACKENDS = ["folder", "bucket"]
S3_REGION = "us-east-1"
_STARTUP_SECONDS = 60
# Throwaway values for the local server; boto3 needs some credentials to sign requests.
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "pledgeproof-test", "AWS_SECRET_ACCESS_KEY": "pledgeproof-test"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def dead_endpoint() -> str:
    """An address where nothing listens: a storage server that is down."""
    return f"http://127.0.0.1:{_free_port()}"


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory) -> Iterator[str]:
    if importlib.util.find_spec("moto") is None or importlib.util.find_spec("flask") is None:
        message = "moto[server] is not installed (pip install -r requirements-dev.txt)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; under CI=true the S3 storage tests must run")
        pytest.skip(message)
    log_path = tmp_path_factory.mktemp("moto") / "server.log"
    port = _free_port()
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **FAKE_CREDENTIALS},
        )
    try:
        deadline = time.monotonic() + _STARTUP_SECONDS
        while not _answers(port):
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the moto S3 server did not start:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def s3_client(endpoint: str):
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=S3_REGION,
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


def bucket_storage_settings(bucket: str, endpoint: str) -> dict:
    """STORAGES["default"] for `bucket`, built from the environment as production builds it."""
    from config.storage import default_storage_from_env

    environ = {
        "STORAGE_BACKEND": "s3",
        "S3_BUCKET": bucket,
        "S3_ENDPOINT_URL": endpoint,
        "S3_REGION": S3_REGION,
        **FAKE_CREDENTIALS,
    }
    # One attempt: a test of a dead server should not wait for retries.
    return default_storage_from_env(environ, max_attempts=1)


class StoredFiles:
    """What is in the storage a test runs on, as names relative to the storage root."""

    backend: str

    def names(self) -> set[str]:
        raise NotImplementedError

    def read(self, name: str) -> bytes:
        raise NotImplementedError

    def exists(self, name: str) -> bool:
        return name in self.names()


class FolderFiles(StoredFiles):
    backend = "folder"

    def __init__(self, root: Path):
        self.root = root

    def names(self) -> set[str]:
        """Every file under MEDIA_ROOT, hidden scratch files included."""
        found = set()
        for folder, _dirs, files in os.walk(self.root):
            for name in files:
                found.add(os.path.relpath(os.path.join(folder, name), self.root))
        return found

    def read(self, name: str) -> bytes:
        return (self.root / name).read_bytes()


class BucketFiles(StoredFiles):
    backend = "bucket"

    def __init__(self, *, client, bucket: str, scratch: Path, media_root: Path):
        self.client = client
        self.bucket = bucket
        self.scratch = scratch
        self.media_root = media_root

    def keys(self) -> set[str]:
        keys = set()
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket):
            keys.update(entry["Key"] for entry in page.get("Contents", ()))
        return keys

    def names(self) -> set[str]:
        """Every object, plus anything left in the scratch folder or MEDIA_ROOT (both should be empty)."""
        left = {f"scratch:{name}" for name in FolderFiles(self.scratch).names()}
        left |= {f"media-root:{name}" for name in FolderFiles(self.media_root).names()}
        return self.keys() | left

    def read(self, name: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=name)["Body"].read()

    def empty(self) -> None:
        """Every version too, for tests that switch versioning on."""
        for page in self.client.get_paginator("list_object_versions").paginate(Bucket=self.bucket):
            for entry in page.get("Versions", []) + page.get("DeleteMarkers", []):
                self.client.delete_object(Bucket=self.bucket, Key=entry["Key"], VersionId=entry["VersionId"])


@pytest.fixture(params=["folder"])
def storage_backend(request) -> str:
    """The folder unless a module asks for both (see the module docstring)."""
    return request.param


@pytest.fixture
def media(storage_backend, settings, tmp_path, monkeypatch, request) -> Iterator[StoredFiles]:
    """Evidence and PDFs stored in a folder or bucket of this test's own, so that what a test leaves
    behind can be listed."""
    settings.MEDIA_ROOT = tmp_path / "media"
    if storage_backend == "folder":
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        }
        yield FolderFiles(settings.MEDIA_ROOT)
        return
    endpoint = request.getfixturevalue("s3_endpoint")
    for name, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_S3_ACCESS_KEY_ID", "AWS_S3_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    settings.MEDIA_ROOT.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = tmp_path / "scratch"
    settings.FILE_UPLOAD_TEMP_DIR.mkdir()
    bucket = f"pp-test-{uuid.uuid4().hex[:16]}"
    client = s3_client(endpoint)
    client.create_bucket(Bucket=bucket)
    settings.STORAGES = {**settings.STORAGES, "default": bucket_storage_settings(bucket, endpoint)}
    files = BucketFiles(
        client=client, bucket=bucket, scratch=settings.FILE_UPLOAD_TEMP_DIR, media_root=settings.MEDIA_ROOT
    )
    yield files
    files.empty()  # the server keeps objects in memory for the whole run
    client.delete_bucket(Bucket=bucket)


@pytest.fixture(params=BACKENDS, name="storage_backend")
def on_both_backends(request) -> str:
    """Import into a test module to run its tests that use `media` on a folder and on a bucket."""
    return request.param


@pytest.fixture
def broken_storage(media, settings, monkeypatch) -> None:
    """The storage fails from now on: a full disk for a folder, a server that is down for a bucket."""
    if media.backend == "folder":
        from django.core.files.storage import FileSystemStorage

        def full_disk(self, name, content, max_length=None):
            raise OSError("disk full")

        monkeypatch.setattr(FileSystemStorage, "save", full_disk)
        return
    default = settings.STORAGES["default"]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": bucket_storage_settings(default["OPTIONS"]["bucket_name"], dead_endpoint()),
    }
