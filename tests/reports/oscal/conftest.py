"""A published report with public and restricted evidence, and an attested audit of it."""

import json

import pytest

from commitments.models import Evidence
from commitments.vocabulary import FindingKind
from tests.audits.public_builders import audited
from tests.reports.public_builders import committed_org, published

RESTRICTED_TITLE = "Confidential moderation memo"
PUBLIC_FILE_TITLE = "Published safety policy"
FINDINGS = {
    "tiny.p1.m1": FindingKind.CONFORMS,
    "tiny.p1.m2": (FindingKind.NONCONFORMITY, "We will document the procedure by June."),
    "tiny.p1.m3": FindingKind.OBSERVATION,
}


def acme_published(framework, period, *, reviewer, admin):
    """Acme Labs' published report: every item implemented, with a public link, a public file and
    a restricted file as evidence."""
    return published(
        committed_org(framework, "Acme Labs"),
        period,
        reviewer=reviewer,
        admin=admin,
        narrative="We screen every training source.",
        restricted_title=RESTRICTED_TITLE,
        public_file_title=PUBLIC_FILE_TITLE,
    )


def acme_attested(acme, *, auditor, admin):
    """An attested engagement over Acme's report: (engagement, attestation)."""
    auditor.full_name = "Dana Whitfield"
    auditor.save()
    return audited(acme, auditor=auditor, admin=admin, findings=FINDINGS, title="Acme 2026 audit")


@pytest.fixture
def acme(framework, period, reviewer, program_admin):
    return acme_published(framework, period, reviewer=reviewer, admin=program_admin)


@pytest.fixture
def attested(acme, auditor, program_admin):
    return acme_attested(acme, auditor=auditor, admin=program_admin)


def evidence_of(report, visibility):
    return list(Evidence.objects.filter(item__report=report, visibility=visibility).order_by("pk"))


def loaded(content: bytes) -> dict:
    [body] = json.loads(content).values()
    return body


def resources_by_uuid(body: dict) -> dict[str, dict]:
    return {r["uuid"]: r for r in body.get("back-matter", {}).get("resources", [])}


def hashes_of(resource: dict) -> set[str]:
    return {h["value"] for link in resource.get("rlinks", []) for h in link.get("hashes", [])}


def prop_values(owner: dict, name: str) -> list[str]:
    return [p["value"] for p in owner.get("props", []) if p["name"] == name]
