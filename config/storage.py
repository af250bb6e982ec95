"""Where evidence files and signed PDFs are kept: STORAGES["default"], chosen by the environment.

`STORAGE_BACKEND=filesystem` (the default) keeps them under MEDIA_ROOT. `STORAGE_BACKEND=s3` keeps
them in a bucket of AWS S3 or any S3-compatible server (MinIO, Ceph, Garage...), through
commitments.object_storage.PrivateS3Storage. Credentials are not settings: boto3 reads them from
AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), a profile or an instance role,
so they never sit in the settings module. A value that cannot work stops start-up with
ImproperlyConfigured naming the variable, rather than failing at the first upload.

Kept apart from config/settings.py so that it can be checked with any environment mapping.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

BACKENDS = ("filesystem", "s3")
ADDRESSING_STYLES = ("auto", "path", "virtual")
S3_BACKEND = "commitments.object_storage.PrivateS3Storage"
FILESYSTEM_BACKEND = "django.core.files.storage.FileSystemStorage"
S3_VARIABLES = ("S3_BUCKET", "S3_ENDPOINT_URL", "S3_REGION", "S3_PREFIX", "S3_ADDRESSING_STYLE")

# The rules AWS gives for a bucket name (3-63 characters, lower-case letters, digits, dots and
# hyphens, starting and ending with a letter or digit, not shaped like an IP address).
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_IP_ADDRESS = re.compile(r"\d{1,3}(\.\d{1,3}){3}")
_REGION = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
_PREFIX = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,199}")

# Fail fast when the server is unreachable (a readiness probe should not hang), but let a slow
# transfer of a large file go on.
CONNECT_TIMEOUT_SECONDS = 5
READ_TIMEOUT_SECONDS = 60
MAX_ATTEMPTS = 3


def default_storage_from_env(
    environ: Mapping[str, str], *, max_attempts: int = MAX_ATTEMPTS
) -> dict[str, Any]:
    """The STORAGES["default"] entry that `environ` asks for; ImproperlyConfigured if it cannot work."""
    raw = environ.get("STORAGE_BACKEND", "")
    backend = raw.strip().lower() or "filesystem"
    if backend not in BACKENDS:
        raise ImproperlyConfigured(f"STORAGE_BACKEND must be one of {', '.join(BACKENDS)}; got {raw!r}.")
    if backend == "filesystem":
        given = [name for name in S3_VARIABLES if environ.get(name, "").strip()]
        if given:
            # Most likely STORAGE_BACKEND was forgotten: evidence would then go to a local disk
            # that a container may lose, while the operator believes it is in the bucket.
            raise ImproperlyConfigured(
                f"{given[0]} is set but STORAGE_BACKEND is not s3; set STORAGE_BACKEND=s3 to keep files "
                "in the bucket, or unset the S3_ variables to keep them under MEDIA_ROOT."
            )
        return {"BACKEND": FILESYSTEM_BACKEND}
    return {"BACKEND": S3_BACKEND, "OPTIONS": s3_options(environ, max_attempts=max_attempts)}


def s3_options(environ: Mapping[str, str], *, max_attempts: int = MAX_ATTEMPTS) -> dict[str, Any]:
    from botocore.config import Config

    bucket = environ.get("S3_BUCKET", "").strip()
    if not bucket:
        raise ImproperlyConfigured("S3_BUCKET must be set when STORAGE_BACKEND=s3 (the bucket's name).")
    if not _BUCKET.fullmatch(bucket) or ".." in bucket or _IP_ADDRESS.fullmatch(bucket):
        raise ImproperlyConfigured(
            f"S3_BUCKET must be a bucket name (3-63 lower-case letters, digits, dots and hyphens); "
            f"got {bucket!r}."
        )
    endpoint = environ.get("S3_ENDPOINT_URL", "").strip()
    if endpoint:
        try:
            parts = urlsplit(endpoint)
            usable = (
                parts.scheme in ("http", "https") and parts.hostname and not (parts.query or parts.fragment)
            )
            parts.port  # noqa: B018 - raises ValueError for a port that is not a number
        except ValueError:
            usable = False
        if not usable:
            raise ImproperlyConfigured(
                f"S3_ENDPOINT_URL must be an http:// or https:// address such as "
                f"https://minio.internal:9000; got {endpoint!r}."
            )
    region = environ.get("S3_REGION", "").strip()
    if region and not _REGION.fullmatch(region):
        raise ImproperlyConfigured(f"S3_REGION must be a region name such as eu-west-1; got {region!r}.")
    prefix = environ.get("S3_PREFIX", "").strip().strip("/")
    if prefix and (not _PREFIX.fullmatch(prefix) or ".." in prefix.split("/")):
        raise ImproperlyConfigured(
            f"S3_PREFIX must be a folder-like key prefix such as pledgeproof/media; got {prefix!r}."
        )
    raw_style = environ.get("S3_ADDRESSING_STYLE", "")
    style = raw_style.strip().lower() or ("path" if endpoint else "auto")
    if style not in ADDRESSING_STYLES:
        raise ImproperlyConfigured(
            f"S3_ADDRESSING_STYLE must be one of {', '.join(ADDRESSING_STYLES)}; got {raw_style!r}."
        )
    key_id = environ.get("AWS_ACCESS_KEY_ID", "").strip()
    secret = environ.get("AWS_SECRET_ACCESS_KEY", "").strip()
    if bool(key_id) != bool(secret):
        missing = "AWS_SECRET_ACCESS_KEY" if key_id else "AWS_ACCESS_KEY_ID"
        raise ImproperlyConfigured(
            f"{missing} must be set too: give both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or "
            "neither (to use a profile or an instance role)."
        )
    return {
        "bucket_name": bucket,
        "endpoint_url": endpoint or None,
        "region_name": region or None,
        "location": prefix,
        "client_config": Config(
            s3={"addressing_style": style},
            signature_version="s3v4",
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            read_timeout=READ_TIMEOUT_SECONDS,
            retries={"mode": "standard", "max_attempts": max_attempts},
        ),
    }
