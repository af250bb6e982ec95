"""The officer's evidence form and the members' download, on a folder and on a bucket alike."""

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from commitments.models import Evidence, LedgerEntry
from commitments.services.evidence import evidence_add
from tests.samples import elf_bytes
from tests.storage_backends import on_both_backends  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

POLICY = b"Trust & safety policy: every upload is hash-matched.\n"


def add_url(item):
    return reverse("commitments:evidence_add", kwargs={"report_id": item.report_id, "item_id": item.pk})


def download_url(evidence):
    return reverse("commitments:evidence_download", kwargs={"evidence_id": evidence.pk})


def evidence_data(item, *, upload=None, **overrides):
    prefix = f"evidence-{item.pk}"
    data = {
        f"{prefix}-title": "Hash-matching policy",
        f"{prefix}-effective_date": "2026-03-01",
        f"{prefix}-visibility": "restricted",
        f"{prefix}-url": "",
    }
    if upload is not None:
        data[f"{prefix}-upload"] = upload
    data.update({f"{prefix}-{key}": value for key, value in overrides.items()})
    return data


@pytest.fixture
def stored(item, officer):
    import datetime

    return evidence_add(
        item=item,
        acting_user=officer,
        title="Hash-matching policy",
        effective_date=datetime.date(2026, 3, 1),
        visibility="restricted",
        upload=SimpleUploadedFile("policy.txt", POLICY),
    )


def test_an_officer_uploads_a_text_file_without_javascript(client, officer, item):
    client.force_login(officer)

    response = client.post(
        add_url(item), evidence_data(item, upload=SimpleUploadedFile("policy.txt", POLICY))
    )

    assert response.status_code == 302
    assert response["Location"].endswith(f"#item-{item.pk}")
    evidence = Evidence.objects.get(item=item)
    assert evidence.media_type == "text/plain"
    assert evidence.visibility == "restricted"
    assert LedgerEntry.objects.filter(event="evidence.added").count() == 1
    page = client.get(response["Location"]).content.decode()
    assert "Evidence “Hash-matching policy” added." in page
    assert evidence.sha256[:12] in page
    assert download_url(evidence) in page


def test_an_htmx_upload_returns_the_item_with_the_new_evidence(client, contributor, item):
    client.force_login(contributor)

    response = client.post(
        add_url(item),
        evidence_data(item, upload=SimpleUploadedFile("policy.txt", POLICY)),
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Evidence added" in page
    assert "Hash-matching policy" in page
    assert "Restricted" in page


def test_a_link_can_be_attached_as_evidence(client, officer, item):
    client.force_login(officer)

    client.post(add_url(item), evidence_data(item, url="https://example.test/policy", visibility="public"))

    evidence = Evidence.objects.get(item=item)
    assert evidence.kind == "url"
    assert evidence.url == "https://example.test/policy"


def test_an_executable_renamed_pdf_is_refused_with_a_clear_message_and_nothing_stored(
    client, officer, item, media
):
    client.force_login(officer)

    response = client.post(
        add_url(item),
        evidence_data(item, upload=SimpleUploadedFile("report.pdf", elf_bytes(), "application/pdf")),
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "This file is an executable program (ELF), not a document." in page
    assert 'value="Hash-matching policy"' in page
    assert 'value="2026-03-01"' in page
    assert not Evidence.objects.exists()
    assert not LedgerEntry.objects.filter(event="evidence.added").exists()
    assert media.names() == set()


def test_missing_title_and_date_are_shown_next_to_the_form(client, officer, item):
    client.force_login(officer)

    response = client.post(
        add_url(item), evidence_data(item, title="", effective_date="", url="https://x.test")
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "This field is required." in page
    assert 'value="https://x.test"' in page
    assert not Evidence.objects.exists()


def test_neither_file_nor_url_is_refused_with_the_services_message(client, officer, item):
    client.force_login(officer)

    response = client.post(add_url(item), evidence_data(item))

    assert response.status_code == 400
    assert "Attach a file or give a URL." in response.content.decode()


@pytest.mark.parametrize(("who", "status"), [("anonymous", 302), ("other_officer", 404), ("viewer", 403)])
def test_adding_evidence_is_refused_down_the_access_ladder(client, request, item, who, status):
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))

    response = client.post(add_url(item), evidence_data(item, url="https://example.test/policy"))

    assert response.status_code == status
    assert not Evidence.objects.exists()


def test_a_member_downloads_evidence_as_an_attachment(client, viewer, stored):
    client.force_login(viewer)

    response = client.get(download_url(stored))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == POLICY
    # Named like the public download: title, start of the hash, the detected type's extension.
    assert response["Content-Disposition"] == (
        f'attachment; filename="hash-matching-policy-{stored.sha256[:12]}.txt"'
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Length"] == str(len(POLICY))
    assert response["Cache-Control"] == "private, no-store"


def test_a_file_missing_from_storage_is_a_clean_404_and_logged(client, viewer, stored, media, caplog):
    default_storage.delete(stored.storage_name)
    assert not media.exists(stored.storage_name)
    client.force_login(viewer)

    response = client.get(download_url(stored))

    assert response.status_code == 404
    assert f"The stored file of evidence #{stored.pk} is missing: {stored.storage_name}" in caplog.text


def test_when_storage_fails_the_form_says_so_and_nothing_is_saved(
    client, officer, item, media, broken_storage
):
    client.force_login(officer)

    response = client.post(
        add_url(item),
        evidence_data(item, upload=SimpleUploadedFile("policy.txt", POLICY)),
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 400
    assert "could not be stored just now, so nothing was saved" in response.content.decode()
    assert 'value="Hash-matching policy"' in response.content.decode()  # what was typed is kept
    assert not Evidence.objects.exists()
    assert media.names() == set()


@pytest.mark.parametrize("name", ["evil.html", "diagram.svg", "setup.hta", "page.xhtml", "noextension"])
def test_the_download_name_follows_the_detected_type_never_the_uploaded_name(client, officer, item, name):
    import datetime

    evidence = evidence_add(
        item=item,
        acting_user=officer,
        title="Moderation log",
        effective_date=datetime.date(2026, 3, 1),
        visibility="restricted",
        upload=SimpleUploadedFile(name, b"2026-03-01 12 reports escalated\n", content_type="text/html"),
    )
    client.force_login(officer)

    response = client.get(download_url(evidence))

    assert evidence.original_name == name  # kept, but only as a label on the page
    assert (
        response["Content-Disposition"] == f'attachment; filename="moderation-log-{evidence.sha256[:12]}.txt"'
    )
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_a_row_stored_with_a_type_no_longer_accepted_downloads_as_opaque_bytes(client, officer, stored):
    # Arrange: a row from before the current checks, with a type they would never produce.
    Evidence.objects.filter(pk=stored.pk).update(media_type="image/svg+xml")
    client.force_login(officer)

    response = client.get(download_url(stored))

    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].endswith(f'-{stored.sha256[:12]}.bin"')


def test_a_reviewer_can_download_restricted_evidence(client, reviewer, stored):
    client.force_login(reviewer)

    assert client.get(download_url(stored)).status_code == 200


def test_another_organisation_cannot_download_evidence(client, other_officer, stored):
    client.force_login(other_officer)

    assert client.get(download_url(stored)).status_code == 404


def test_anonymous_visitors_cannot_download_evidence(client, stored):
    response = client.get(download_url(stored))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_a_link_has_nothing_to_download(client, officer, item):
    import datetime

    link = evidence_add(
        item=item,
        acting_user=officer,
        title="Policy page",
        effective_date=datetime.date(2026, 3, 1),
        visibility="public",
        url="https://example.test/policy",
    )
    client.force_login(officer)

    assert client.get(download_url(link)).status_code == 404
