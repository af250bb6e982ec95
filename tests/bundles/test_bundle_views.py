"""The audit bundle pages: who may ask for one and download it, progress while it builds, a part
that fails, and the download recorded in the ledger as the opening of each restricted file."""

import io
import json

import pytest
from django.urls import reverse

import bundles.services as bundle_services
from bundles.models import AuditBundle
from commitments.models import Evidence, LedgerEntry
from commitments.vocabulary import LedgerEvent
from reports.models import ArtifactStatus
from tests.audits.builders import engagement_for
from tests.factories import UserFactory
from tests.reports.public_builders import published
from tools.verify_bundle import verify_bundle


@pytest.fixture
def pub(org, period, reviewer, program_admin):
    return published(
        org, period, reviewer=reviewer, admin=program_admin, restricted_title="Internal audit memo"
    )


@pytest.fixture
def engagement(auditor, pub, program_admin):
    return engagement_for(
        auditor, organisations=[pub.organisation], periods=[pub.period], admin=program_admin
    )


def _engagement_page(engagement):
    return reverse("bundles:engagement", kwargs={"engagement_id": engagement.pk})


def _report_page(report):
    return reverse("bundles:report", kwargs={"report_id": report.pk})


def _download(bundle):
    return reverse("bundles:download", kwargs={"bundle_id": bundle.pk})


def _build(client, page, capture):
    with capture(execute=True):
        response = client.post(page)
    assert response.status_code == 302
    return AuditBundle.objects.latest("pk")


# --- the access ladder -------------------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(client, pub, engagement):
    for page in (_engagement_page(engagement), _report_page(pub)):
        assert "/accounts/login/" in client.get(page)["Location"]
        assert client.post(page).status_code == 302
    assert not AuditBundle.objects.exists()


def test_another_organisation_finds_neither_page(client, pub, engagement, other_officer):
    client.force_login(other_officer)

    assert client.get(_engagement_page(engagement)).status_code == 404
    assert client.get(_report_page(pub)).status_code == 404
    assert client.post(_report_page(pub)).status_code == 404
    assert not AuditBundle.objects.exists()


@pytest.mark.parametrize("role", ["viewer", "officer"])
def test_the_organisations_own_people_may_not_have_a_bundle_of_its_audit(
    client, pub, engagement, role, request
):
    client.force_login(request.getfixturevalue(role))

    assert client.get(_report_page(pub)).status_code == 403
    assert client.post(_report_page(pub)).status_code == 403
    assert client.get(_engagement_page(engagement)).status_code == 404
    assert not AuditBundle.objects.exists()


def test_a_program_admin_sees_the_engagement_but_its_bundle_is_its_auditors(
    client, engagement, program_admin
):
    client.force_login(program_admin)

    assert client.get(_engagement_page(engagement)).status_code == 403
    assert client.post(_engagement_page(engagement)).status_code == 403


@pytest.mark.parametrize("role", ["reviewer", "program_admin", "auditor"])
def test_reviewers_admins_and_engaged_auditors_open_the_report_bundle_page(
    client, pub, engagement, role, request
):
    client.force_login(request.getfixturevalue(role))

    response = client.get(_report_page(pub))

    assert response.status_code == 200
    assert "Build a new bundle" in response.text


def test_an_engaged_auditor_builds_and_downloads_a_bundle_that_verifies(
    client, pub, engagement, auditor, django_capture_on_commit_callbacks, tmp_path
):
    client.force_login(auditor)
    assert _engagement_page(engagement) in client.get(reverse("audits:engagement", args=[engagement.pk])).text
    assert _engagement_page(engagement) in client.get(reverse("audits:workspace", args=[engagement.pk])).text

    bundle = _build(client, _engagement_page(engagement), django_capture_on_commit_callbacks)

    assert bundle.status == ArtifactStatus.READY, bundle.failure_reason
    page = client.get(_engagement_page(engagement)).text
    assert "Download ZIP" in page
    assert f"{bundle.files_total} files" in page
    response = client.get(_download(bundle))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Cache-Control"] == "private, no-store"
    path = tmp_path / "bundle.zip"
    path.write_bytes(b"".join(response.streaming_content))
    assert verify_bundle(path).ok


def test_the_download_is_recorded_as_opening_each_restricted_file(
    client, pub, engagement, auditor, django_capture_on_commit_callbacks
):
    client.force_login(auditor)
    bundle = _build(client, _engagement_page(engagement), django_capture_on_commit_callbacks)
    restricted = set(
        Evidence.objects.filter(item__report=pub, visibility="restricted").values_list("pk", flat=True)
    )
    assert restricted and set(bundle.restricted_evidence) == restricted
    before = LedgerEntry.objects.filter(event=LedgerEvent.RESTRICTED_EVIDENCE_ACCESSED).count()

    b"".join(client.get(_download(bundle)).streaming_content)

    entries = LedgerEntry.objects.filter(event=LedgerEvent.RESTRICTED_EVIDENCE_ACCESSED).order_by("sequence")
    new = [json.loads(entry.payload) for entry in entries[before:]]
    assert {data["data"]["evidence"] for data in new} == restricted
    assert all(data["actor"] == auditor.pk and data["data"]["how"] == "bundle" for data in new)


def test_a_reviewer_builds_the_bundle_of_one_report_from_its_documents_page(
    client, pub, reviewer, django_capture_on_commit_callbacks
):
    client.force_login(reviewer)
    documents = client.get(reverse("documents:report", kwargs={"report_id": pub.pk})).text
    assert _report_page(pub) in documents

    bundle = _build(client, _report_page(pub), django_capture_on_commit_callbacks)

    assert bundle.status == ArtifactStatus.READY, bundle.failure_reason
    assert bundle.report_id == pub.pk
    assert client.get(_download(bundle)).status_code == 200


def test_a_bundle_is_its_requesters_alone(
    client, pub, engagement, auditor, program_admin, django_capture_on_commit_callbacks
):
    client.force_login(auditor)
    bundle = _build(client, _engagement_page(engagement), django_capture_on_commit_callbacks)
    colleague = UserFactory(platform_role="auditor")
    engagement_for(colleague, organisations=[pub.organisation], periods=[pub.period], admin=program_admin)

    client.force_login(colleague)
    assert client.get(_download(bundle)).status_code == 404
    assert bundle.file_name not in client.get(_report_page(pub)).text


def test_once_the_engagement_closes_its_bundle_is_gone_for_the_auditor(
    client, engagement, auditor, django_capture_on_commit_callbacks, time_machine
):
    client.force_login(auditor)
    bundle = _build(client, _engagement_page(engagement), django_capture_on_commit_callbacks)

    time_machine.move_to(engagement.ends_at)
    client.force_login(auditor)  # signed in again: the session's age is not what is tested

    assert client.get(_download(bundle)).status_code == 404


# --- the job -----------------------------------------------------------------------------------------


def test_the_page_shows_progress_while_it_builds(
    client, engagement, auditor, django_capture_on_commit_callbacks, monkeypatch
):
    client.force_login(auditor)
    seen = []
    progress = bundle_services._progress

    def watched(bundle_id, done, total):
        progress(bundle_id, done, total)
        if done == 3:
            seen.append(client.get(_engagement_page(engagement), headers={"HX-Request": "true"}))

    monkeypatch.setattr(bundle_services, "_progress", watched)

    bundle = _build(client, _engagement_page(engagement), django_capture_on_commit_callbacks)

    assert len(seen) == 1
    partial = seen[0]
    assert partial.status_code == 200
    assert "<html" not in partial.text
    assert f"3 of {bundle.files_total} files" in partial.text
    assert 'hx-trigger="every' in partial.text
    assert (
        'hx-trigger="every'
        not in client.get(_engagement_page(engagement), headers={"HX-Request": "true"}).text
    )


def test_a_failing_part_fails_the_bundle_with_a_clear_message_and_a_new_one_can_be_built(
    client, engagement, auditor, django_capture_on_commit_callbacks, monkeypatch
):
    client.force_login(auditor)
    import bundles.parts

    def missing(**kwargs):
        raise FileNotFoundError("the stored file is gone")

    with monkeypatch.context() as patched:
        patched.setattr(bundles.parts, "evidence_open", missing)
        bundle = _build(client, _engagement_page(engagement), django_capture_on_commit_callbacks)

    assert bundle.status == ArtifactStatus.FAILED
    assert bundle.failure_reason.startswith("The evidence part failed on evidence/")
    assert "FileNotFoundError: the stored file is gone" in bundle.failure_reason
    assert not bundle.storage_name
    page = client.get(_engagement_page(engagement)).text
    assert "The evidence part failed on evidence/" in page
    assert client.get(_download(bundle)).status_code == 404
    again = _build(client, _engagement_page(engagement), django_capture_on_commit_callbacks)
    assert again.status == ArtifactStatus.READY


def test_a_second_copy_of_the_job_builds_nothing(engagement, auditor, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        bundle = bundle_services.bundle_request(acting_user=auditor, engagement=engagement)
    built = AuditBundle.objects.get(pk=bundle.pk)

    again = bundle_services.bundle_build(bundle.pk)

    assert (
        again.status == ArtifactStatus.READY
        and again.sha256 == built.sha256
        and again.built_at == built.built_at
    )


def test_a_bundle_whose_engagement_closed_before_the_job_ran_is_not_built(engagement, auditor, time_machine):
    bundle = bundle_services.bundle_request(acting_user=auditor, engagement=engagement)

    time_machine.move_to(engagement.ends_at)
    failed = bundle_services.bundle_build(bundle.pk)

    assert failed.status == ArtifactStatus.FAILED
    assert failed.failure_reason.startswith(f"Not built for {auditor.email}")
    assert not failed.storage_name


def test_the_zip_is_the_same_for_the_same_scope(engagement, auditor):
    scope = bundle_services.bundle_scope(engagement=engagement, holder=auditor)
    first, second = io.BytesIO(), io.BytesIO()

    one = bundle_services.bundle_write(scope, first)
    two = bundle_services.bundle_write(scope, second)

    assert one.files == two.files


def test_the_bundle_list_costs_the_same_queries_however_many_bundles(
    client, engagement, auditor, django_assert_max_num_queries
):
    client.force_login(auditor)
    for _ in range(5):
        bundle_services.bundle_request(acting_user=auditor, engagement=engagement)

    with django_assert_max_num_queries(8):
        response = client.get(_engagement_page(engagement), headers={"HX-Request": "true"})

    assert response.text.count("Building") == 5
