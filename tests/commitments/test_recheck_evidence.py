"""recheck_evidence: every stored file judged again under today's rules, nothing changed.

On a folder and on a bucket alike."""

import datetime
import hashlib
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from commitments.evidence_storage import content_address
from commitments.models import Evidence
from commitments.services.evidence import evidence_add
from tests.commitments.hostile_corpus import image_pdf
from tests.samples import pdf_bytes
from tests.storage_backends import on_both_backends  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

EFFECTIVE = datetime.date(2026, 3, 1)
SVG_AFTER_PADDING = b"Quarterly report.\n" * 100 + b"<svg><image href='x.png'/></svg>\n"


def add(item, user, name, data, title="Hash-matching policy"):
    return evidence_add(
        item=item,
        acting_user=user,
        title=title,
        effective_date=EFFECTIVE,
        visibility="restricted",
        upload=SimpleUploadedFile(name, data),
    )


def legacy_row(item, user, name, data, title):
    """A file stored before today's checks: written straight into storage, as the old code allowed."""
    sha256 = hashlib.sha256(data).hexdigest()
    storage_name = default_storage.save(content_address(sha256), ContentFile(data))
    return Evidence.objects.create(
        item=item,
        kind=Evidence.Kind.FILE,
        title=title,
        effective_date=EFFECTIVE,
        visibility="restricted",
        original_name=name,
        storage_name=storage_name,
        sha256=sha256,
        size_bytes=len(data),
        media_type="text/plain",
        created_by=user,
    )


def run():
    out, err = StringIO(), StringIO()
    try:
        call_command("recheck_evidence", stdout=out, stderr=err)
    except CommandError as exc:
        return 1, out.getvalue(), str(exc)
    return 0, out.getvalue(), err.getvalue()


def test_it_exits_0_with_a_summary_when_every_file_passes(item, officer):
    add(item, officer, "policy.pdf", pdf_bytes())
    add(item, officer, "copy.pdf", pdf_bytes(), title="Same file again")
    add(item, officer, "notes.md", b"# Notes\n")

    status, out, _ = run()

    assert status == 0
    assert (
        "Checked 2 stored files (3 evidence rows): 0 would now be refused, 0 missing from storage. All pass."
        in out
    )


def test_it_lists_what_would_now_be_refused_and_exits_1_changing_nothing(item, officer, report, media):
    add(item, officer, "policy.pdf", pdf_bytes())
    svg = legacy_row(item, officer, "notes.txt", SVG_AFTER_PADDING, "Quarterly notes")
    picture = legacy_row(item, officer, "scan.pdf", image_pdf(), "Scanned policy")
    before = list(Evidence.objects.values())
    files_before = media.names()

    status, out, summary = run()

    assert status == 1
    assert (
        f"Evidence #{svg.pk} · {report.organisation.name} · report {report.reference} ({report.period}) · "
        f"“Quarterly notes” · sha256 {svg.sha256}\n    This file contains SVG markup (“<svg” at byte 1,800)"
    ) in out
    assert f"Evidence #{picture.pk} · " in out
    assert "This PDF contains a raster image (object 6)." in out
    assert summary == (
        "Checked 3 stored files (3 evidence rows): 2 would now be refused, 0 missing from storage. "
        "Nothing was changed."
    )
    assert list(Evidence.objects.values()) == before
    assert media.names() == files_before


def test_a_missing_file_is_reported_not_a_crash(item, officer):
    evidence = add(item, officer, "policy.pdf", pdf_bytes())
    default_storage.delete(evidence.storage_name)

    status, out, summary = run()

    assert status == 1
    assert f"Evidence #{evidence.pk} · " in out
    assert "The file is missing from storage." in out
    assert "0 would now be refused, 1 missing from storage" in summary


def test_a_csv_that_is_no_longer_a_table_is_listed(item, officer):
    ragged = legacy_row(item, officer, "reports.csv", b"quarter,reports\n2026-Q1\n", "Report counts")

    status, out, _ = run()

    assert status == 1
    assert f"Evidence #{ragged.pk} · " in out
    assert "line 2 has 1 field where the first row has 2" in out


def test_an_unusable_storage_stops_it_before_checking_anything(item, officer, media, settings, request):
    add(item, officer, "policy.pdf", pdf_bytes())
    if media.backend == "bucket":
        request.getfixturevalue("broken_storage")  # the server is down
    else:
        # A folder that cannot be created, since a file stands in its place.
        blocker = settings.MEDIA_ROOT.parent / "not-a-folder"
        blocker.write_text("")
        settings.MEDIA_ROOT = blocker / "media"

    status, out, summary = run()

    assert status == 1
    assert out == ""
    assert summary.startswith("Storage (")
    assert "is not usable" in summary and summary.endswith("Nothing was checked.")
