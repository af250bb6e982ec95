"""The S3-compatible backend for evidence files and signed PDFs (`STORAGE_BACKEND=s3`, config/storage.py).

django-storages' S3Storage, changed where the content-addressed store (commitments.evidence_storage)
relies on something it does not do:

- Uploads stream from the scratch file by its path (boto3's `upload_file` reads each part from
  disk as it sends it). S3Storage hands boto3 the open file instead, and boto3 then copies every
  part of a multipart upload into memory, several at once.
- Reads stream the object's body as it arrives. S3Storage's S3File downloads the whole object
  before its first byte can be read, into memory unless AWS_S3_MAX_MEMORY_SIZE is set.
- A stored name is never overwritten: the name is the content's hash, and an identical upload
  racing ours gets another name that evidence_storage then deletes, as on a file system.
- There are no URLs. Objects stay private (the bucket's default; no ACL is sent, which also works
  on buckets with ACLs disabled) and are served only through permission-checked views.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

_NOT_FOUND = {"404", "NoSuchKey", "NotFound"}


class StoredObjectReader:
    """An object's body, read as it arrives from the server, with the size the server gave.

    Not seekable and without tell(), so that FileResponse streams it in blocks rather than
    measuring it by reading; callers set Content-Length from `size`.
    """

    def __init__(self, body: Any, *, name: str, size: int):
        self._body = body
        self.name = name
        self.size = size
        self.closed = False

    def read(self, size: int | None = -1) -> bytes:
        return self._body.read(None if size is None or size < 0 else size)

    def chunks(self, chunk_size: int = 64 * 1024):
        while chunk := self.read(chunk_size):
            yield chunk

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._body.close()

    def __enter__(self) -> StoredObjectReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class PrivateS3Storage(S3Storage):
    file_overwrite = False
    default_acl = None
    querystring_auth = True

    def _open(self, name: str, mode: str = "rb"):
        if mode != "rb":
            return super()._open(name, mode)
        key = self._normalize_name(clean_name(name))
        try:
            response = self.connection.meta.client.get_object(Bucket=self.bucket_name, Key=key)
        except ClientError as err:
            if _is_not_found(err):
                raise FileNotFoundError(f"No object {key!r} in bucket {self.bucket_name!r}.") from None
            raise
        return StoredObjectReader(response["Body"], name=name, size=response["ContentLength"])

    def _save(self, name: str, content: Any) -> str:
        temporary_file_path = getattr(content, "temporary_file_path", None)
        if temporary_file_path is None:
            return super()._save(name, content)
        cleaned = clean_name(name)
        key = self._normalize_name(cleaned)
        self.bucket.Object(key).upload_file(
            temporary_file_path(),
            ExtraArgs=self._get_write_parameters(key, content),
            Config=self.transfer_config,
        )
        return cleaned

    def url(self, name: str, parameters: Any = None, expire: Any = None, http_method: Any = None) -> str:
        raise NotImplementedError(
            "Stored evidence and PDFs have no URL: they are served only through permission-checked views."
        )

    def describe(self) -> str:
        where = self.endpoint_url or "AWS S3"
        return f"bucket {self.bucket_name!r} at {where}"


def _is_not_found(err: ClientError) -> bool:
    """A missing object; a missing bucket is a configuration error, not a missing file."""
    code = str(err.response.get("Error", {}).get("Code"))
    status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return code in _NOT_FOUND or (status == 404 and code != "NoSuchBucket")
