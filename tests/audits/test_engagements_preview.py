"""Evidence previewed inline, safely (escaped text, nothing active), and every look at restricted
evidence, previewed or downloaded, in the ledger: who, what, how."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audits.views.engagements import PREVIEW_LIMIT
from commitments.models import LedgerEntry
from commitments.services.evidence import evidence_add
from commitments.vocabulary import LedgerEvent
from tests.audits.builders import engagement_for
from tests.audits.engagement_world import build_world
from tests.reports.public_builders import EFFECTIVE

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(org, other_org, period, framework):
    return build_world(org, other_org, period, framework)


@pytest.fixture
def engagement(world, org, period, auditor, program_admin):
    return engagement_for(auditor, organisations=[org], periods=[period], admin=program_admin)


def _preview(engagement, evidence):
    return reverse("audits:evidence_preview", args=[engagement.pk, evidence.pk])


def _accesses():
    return [
        json.loads(entry.payload)
        for entry in LedgerEntry.objects.filter(event=LedgerEvent.RESTRICTED_EVIDENCE_ACCESSED)
    ]


def test_text_evidence_is_shown_escaped_in_a_pre(client, world, engagement, auditor):
    client.force_login(auditor)

    response = client.get(_preview(engagement, world.text_file))

    page = response.text
    assert (
        '<pre class="preview-text">Moderation log: 3 &lt; 5 &amp; 7 &gt; 2, “quoted”\nsecond line\n</pre>'
        in page
    )
    assert response["Cache-Control"] == "private, no-store"
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_pdf_evidence_is_shown_as_its_extracted_text(client, world, engagement, auditor):
    client.force_login(auditor)

    page = client.get(_preview(engagement, world.pdf_file)).text

    assert "Signed policy text for the auditor" in page
    assert "<iframe" not in page and "<embed" not in page and "<object" not in page


def test_a_long_text_is_cut_and_the_page_says_so(client, world, engagement, auditor):
    line = "Ticket 12345 closed within the target time.\n"
    long_file = evidence_add(
        item=world.item,
        acting_user=world.officer,
        title="Full export",
        effective_date=EFFECTIVE,
        visibility="public",
        upload=SimpleUploadedFile("export.txt", (line * (PREVIEW_LIMIT // len(line) + 100)).encode()),
    )
    client.force_login(auditor)

    response = client.get(_preview(engagement, long_file))

    assert "Only the first 204,800 characters of the text are shown" in response.text
    shown = response.text.split('<pre class="preview-text">', 1)[1].split("</pre>", 1)[0]
    assert len(shown) == PREVIEW_LIMIT


def test_a_short_text_is_not_said_to_be_cut(client, world, engagement, auditor):
    client.force_login(auditor)

    assert "Only the first" not in client.get(_preview(engagement, world.text_file)).text


def test_a_link_has_no_preview(client, world, engagement, auditor):
    client.force_login(auditor)

    assert client.get(_preview(engagement, world.link)).status_code == 404


def test_a_restricted_preview_and_download_by_the_engaged_auditor_are_ledgered(
    client, world, engagement, auditor
):
    client.force_login(auditor)

    client.get(_preview(engagement, world.text_file))
    client.get(reverse("commitments:evidence_download", args=[world.text_file.pk]))

    accesses = _accesses()
    assert [(a["actor"], a["data"]["evidence"], a["data"]["how"], a["data"]["role"]) for a in accesses] == [
        (auditor.pk, world.text_file.pk, "preview", "auditor"),
        (auditor.pk, world.text_file.pk, "download", "auditor"),
    ]
    assert all(a["data"]["sha256"] == world.text_file.sha256 for a in accesses)


def test_a_refused_preview_is_not_ledgered(client, world, engagement, auditor):
    client.force_login(auditor)

    assert client.get(_preview(engagement, world.other_org_file)).status_code == 404
    assert client.get(_preview(engagement, world.other_period_file)).status_code == 404
    assert _accesses() == []
