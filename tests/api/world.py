"""One world for the API's access tests: two organisations, a report of Northwind's in every state,
and the ten people of the access matrix, each with a read-write API token.

Built once per test module, in a transaction rolled back at the module's end (like
tests/commitments/test_access_gate.py); each test runs in a savepoint of it, so a request that
changes something changes it for that test only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rest_framework.test import APIClient

from api.models import TokenScope
from api.services import api_token_create
from commitments.models import ProgressReport, ReportStatus
from commitments.services.ledger.checkpoints import checkpoint_sign
from commitments.services.reports import report_create
from demo.walk import People, report_walk
from reports.models import ArtifactKind, ReportArtifact
from reports.pdf.services import artifact_render, artifact_request
from tests.api.world_audits import build_audits
from tests.audits.builders import engagement_for
from tests.builders import period_for, small_framework
from tests.factories import MembershipFactory, UserFactory
from tests.reports.public_builders import committed_org, fill, officer_of, verdicts_of

# The people every endpoint is tried as (issue 15, item 5), in the order the matrix lists them.
ROLES = (
    "anonymous",
    "other_officer",  # an officer of another organisation
    "contributor",
    "viewer",
    "officer",
    "own_reviewer",  # a reviewer who is a member of the organisation (refused, conflict of interest)
    "reviewer",
    "auditor_outside",  # an auditor engaged on another organisation only
    "auditor_inside",  # an auditor engaged on Northwind's periods, independence declared
    "admin",
)
# Northwind's reports, one per state, each in its own period (the label is the year).
STATES = {
    "draft": ("2027", ReportStatus.DRAFT),
    "submitted": ("2026", ReportStatus.SUBMITTED),
    "in_review": ("2025", ReportStatus.IN_REVIEW),
    "changes_requested": ("2024", ReportStatus.CHANGES_REQUESTED),
    "verified": ("2023", ReportStatus.VERIFIED),
    "published": ("2022", ReportStatus.PUBLISHED),
}


@dataclass
class World:
    users: dict[str, Any]
    tokens: dict[str, str]
    reports: dict[str, ProgressReport]
    periods: dict[str, Any]
    organisation: Any
    other_organisation: Any
    framework: Any
    engagement: Any
    extra: dict[str, Any] = field(default_factory=dict)

    def client(self, role: str) -> APIClient:
        client = APIClient()
        if role != "anonymous":
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {self.tokens[role]}")
        return client

    def report(self, state: str) -> ProgressReport:
        return self.reports[state]

    def item(self, state: str):
        return self.reports[state].items.select_related("node").order_by("node__position").first()


def build_world() -> World:
    framework = small_framework()
    periods = {
        state: period_for(framework, label=label, year=int(label)) for state, (label, _) in STATES.items()
    }
    northwind = committed_org(framework, "Northwind Models", "northwind-models")
    bluefin = committed_org(framework, "Bluefin Labs", "bluefin-labs")
    officer = officer_of(northwind)
    reviewer = UserFactory(platform_role="reviewer")
    admin = UserFactory(platform_role="program_admin", is_staff=True)
    own_reviewer = UserFactory(platform_role="reviewer")
    MembershipFactory(user=own_reviewer, organisation=northwind, role="viewer")
    users = {
        "other_officer": officer_of(bluefin),
        "contributor": MembershipFactory(organisation=northwind, role="contributor").user,
        "viewer": MembershipFactory(organisation=northwind, role="viewer").user,
        "officer": officer,
        "own_reviewer": own_reviewer,
        "reviewer": reviewer,
        "auditor_outside": UserFactory(platform_role="auditor"),
        "auditor_inside": UserFactory(platform_role="auditor"),
        "admin": admin,
    }
    people = People(officer=officer, reviewer=reviewer, admin=admin)
    reports = {}
    for state, (_, status) in STATES.items():
        report = report_create(organisation=northwind, period=periods[state], acting_user=officer)
        reports[state] = report_walk(
            report,
            to=status,
            by=people,
            fill=lambda r: fill(r, officer, restricted_title="Internal memo"),
            verdict=verdicts_of(),
            render_pdf=False,
            rebuild_open_data=False,
        )
    # The draft is answered too (filled but not submitted), so that submitting it can succeed.
    fill(reports["draft"], officer, restricted_title="Internal memo")
    bluefin_report = report_create(
        organisation=bluefin, period=periods["draft"], acting_user=users["other_officer"]
    )
    engagement = engagement_for(
        users["auditor_inside"], organisations=[northwind], periods=list(periods.values()), admin=admin
    )
    engagement_for(
        users["auditor_outside"], organisations=[bluefin], periods=list(periods.values()), admin=admin
    )
    # --- audits (tests/api/matrix/audits.py): work, a request answered with a file, an attestation.
    audits = build_audits(
        engagement=engagement,
        item=reports["published"].items.select_related("node", "report").order_by("node__position").first(),
        draft_report=reports["draft"],
        verified_report=reports["verified"],
        auditor=users["auditor_inside"],
        officer=officer,
        admin=admin,
    )
    # --- end of audits
    tokens = {
        role: api_token_create(user=user, name=f"{role} script", scope=TokenScope.WRITE).secret
        for role, user in users.items()
    }
    # Documents (api/apis/documents.py): the published report's public PDF, rendered (so that it can
    # be downloaded), and its audit PDF, asked for but not rendered.
    public_pdf = artifact_request(
        kind=ArtifactKind.PUBLIC, acting_user=admin, report=reports["published"], queue=False
    )
    artifact_render(public_pdf.pk)
    audit_pdf = artifact_request(
        kind=ArtifactKind.AUDIT, acting_user=admin, report=reports["published"], queue=False
    )
    users["anonymous"] = None
    extra = {
        "bluefin_report": bluefin_report,
        "documents_public_pdf": ReportArtifact.objects.get(pk=public_pdf.pk),
        "documents_audit_pdf": audit_pdf,
        **audits,
    }
    # --- reports area (tests/api/matrix/reports.py): a period with no report of Northwind's yet.
    extra["reports_free_period"] = period_for(framework, label="2028", year=2028)
    # --- end of the reports area
    # --- i15public: the log's checkpoint over every entry above, as the outbox signs one after a
    # change commits (the world's transaction never does), so that ledger entries have proofs.
    extra["public_checkpoint"] = checkpoint_sign()
    return World(
        users=users,
        tokens=tokens,
        reports={state: ProgressReport.objects.get(pk=r.pk) for state, r in reports.items()},
        periods=periods,
        organisation=northwind,
        other_organisation=bluefin,
        framework=framework,
        engagement=engagement,
        extra=extra,
    )
