"""One period with a richly reviewed, published report, and the three PDFs rendered once.

Each WeasyPrint rendering costs about a second, so a test module shares one set: the world is built
inside a transaction that stays open for the module's tests and is rolled back at the end (as in
verify_world). Everything goes through the services: two review rounds (the first verdict asks for
information, comments go back and forth), then verification, a company response, publication.

The narrative links a remote image in Markdown and in raw HTML; any socket connection attempted
while the PDFs render is recorded, so a test can prove that nothing was fetched.
"""

import socket
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

from django.db import connection, transaction

from commitments.models import LedgerHead, ReportStatus
from commitments.services.reports import item_verdict_record, report_create
from commitments.services.reviews import comment_add, company_response_add
from demo.walk import People, every_item_verified, report_walk
from reports.models import ArtifactStatus, ReportArtifact
from reports.pdf.services import artifact_read, artifact_render, artifact_request
from tests.builders import period_for, small_framework
from tests.factories import UserFactory
from tests.reports.pdf.pdf_reading import ReadPdf
from tests.reports.public_builders import committed_org, fill, officer_of, published

RESTRICTED_TITLE = "Confidential classifier red-team memo Zanzibar"
OLD_JUSTIFICATION = "Superseded verdict: the memo Quetzal was missing from the first submission."
FINAL_JUSTIFICATION = "Policy document seen; memo checked against the hash."
REVIEWER_COMMENT = "Reviewer comment Marzipan: please attach the red-team memo."
OFFICER_COMMENT = "Officer reply Nightingale: the memo is attached now."
COMPANY_RESPONSE = "Company response Kestrel: we have since extended this to every product."
REMOTE_IMAGE_URLS = ("http://remote.test/pixel.png", "https://remote.test/narrative.png")
NARRATIVE = (
    "Classifier coverage Lighthouse is in place. "
    f"![tracking pixel]({REMOTE_IMAGE_URLS[0]}) "
    f'<img src="{REMOTE_IMAGE_URLS[1]}"> '
    "Second sentence of the narrative."
)


@dataclass
class Rendered:
    artifact: ReportArtifact
    pdf: ReadPdf
    ledger_before: dict[str, Any]  # the ledger head just before rendering started


@dataclass
class World:
    report: Any
    period: Any
    framework: Any
    organisations: list[Any]
    silent: Any  # committed, never reported
    public: Rendered
    audit: Rendered
    summary: Rendered
    connections: list[Any] = field(default_factory=list)


def _ledger_head() -> dict[str, Any]:
    head = LedgerHead.objects.get(id=1)
    return {"size": head.size, "head_hash": head.head_hash}


def _render(kind: str, *, admin, report=None, period=None) -> Rendered:
    artifact = artifact_request(kind=kind, acting_user=admin, report=report, period=period, queue=False)
    before = _ledger_head()
    artifact = artifact_render(artifact.pk)
    assert artifact.status == ArtifactStatus.READY, artifact.failure_reason
    artifact = ReportArtifact.objects.select_related("report__period", "period").get(pk=artifact.pk)
    return Rendered(artifact=artifact, pdf=ReadPdf(artifact_read(artifact)), ledger_before=before)


def _reviewed_report(organisation, period, *, reviewer, admin):
    officer = officer_of(organisation)
    people = People(officer=officer, reviewer=reviewer, admin=admin)
    report = report_create(organisation=organisation, period=period, acting_user=officer)
    fill(report, officer, narrative=NARRATIVE, restricted_title=RESTRICTED_TITLE)

    def first_round(report):
        first = report.items.select_related("node").first()
        item_verdict_record(
            item=first, acting_user=reviewer, verdict="needs_information", justification=OLD_JUSTIFICATION
        )
        comment_add(item=first, acting_user=reviewer, body=REVIEWER_COMMENT)
        comment_add(item=first, acting_user=officer, body=OFFICER_COMMENT)

    report = report_walk(
        report,
        to=ReportStatus.CHANGES_REQUESTED,
        by=people,
        review=first_round,
        changes_message="Attach the memo.",
    )
    return report_walk(
        report,
        to=ReportStatus.PUBLISHED,
        by=people,
        verdict=every_item_verified(FINAL_JUSTIFICATION),
        verified=lambda report: company_response_add(
            item=report.items.first(), acting_user=officer, body=COMPANY_RESPONSE
        ),
    )


def _build() -> World:
    framework = small_framework()
    period = period_for(framework)
    reviewer = UserFactory(platform_role="reviewer", full_name="Rae Reviewer")
    admin = UserFactory(platform_role="program_admin", is_staff=True)
    northwind = committed_org(framework, "Northwind Models", "northwind-models")
    bluefin = committed_org(framework, "Bluefin Labs", "bluefin-labs")
    silent = committed_org(framework, "Quietwater Systems", "quietwater-systems")
    report = _reviewed_report(northwind, period, reviewer=reviewer, admin=admin)
    published(
        bluefin, period, reviewer=reviewer, admin=admin, statuses=["implemented", "planned", "not_applicable"]
    )
    connections: list[Any] = []
    real_connect = socket.socket.connect

    def record_connect(sock, address):
        connections.append(address)
        return real_connect(sock, address)

    # The database may use a socket (PostgreSQL); only attempts to the remote host matter.
    with mock.patch.object(socket.socket, "connect", record_connect):
        public = _render("public", admin=admin, report=report)
        audit = _render("audit", admin=admin, report=report)
        summary = _render("summary", admin=admin, period=period)
    return World(
        report=report,
        period=period,
        framework=framework,
        organisations=[bluefin, northwind, silent],
        silent=silent,
        public=public,
        audit=audit,
        summary=summary,
        connections=connections,
    )


@contextmanager
def documents_world(django_db_blocker):
    """Needs the module marked `pytest.mark.django_db` (so that the test database exists)."""
    with django_db_blocker.unblock(), transaction.atomic():
        name = str(connection.settings_dict["NAME"])
        assert "test" in name or "memory" in name, f"not a test database: {name}; mark the module django_db"
        try:
            yield _build()
        finally:
            transaction.set_rollback(True)
