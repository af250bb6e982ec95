"""The hostile corpus, uploaded through the officer's evidence form as an attacker would.

Every file must be refused with its message on the page and leave nothing behind: no evidence
row, no ledger entry, no file in storage (not even a scratch file), in a folder or a bucket.
"""

import html

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from commitments.models import Evidence, LedgerEntry
from tests.commitments.hostile_corpus import (
    PDFS,
    PDFS_ALLOWED_WITH_IMAGES,
    TEXTS,
    js_open_action_pdf,
    text_pdf_with_link,
    weasyprint_pdf,
)
from tests.storage_backends import on_both_backends  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


def upload(client, item, name, data):
    prefix = f"evidence-{item.pk}"
    return client.post(
        reverse("commitments:evidence_add", kwargs={"report_id": item.report_id, "item_id": item.pk}),
        {
            f"{prefix}-title": "Evidence under test",
            f"{prefix}-effective_date": "2026-03-01",
            f"{prefix}-visibility": "public",
            f"{prefix}-url": "",
            f"{prefix}-upload": SimpleUploadedFile(name, data, content_type="application/pdf"),
        },
        headers={"HX-Request": "true"},
    )


def assert_refused(response, message, media):
    assert response.status_code == 400
    assert message in html.unescape(response.content.decode())
    assert not Evidence.objects.exists()
    assert not LedgerEntry.objects.filter(event="evidence.added").exists()
    assert media.names() == set()


@pytest.mark.parametrize("case", PDFS)
def test_each_hostile_pdf_is_refused_with_its_reason_and_nothing_is_kept(case, client, officer, item, media):
    make, message = PDFS[case]
    client.force_login(officer)

    response = upload(client, item, "report.pdf", make())

    assert_refused(response, message, media)


@pytest.mark.parametrize("case", TEXTS)
def test_each_hostile_text_is_refused_with_its_reason_and_nothing_is_kept(case, client, officer, item, media):
    make, name, message = TEXTS[case]
    client.force_login(officer)

    response = upload(client, item, name, make())

    assert_refused(response, message, media)


@pytest.mark.parametrize("make", [text_pdf_with_link, weasyprint_pdf])
def test_a_text_only_pdf_with_an_ordinary_link_is_accepted(make, client, officer, item, media):
    client.force_login(officer)

    response = upload(client, item, "policy.pdf", make())

    assert response.status_code == 200
    evidence = Evidence.objects.get(item=item)
    assert evidence.media_type == "application/pdf"
    assert media.names() == {evidence.storage_name}


@pytest.mark.parametrize("case", PDFS_ALLOWED_WITH_IMAGES)
def test_an_operator_may_allow_images_in_pdfs(case, settings, client, officer, item, media):
    settings.EVIDENCE_PDF_IMAGES = "allow"
    client.force_login(officer)

    response = upload(client, item, "scan.pdf", PDFS[case][0]())

    assert response.status_code == 200
    assert Evidence.objects.get(item=item).media_type == "application/pdf"


def test_allowing_images_still_refuses_javascript(settings, client, officer, item, media):
    settings.EVIDENCE_PDF_IMAGES = "allow"
    client.force_login(officer)

    response = upload(client, item, "scan.pdf", js_open_action_pdf())

    assert_refused(response, "This PDF contains JavaScript (object 6)", media)
