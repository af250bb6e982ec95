"""STORAGE_BACKEND and the S3_ variables: a value that cannot work stops start-up naming the variable.

Start-up is run as a fresh `manage.py` process with a clean environment, as in test_settings_env.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from hypothesis import given
from hypothesis import strategies as st

from config.storage import FILESYSTEM_BACKEND, S3_BACKEND, default_storage_from_env

ROOT = Path(__file__).resolve().parent.parent
PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV")
S3 = {"STORAGE_BACKEND": "s3", "S3_BUCKET": "pledgeproof-media"}
SHOW_STORAGE = (
    "from django.core.files.storage import storages; s = storages['default']; "
    "print(type(s).__name__, getattr(s, 'bucket_name', '-'), getattr(s, 'endpoint_url', '-'), "
    "getattr(s, 'region_name', '-'), repr(getattr(s, 'location', '-')))"
)


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {name: os.environ[name] for name in PASSED_THROUGH if name in os.environ}
    clean.update(env, DJANGO_SETTINGS_MODULE="config.settings", DEBUG="1")
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    "env,message",
    [
        ({"STORAGE_BACKEND": "ftp"}, "STORAGE_BACKEND must be one of filesystem, s3; got 'ftp'."),
        ({"STORAGE_BACKEND": "s3"}, "S3_BUCKET must be set when STORAGE_BACKEND=s3"),
        ({**S3, "S3_BUCKET": "My_Bucket"}, "S3_BUCKET must be a bucket name"),
        ({**S3, "S3_ENDPOINT_URL": "minio:9000"}, "S3_ENDPOINT_URL must be an http:// or https:// address"),
        (
            {**S3, "S3_REGION": "eu west 1"},
            "S3_REGION must be a region name such as eu-west-1; got 'eu west 1'.",
        ),
        ({**S3, "S3_PREFIX": "../escape"}, "S3_PREFIX must be a folder-like key prefix"),
        ({**S3, "S3_ADDRESSING_STYLE": "sideways"}, "S3_ADDRESSING_STYLE must be one of auto, path, virtual"),
        ({**S3, "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE"}, "AWS_SECRET_ACCESS_KEY must be set too"),
        ({"S3_BUCKET": "pledgeproof-media"}, "S3_BUCKET is set but STORAGE_BACKEND is not s3"),
    ],
)
def test_a_storage_setting_that_cannot_work_stops_start_up_naming_the_variable(env, message):
    result = _manage("check", **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_files_stay_in_the_media_folder_unless_a_bucket_is_asked_for():
    result = _manage("shell", "-c", SHOW_STORAGE)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split()[0] == "FileSystemStorage"


def test_the_object_storage_settings_the_readme_documents_select_the_bucket():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### Object storage", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL).group(1)
    env = dict(re.findall(r"^export (\w+)=(\S+)", block, re.MULTILINE))
    assert env["STORAGE_BACKEND"] == "s3"

    result = _manage("shell", "-c", SHOW_STORAGE, **env)

    assert result.returncode == 0, result.stderr
    name, bucket, endpoint, region, location = result.stdout.splitlines()[-1].split()
    assert name == "PrivateS3Storage"
    assert (bucket, endpoint, region) == (env["S3_BUCKET"], env["S3_ENDPOINT_URL"], env["S3_REGION"])
    assert location == repr(env.get("S3_PREFIX", ""))


def test_behind_an_endpoint_a_bucket_is_addressed_by_path_and_fails_fast():
    options = default_storage_from_env(
        {**S3, "S3_ENDPOINT_URL": "http://127.0.0.1:9000", "S3_PREFIX": "/pp/"}
    )
    assert options["BACKEND"] == S3_BACKEND
    assert options["OPTIONS"]["location"] == "pp"
    assert options["OPTIONS"]["client_config"].s3 == {"addressing_style": "path"}
    assert options["OPTIONS"]["client_config"].connect_timeout == 5
    assert default_storage_from_env({}) == {"BACKEND": FILESYSTEM_BACKEND}


@given(bucket=st.text(max_size=80))
def test_any_bucket_name_is_either_a_valid_one_or_refused_by_name(bucket):
    try:
        options = default_storage_from_env({**S3, "S3_BUCKET": bucket})["OPTIONS"]
    except ImproperlyConfigured as refused:
        assert str(refused).startswith("S3_BUCKET must be")
        return
    name = options["bucket_name"]
    assert name == bucket.strip()
    assert 3 <= len(name) <= 63
    assert re.fullmatch(r"[a-z0-9][a-z0-9.-]*[a-z0-9]", name) and ".." not in name


@given(endpoint=st.text(max_size=60) | st.builds(lambda rest: "http://" + rest, st.text(max_size=40)))
def test_any_endpoint_is_either_an_http_address_or_refused_by_name(endpoint):
    try:
        options = default_storage_from_env({**S3, "S3_ENDPOINT_URL": endpoint})["OPTIONS"]
    except ImproperlyConfigured as refused:
        assert str(refused).startswith("S3_ENDPOINT_URL must be")
        return
    assert options["endpoint_url"] is None or options["endpoint_url"].startswith(("http://", "https://"))
