"""The three PDFs as their readers see them: what they say, what they never say, and their manifest.

One world, rendered once for the module (see documents_world): a public report, the audit report of
the same report and the program summary of its period.
"""

import json
import re

import jsonschema
import pytest
from django.conf import settings

from commitments.models import Comment, CompanyResponse, Evidence, ItemVerdict, LedgerEntry, MetricValue
from commitments.services.ledger.checkpoints import log_verifier_key
from commitments.services.ledger.tree import tree_root
from commitments.services.reports import decimal_text
from reports.models import Publication
from reports.pdf.documents import MANIFEST_SCHEMA_FILE
from reports.pdf.signing import signing_material
from tests.reports.pdf.documents_world import (
    COMPANY_RESPONSE,
    FINAL_JUSTIFICATION,
    NARRATIVE,
    OFFICER_COMMENT,
    OLD_JUSTIFICATION,
    REMOTE_IMAGE_URLS,
    RESTRICTED_TITLE,
    REVIEWER_COMMENT,
    documents_world,
)
from tests.reports.pdf.pdf_reading import squash
from tools.tlog import note

pytestmark = pytest.mark.django_db

KINDS = ("public", "audit", "summary")


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, signing_key):
    with documents_world(django_db_blocker) as built:
        yield built


def _expected_items(report, *, public: bool) -> list[dict]:
    """Every item as the database holds it, in the manifest's shape."""
    items = []
    for item in report.items.select_related("node").order_by("node__position"):
        verdicts = list(ItemVerdict.objects.filter(item=item, report_revision=report.revision).order_by("pk"))
        evidence = [
            e
            for e in Evidence.objects.filter(item=item).order_by("created_at", "pk")
            if not Evidence.objects.filter(supersedes=e).exists()
        ]
        items.append(
            {
                "node": item.node.node_id,
                "title": item.node.title,
                "status": item.status,
                "verdict": verdicts[-1].verdict if verdicts else None,
                "metrics": [
                    {
                        "key": v.metric.key,
                        "name": v.metric.name,
                        "unit": v.metric.unit,
                        "value": decimal_text(v.value),
                        "data_source": v.data_source,
                    }
                    for v in MetricValue.objects.filter(item=item).select_related("metric")
                ],
                "evidence": [
                    {
                        "id": e.pk,
                        "title": e.title
                        if (e.visibility == "public" or not public)
                        else "Restricted evidence",
                        "visibility": e.visibility,
                        "kind": e.kind,
                        "sha256": e.sha256,
                        "size_bytes": e.size_bytes,
                    }
                    for e in evidence
                ],
            }
        )
    return items


# --- manifests --------------------------------------------------------------------------------


def test_the_public_manifest_states_what_the_database_holds(world):
    manifest = world.public.pdf.manifest
    report = world.report
    publication = Publication.objects.current().get(report=report)

    assert manifest["items"] == _expected_items(report, public=True)
    assert manifest["report"] == {
        "id": report.pk,
        "reference": report.reference,
        "revision": report.revision,
        "publication_version": publication.version,
        "snapshot_sha256": publication.snapshot_sha256,
    }
    assert manifest["organisation"] == {"name": "Northwind Models", "slug": "northwind-models"}
    # Restricted files are there by hash and size only.
    restricted = [
        e for item in manifest["items"] for e in item["evidence"] if e["visibility"] == "restricted"
    ]
    assert restricted and all(len(e["sha256"]) == 64 and e["size_bytes"] > 0 for e in restricted)


def test_the_audit_manifest_states_what_the_database_holds_with_real_restricted_titles(world):
    manifest = world.audit.pdf.manifest

    assert manifest["items"] == _expected_items(world.report, public=False)
    assert manifest["report"]["status"] == "published"
    assert RESTRICTED_TITLE in {e["title"] for item in manifest["items"] for e in item["evidence"]}


@pytest.mark.parametrize("kind", KINDS)
def test_every_manifest_names_the_document_framework_signer_and_ledger_position(world, kind):
    rendered = getattr(world, kind)
    manifest = rendered.pdf.manifest
    artifact = rendered.artifact

    assert manifest["document"]["id"] == artifact.document_id
    assert manifest["document"]["kind"] == kind
    assert manifest["document"]["version"] == artifact.version
    assert (
        manifest["document"]["verification_url"] == f"{settings.SITE_URL}/verify/?id={artifact.document_id}"
    )
    assert manifest["framework"] == {"id": world.framework.key, "version": world.framework.version}
    assert manifest["period"]["label"] == world.period.label
    assert manifest["signing_certificate_sha256"] == signing_material().signer_fingerprint
    # The ledger as it stood at generation, under a checkpoint signed then with the log's key;
    # the rendering's own entry comes right after it.
    ledger = manifest["ledger"]
    assert {"size": ledger["size"], "head_hash": ledger["head_hash"]} == rendered.ledger_before
    signed = note.checkpoint_open(ledger["checkpoint"], log_verifier_key())
    assert (signed.size, signed.root) == (ledger["size"], tree_root(ledger["size"]))
    assert ledger["log"] == {"url": f"{settings.SITE_URL}/log", "key": str(log_verifier_key())}
    rendered_entry = LedgerEntry.objects.get(sequence=artifact.ledger_sequence)
    assert rendered_entry.prev_hash == manifest["ledger"]["head_hash"]
    assert rendered_entry.sequence == manifest["ledger"]["size"] + 1


@pytest.mark.parametrize("kind", KINDS)
def test_the_embedded_manifest_is_the_stored_one_and_follows_the_published_schema(world, kind):
    rendered = getattr(world, kind)
    schema = json.loads(MANIFEST_SCHEMA_FILE.read_text())

    assert rendered.pdf.manifest == json.loads(rendered.artifact.manifest)
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(rendered.pdf.manifest, schema, cls=jsonschema.Draft202012Validator)


def test_the_schema_refuses_a_manifest_that_lost_a_required_field_or_hash(world):
    schema = json.loads(MANIFEST_SCHEMA_FILE.read_text())
    no_ledger = {k: v for k, v in world.public.pdf.manifest.items() if k != "ledger"}
    bad_hash = json.loads(world.public.artifact.manifest)
    bad_hash["items"][0]["evidence"][0]["sha256"] = "not-a-hash"
    summary_with_items = {**world.summary.pdf.manifest, "items": []}

    for manifest in (no_ledger, bad_hash, summary_with_items):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(manifest, schema, cls=jsonschema.Draft202012Validator)


def test_the_summary_manifest_lists_every_committed_organisation_and_who_did_not_report(world):
    organisations = {o["slug"]: o for o in world.summary.pdf.manifest["organisations"]}
    northwind = organisations["northwind-models"]
    publication = Publication.objects.current().get(report=world.report)
    expected_items = [
        {"node": item["node"], "status": item["status"], "verdict": item["verdict"]}
        for item in _expected_items(world.report, public=True)
    ]

    assert list(organisations) == ["bluefin-labs", "northwind-models", "quietwater-systems"]
    assert northwind["report_reference"] == world.report.reference
    assert northwind["publication_version"] == publication.version
    assert northwind["snapshot_sha256"] == publication.snapshot_sha256
    assert northwind["items"] == expected_items
    silent = organisations["quietwater-systems"]
    assert silent["reported"] is False
    assert silent["report_reference"] is None and silent["snapshot_sha256"] is None
    assert {item["status"] for item in silent["items"]} == {None}
    assert len(silent["items"]) == len(expected_items)


# --- PDF/A-3b and the attachment --------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_each_pdf_is_pdf_a_3b_with_the_manifest_attached_as_data(world, kind):
    pdf = getattr(world, kind).pdf

    assert pdf.xmp_value("pdfaid:part") == "3"
    assert pdf.xmp_value("pdfaid:conformance") == "B"
    spec = pdf.embedded_files["manifest.json"]
    assert spec["/AFRelationship"] == "/Data"
    assert any(af.get("/F") == "manifest.json" for af in pdf.associated_files)


# --- what every page shows --------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_every_page_shows_the_document_id_page_x_of_y_and_the_verification_url(world, kind):
    rendered = getattr(world, kind)
    pages = rendered.pdf.pages
    url = rendered.pdf.manifest["document"]["verification_url"]

    assert len(pages) > 3
    for number, text in enumerate(pages, start=1):
        assert rendered.artifact.document_id in text, f"page {number}"
        assert f"Page {number} of {len(pages)}" in text, f"page {number}"
        assert squash(url) in squash(text), f"page {number}"


@pytest.mark.parametrize("kind", KINDS)
def test_the_cover_and_verify_section_say_how_to_check_the_document(world, kind):
    pdf = getattr(world, kind).pdf
    cover = pdf.pages[0]

    assert "Verify this document" in cover
    assert world.period.label in cover and world.framework.title in cover
    assert "Contents" in pdf.pages[1]
    assert pdf.contains("How to verify this document")
    assert squash(signing_material().root_fingerprint) in squash(pdf.text)
    assert pdf.contains("python manage.py verify_report")
    assert pdf.contains("python tools/verify_report.py") and pdf.contains("--root root.pem")
    assert pdf.contains(f"{settings.SITE_URL}/verify/")


@pytest.mark.parametrize("kind", KINDS)
def test_the_table_of_contents_gives_each_section_its_page(world, kind):
    pdf = getattr(world, kind).pdf
    toc = pdf.pages[1]
    verify_page = next(n for n, text in enumerate(pdf.pages, start=1) if "Get the root certificate" in text)
    reading_page = next(n for n, text in enumerate(pdf.pages, start=1) if "Assurance levels" in text)

    assert re.search(rf"How to verify this document[ .]*{verify_page}\b", toc), toc
    assert re.search(rf"How to read this document[ .]*{reading_page}\b", toc), toc


# --- the public report ------------------------------------------------------------------------


def test_the_public_pdf_never_shows_restricted_titles_comments_or_superseded_verdicts(world):
    pdf = world.public.pdf
    manifest_text = world.public.artifact.manifest

    for secret in (RESTRICTED_TITLE, REVIEWER_COMMENT, OFFICER_COMMENT, OLD_JUSTIFICATION):
        assert not pdf.contains(secret), secret
        assert secret not in manifest_text
    for word in ("Zanzibar", "Marzipan", "Nightingale", "Quetzal"):
        assert word not in pdf.text and word not in manifest_text
    assert Comment.objects.filter(item__report=world.report).count() == 2  # they exist, just not here


def test_the_public_pdf_shows_the_published_claims_with_their_assurance(world):
    pdf = world.public.pdf

    assert pdf.contains("Northwind Models")
    assert pdf.contains("Classifier coverage Lighthouse is in place.")
    assert pdf.contains(FINAL_JUSTIFICATION)  # the published verdict's justification is public
    assert pdf.contains(COMPANY_RESPONSE)
    assert pdf.contains("Reviewer-verified")
    assert pdf.contains("Restricted evidence")
    restricted = Evidence.objects.filter(item__report=world.report, visibility="restricted").first()
    assert squash(restricted.sha256) in squash(pdf.text)


# --- the audit report -------------------------------------------------------------------------


def test_the_audit_pdf_shows_restricted_evidence_every_verdict_comments_and_responses(world):
    pdf = world.audit.pdf

    assert pdf.contains(RESTRICTED_TITLE)
    assert pdf.contains(OLD_JUSTIFICATION) and pdf.contains(FINAL_JUSTIFICATION)
    assert pdf.contains(REVIEWER_COMMENT) and pdf.contains(OFFICER_COMMENT)
    assert pdf.contains(COMPANY_RESPONSE)
    assert pdf.contains("Rae Reviewer")
    assert pdf.contains("Restricted. This audit report contains confidential evidence")
    for response in CompanyResponse.objects.filter(item__report=world.report):
        assert pdf.contains(str(response.author))


def test_the_audit_pdf_lists_the_reports_ledger_entries_with_their_hashes(world):
    text = squash(world.audit.pdf.text)
    generated_at_size = world.audit.pdf.manifest["ledger"]["size"]
    entries = list(LedgerEntry.objects.filter(report_id=world.report.pk, sequence__lte=generated_at_size))

    assert len(entries) > 10
    for entry in entries:
        assert entry.entry_hash in text, entry
        assert entry.prev_hash in text, entry
        assert entry.event in text


# --- the program summary ----------------------------------------------------------------------


def test_the_summary_shows_every_organisation_and_says_who_did_not_report(world):
    pdf = world.summary.pdf

    for name in ("Bluefin Labs", "Northwind Models", "Quietwater Systems"):
        assert pdf.contains(name)
    assert pdf.contains("Not reported: no published report for this period")
    assert pdf.contains("2/3 organisations with a published report")
    assert pdf.contains(world.report.reference)
    # The matrix prints status codes and assurance symbols, not colour alone.
    assert pdf.contains("IM ✓") and pdf.contains("PL ✓") and pdf.contains("NA ✓")


# --- nothing remote is ever fetched -----------------------------------------------------------


def test_a_remote_image_in_a_narrative_is_never_fetched_and_the_pdfs_still_render(world):
    # The narrative really carried both remote images, and both documents rendered it.
    assert all(url in NARRATIVE for url in REMOTE_IMAGE_URLS)
    assert world.report.items.filter(narrative__contains=REMOTE_IMAGE_URLS[1]).exists()
    for rendered in (world.public, world.audit):
        assert rendered.pdf.contains("Classifier coverage Lighthouse is in place.")
        assert rendered.pdf.contains("Second sentence of the narrative.")
    assert world.connections == []
