"""Evidence: adding and revising the files and links that back an item.

Evidence is immutable. A revision is a new row that supersedes the old one, and stored files
are named by their SHA-256, so nothing is ever overwritten or deleted once committed.
"""

import datetime
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction

from accounts.models import User
from commitments import access
from commitments.errors import InvalidTransition, ValidationFailed
from commitments.evidence_storage import StoredBlob, delete_blob, open_blob, store_evidence_file
from commitments.models import Evidence, ItemResponse, ProgressReport
from commitments.services.ledger import LedgerRecord, ledger_append, ledger_append_many
from commitments.services.reports import EDITABLE_STATES, report_lock
from commitments.vocabulary import LedgerEvent

logger = logging.getLogger(__name__)

_TITLE_MAX = Evidence._meta.get_field("title").max_length
_URL_MAX = Evidence._meta.get_field("url").max_length
_validate_url = URLValidator(schemes=["http", "https"])
# What a revision carries over when it changes only the description, not the file or link.
_CONTENT_FIELDS = ("kind", "url", "original_name", "storage_name", "sha256", "size_bytes", "media_type")


@transaction.atomic
def evidence_add(
    *,
    item: ItemResponse,
    acting_user: User,
    title: str,
    effective_date: datetime.date,
    visibility: str,
    upload: Any = None,
    url: str = "",
) -> Evidence:
    """Attach a file (streamed, hashed, sniffed) or an http(s) link to an item of an editable report."""
    _require_editable(item, acting_user)
    url = (url or "").strip()
    problems: dict[str, list[str]] = {}
    if upload is None and not url:
        problems.setdefault("upload", []).append("Attach a file or give a URL.")
    elif upload is not None and url:
        problems.setdefault("upload", []).append("Give either a file or a URL, not both.")
    fields = _clean_fields(
        title=title, effective_date=effective_date, visibility=visibility, problems=problems
    )
    if url:
        _check_url(url, problems)
    if problems:
        raise ValidationFailed(_summary(problems), problems)

    blob = store_evidence_file(upload) if upload is not None else None
    with _discard_new_blob_on_error(blob):
        evidence = Evidence.objects.create(
            item=item,
            created_by=acting_user,
            **fields,
            **_content_fields(blob=blob, url=url),
        )
        ledger_append(
            event=LedgerEvent.EVIDENCE_ADDED,
            subject=evidence,
            actor=acting_user,
            report_id=item.report_id,
            data=_ledger_data(evidence),
        )
    return evidence


@transaction.atomic
def evidence_revise(
    *,
    evidence: Evidence,
    acting_user: User,
    title: str | None = None,
    effective_date: datetime.date | None = None,
    visibility: str | None = None,
    upload: Any = None,
    url: str | None = None,
) -> Evidence:
    """Record a new revision that supersedes `evidence`; what is not given is carried over."""
    item = evidence.item
    _require_editable(item, acting_user)
    current = Evidence.objects.select_for_update().get(pk=evidence.pk)
    if Evidence.objects.filter(supersedes=current).exists():
        raise InvalidTransition("This evidence has already been revised; revise its latest revision instead.")

    problems: dict[str, list[str]] = {}
    if all(value is None for value in (title, effective_date, visibility, upload, url)):
        problems.setdefault("evidence", []).append(
            "Nothing to revise: give a new title, effective date, visibility, file or URL."
        )
    if upload is not None and url is not None:
        problems.setdefault("upload", []).append("Give either a file or a URL, not both.")
    fields = _clean_fields(
        title=current.title if title is None else title,
        effective_date=current.effective_date if effective_date is None else effective_date,
        visibility=current.visibility if visibility is None else visibility,
        problems=problems,
    )
    if url is not None:
        url = url.strip()
        if not url:
            problems.setdefault("url", []).append("Give the new URL.")
        else:
            _check_url(url, problems)
    if problems:
        raise ValidationFailed(_summary(problems), problems)

    blob = store_evidence_file(upload) if upload is not None else None
    with _discard_new_blob_on_error(blob):
        if blob is not None or url is not None:
            content = _content_fields(blob=blob, url=url or "")
        else:
            content = {name: getattr(current, name) for name in _CONTENT_FIELDS}
        try:
            # Savepoint: the one-to-one on `supersedes` catches a revision that raced ours.
            with transaction.atomic():
                revision = Evidence.objects.create(
                    item=item,
                    supersedes=current,
                    revision=current.revision + 1,
                    created_by=acting_user,
                    **fields,
                    **content,
                )
        except IntegrityError:
            raise InvalidTransition(
                "This evidence has just been revised by someone else; reload to see the latest revision."
            ) from None
        ledger_append(
            event=LedgerEvent.EVIDENCE_REVISED,
            subject=revision,
            actor=acting_user,
            report_id=item.report_id,
            data={**_ledger_data(revision), "supersedes": current.pk, "revision": revision.revision},
        )
    return revision


def evidence_open(*, evidence: Evidence, reader: User | None = None, how: str = "download") -> File:
    """The stored file, opened for reading. Callers check who may see it first.

    Opening restricted evidence for someone (`reader`) is recorded in the ledger first, whoever
    they are (issue 14): who, what, when, and whether to download it or to preview it.
    """
    if evidence.kind != Evidence.Kind.FILE or not evidence.storage_name:
        raise ValidationFailed("This evidence is a link, not a stored file.")
    if reader is not None and evidence.visibility == Evidence.Visibility.RESTRICTED:
        restricted_evidence_accessed(evidence=evidence, reader=reader, how=how)
    return open_blob(evidence.storage_name)


# bundle: downloaded inside an audit bundle's ZIP (bundles.services.bundle_downloaded).
ACCESS_KINDS = ("download", "preview", "bundle")


@transaction.atomic
def restricted_evidence_accessed(*, evidence: Evidence, reader: User, how: str) -> None:
    """Append that `reader` opened this restricted evidence (`how`: download, preview or bundle)."""
    restricted_evidence_accessed_many(evidence=[evidence], reader=reader, how=how)


@transaction.atomic
def restricted_evidence_accessed_many(*, evidence: list[Evidence], reader: User, how: str) -> None:
    """One entry per restricted file that `reader` opened at once (an audit bundle holds many),
    each exactly as `restricted_evidence_accessed` records one."""
    if how not in ACCESS_KINDS:
        raise ValueError(f"how is one of {ACCESS_KINDS}")
    records = []
    for one in evidence:
        report = one.item.report
        records.append(
            LedgerRecord(
                event=LedgerEvent.RESTRICTED_EVIDENCE_ACCESSED,
                subject=one,
                actor=reader,
                report_id=report.pk,
                data={
                    "evidence": one.pk,
                    "sha256": one.sha256,
                    "how": how,
                    "role": reader_role(reader, report),
                },
            )
        )
    if len(records) == 1:
        one = records[0]
        ledger_append(
            event=one.event, subject=one.subject, actor=one.actor, report_id=one.report_id, data=one.data
        )
    else:
        ledger_append_many(records=records)


def reader_role(reader: User, report: ProgressReport) -> str:
    """What the reader is to the report: their membership, else their platform role."""
    return access.membership_role(reader, report.organisation_id) or reader.platform_role or "none"


def _require_editable(item: ItemResponse, acting_user: User) -> ProgressReport:
    # Locked so the report cannot be submitted between this check and the new evidence row.
    report = report_lock(item.report_id)
    access.require(acting_user, access.Action.EDIT, report)
    if report.status not in EDITABLE_STATES:
        raise InvalidTransition(
            "Evidence can only be added while the report is a draft or has changes requested "
            f"(it is {report.get_status_display().lower()})."
        )
    return report


def _clean_fields(
    *, title: str, effective_date: Any, visibility: str, problems: dict[str, list[str]]
) -> dict[str, Any]:
    title = (title or "").strip()
    if not title:
        problems.setdefault("title", []).append("Give the evidence a title.")
    elif len(title) > _TITLE_MAX:
        problems.setdefault("title", []).append(f"Keep the title under {_TITLE_MAX} characters.")
    if not isinstance(effective_date, datetime.date) or isinstance(effective_date, datetime.datetime):
        problems.setdefault("effective_date", []).append("Give the date the document took effect.")
    if visibility not in Evidence.Visibility.values:
        problems.setdefault("visibility", []).append(
            f"{visibility!r} is not a visibility; choose public or restricted."
        )
    return {"title": title, "effective_date": effective_date, "visibility": visibility}


def _check_url(url: str, problems: dict[str, list[str]]) -> None:
    if len(url) > _URL_MAX:
        problems.setdefault("url", []).append(f"Keep the URL under {_URL_MAX} characters.")
        return
    try:
        _validate_url(url)
    except ValidationError:
        problems.setdefault("url", []).append("Give a full web address starting with http:// or https://.")


def _summary(problems: dict[str, list[str]]) -> str:
    return " ".join(message for messages in problems.values() for message in messages)


def _content_fields(*, blob: StoredBlob | None, url: str) -> dict[str, Any]:
    if blob is None:
        return {
            "kind": Evidence.Kind.URL,
            "url": url,
            "original_name": "",
            "storage_name": "",
            "sha256": "",
            "size_bytes": None,
            "media_type": "",
        }
    return {
        "kind": Evidence.Kind.FILE,
        "url": "",
        "original_name": blob.original_name,
        "storage_name": blob.storage_name,
        "sha256": blob.sha256,
        "size_bytes": blob.size,
        "media_type": blob.media_type,
    }


def _ledger_data(evidence: Evidence) -> dict[str, Any]:
    return {
        "item": evidence.item_id,
        "node": evidence.item.node.node_id,
        "evidence": evidence.pk,
        "kind": evidence.kind,
        "title": evidence.title,
        "visibility": evidence.visibility,
        "effective_date": evidence.effective_date.isoformat(),
        "sha256": evidence.sha256,
        "size_bytes": evidence.size_bytes,
        "media_type": evidence.media_type,
        "url": evidence.url,
    }


@contextmanager
def _discard_new_blob_on_error(blob: StoredBlob | None) -> Iterator[None]:
    """Runs the database writes in a savepoint; if they fail, removes a blob this call created.

    A blob that existed before this upload is never touched: other evidence refers to it. A new
    blob is removed only when no saved row refers to it, because an identical upload committing
    at the same moment may have found ours and be about to use it. A rollback of the caller's
    outer transaction after we return cannot be seen here and leaves an unreferenced blob, which
    is harmless: the same bytes, never served without a row pointing at them.
    """
    try:
        with transaction.atomic():
            yield
    except BaseException:
        if blob is not None and blob.created:
            try:
                if not Evidence.objects.filter(storage_name=blob.storage_name).exists():
                    delete_blob(blob.storage_name)
            except Exception:
                # Cleaning up must not hide the original error; an orphaned blob is harmless.
                logger.exception("Could not remove unreferenced evidence blob %s", blob.storage_name)
        raise
