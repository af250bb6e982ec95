"""One published report with signed PDFs, rendered once per test module.

Each rendering costs about a second, so the verification tests share one set of PDFs per module:
`rendered_world` builds it inside a transaction that stays open for the module's tests (each test
runs in its own savepoint inside it, as pytest-django's `db` fixture does) and is rolled back at
the end, so nothing leaks into other modules. Everything is made through the services.
"""

import hashlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection, transaction

from commitments.evidence_storage import content_address, open_blob
from commitments.models import Evidence, ItemResponse
from commitments.services.ledger.checkpoints import checkpoint_sign
from reports.models import ArtifactStatus, ReportArtifact
from reports.pdf.services import artifact_read, artifact_render, artifact_request
from reports.pdf.signing import signing_material
from reports.services import publication_correct
from tests.builders import period_for, small_framework
from tests.factories import UserFactory
from tests.reports.public_builders import committed_org, published


@dataclass
class World:
    report: object
    admin: object
    public_v1: ReportArtifact  # of publication version 1 (superseded when the world is corrected)
    public_v2: ReportArtifact | None  # of publication version 2, after a correction
    audit: ReportArtifact | None
    summary: ReportArtifact | None
    root_pem: bytes
    evidence: dict[str, bytes] = field(default_factory=dict)  # restricted file evidence of version 1

    def pdf(self, artifact: ReportArtifact) -> bytes:
        return artifact_read(artifact)

    def evidence_folder(self, folder: Path) -> Path:
        """The evidence files under their content-addressed names, as an auditor would receive them."""
        folder.mkdir(parents=True, exist_ok=True)
        for sha256, data in self.evidence.items():
            (folder / f"{sha256}.pdf").write_bytes(data)
        return folder


def render(kind: str, *, admin, report=None, period=None) -> ReportArtifact:
    artifact = artifact_request(kind=kind, acting_user=admin, report=report, period=period, queue=False)
    artifact = artifact_render(artifact.pk)
    checkpoint_sign()  # what the outbox does once the rendering commits (the module's transaction never does)
    assert artifact.status == ArtifactStatus.READY, artifact.failure_reason
    return ReportArtifact.objects.select_related("report__period", "period").get(pk=artifact.pk)


def _build(*, corrected: bool, audit: bool, summary: bool) -> World:
    framework = small_framework()
    period = period_for(framework)
    reviewer = UserFactory(platform_role="reviewer")
    admin = UserFactory(platform_role="program_admin", is_staff=True)
    org = committed_org(framework, "Northwind Models", "northwind-models")
    report = published(org, period, reviewer=reviewer, admin=admin, restricted_title="Internal audit memo")
    evidence = {}
    for row in Evidence.objects.filter(item__report=report).exclude(sha256=""):
        with open_blob(content_address(row.sha256)) as handle:
            data = handle.read()
        assert hashlib.sha256(data).hexdigest() == row.sha256
        evidence[row.sha256] = data
    public_v1 = render("public", report=report, admin=admin)
    public_v2 = None
    if corrected:
        # Arrange: no service edits a published report's content yet (see test_public_corrections).
        ItemResponse.objects.filter(report=report, node__node_id="tiny.p1.m2").update(
            status="in_progress", narrative="Only half of it is in place."
        )
        publication_correct(report=report, acting_user=admin, reason="The second mitigation is not finished.")
        public_v2 = render("public", report=report, admin=admin)
    return World(
        report=report,
        admin=admin,
        public_v1=public_v1,
        public_v2=public_v2,
        audit=render("audit", report=report, admin=admin) if audit else None,
        summary=render("summary", period=period, admin=admin) if summary else None,
        root_pem=signing_material().root_pem,
        evidence=evidence,
    )


@contextmanager
def rendered_world(django_db_blocker, *, corrected=False, audit=False, summary=False):
    """Needs the module marked `pytest.mark.django_db`: pytest-django creates the test database
    only for a session with tests that ask for one."""
    with django_db_blocker.unblock(), transaction.atomic():
        name = str(connection.settings_dict["NAME"])
        assert "test" in name or "memory" in name, f"not a test database: {name}; mark the module django_db"
        try:
            yield _build(corrected=corrected, audit=audit, summary=summary)
        finally:
            transaction.set_rollback(True)
