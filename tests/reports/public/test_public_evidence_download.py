"""Public files of published reports can be downloaded by anyone, checked against their hash.

From a folder and from a bucket alike."""

import base64
import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from commitments.evidence_storage import store_evidence_file
from commitments.models import Evidence
from reports.services import publication_correct
from tests.builders import period_for
from tests.reports.public_builders import EFFECTIVE, committed_org, published
from tests.storage_backends import on_both_backends  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

REPORT = ["acme-labs", "tiny", "2025"]


@pytest.fixture
def report(framework, reviewer, program_admin):
    return published(
        committed_org(framework, "Acme Labs"),
        period_for(framework, label="2025", year=2025),
        reviewer=reviewer,
        admin=program_admin,
        public_file_title="Child safety policy",
        restricted_title="Internal audit memo",
    )


def _file(report, node_id="tiny.p1.m1", visibility="public"):
    return Evidence.objects.get(
        item__report=report, item__node__node_id=node_id, kind="file", visibility=visibility
    )


def _url(evidence_id):
    return reverse("public:evidence", args=[*REPORT, evidence_id])


def test_a_public_file_downloads_as_an_attachment_with_its_hash(client, report):
    evidence = _file(report)

    response = client.get(_url(evidence.pk))

    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body == b"Child safety policy for tiny.p1.m1\n"
    sha256 = hashlib.sha256(body).hexdigest()
    assert sha256 == evidence.sha256
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="child-safety-policy-{sha256[:12]}.txt"'
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["ETag"] == f'"{sha256}"'
    assert response["Repr-Digest"] == f"sha-256=:{base64.b64encode(bytes.fromhex(sha256)).decode()}:"
    assert response["Content-Length"] == str(len(body))
    assert not response.cookies


def test_a_client_that_has_the_file_gets_304(client, report):
    evidence = _file(report)

    response = client.get(_url(evidence.pk), headers={"if-none-match": f'"{evidence.sha256}"'})

    assert response.status_code == 304


def test_head_works_and_post_is_refused(client, report):
    url = _url(_file(report).pk)
    assert client.head(url).status_code == 200
    assert client.post(url).status_code == 405


def test_restricted_files_and_links_are_404(client, report):
    link = Evidence.objects.filter(item__report=report, kind="url").first()
    assert client.get(_url(_file(report, visibility="restricted").pk)).status_code == 404
    assert client.get(_url(link.pk)).status_code == 404


def test_the_item_page_links_each_public_file_next_to_its_hash(client, report):
    evidence = _file(report)
    restricted = _file(report, visibility="restricted")

    body = client.get(reverse("public:item", args=[*REPORT, "tiny.p1.m1"])).content.decode()

    assert evidence.sha256 in body and _url(evidence.pk) in body
    assert restricted.sha256 in body and _url(restricted.pk) not in body


def _revise_published_file(report, acting_user):
    # Arrange: no service edits a published report's evidence (outside this feature), so the ORM
    # stands in for the revision a correction would publish, as in the corrections tests.
    old = _file(report)
    blob = store_evidence_file(SimpleUploadedFile("policy-v2.txt", b"Child safety policy, revised\n"))
    return old, Evidence.objects.create(
        item=old.item,
        kind="file",
        title="Child safety policy (revised)",
        effective_date=EFFECTIVE,
        visibility="public",
        original_name=blob.original_name,
        storage_name=blob.storage_name,
        sha256=blob.sha256,
        size_bytes=blob.size,
        media_type=blob.media_type,
        supersedes=old,
        revision=2,
        created_by=acting_user,
    )


def test_a_file_only_in_a_superseded_version_stays_downloadable(client, report, program_admin):
    old, new = _revise_published_file(report, program_admin)
    assert client.get(_url(new.pk)).status_code == 404  # the live row alone publishes nothing

    publication_correct(report=report, acting_user=program_admin, reason="The policy was revised.")

    assert b"".join(client.get(_url(new.pk)).streaming_content) == b"Child safety policy, revised\n"
    old_response = client.get(_url(old.pk))
    assert old_response.status_code == 200
    assert b"".join(old_response.streaming_content) == b"Child safety policy for tiny.p1.m1\n"
    old_item = client.get(reverse("public:item_version", args=[*REPORT, 1, "tiny.p1.m1"]))
    assert _url(old.pk) in old_item.content.decode()


def test_a_published_file_missing_from_storage_is_a_clean_404(client, report, media):
    from django.core.files.storage import default_storage

    evidence = _file(report)
    default_storage.delete(evidence.storage_name)
    assert not media.exists(evidence.storage_name)

    response = client.get(_url(evidence.pk))

    assert response.status_code == 404
