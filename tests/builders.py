"""Builders that create report state through the services, as a user would."""

import datetime
import time
from base64 import b32decode

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.second_factor import totp_code_now
from accounts.services import totp_enrolment_confirm, totp_enrolment_start
from commitments.models import (
    Commitment,
    Framework,
    FrameworkNode,
    ImplementationStatus,
    MetricDefinition,
    ReportingPeriod,
)
from commitments.services.reports import MetricInput, item_update
from demo.walk import People, report_walk


def small_framework(key: str = "tiny", version: str = "1.0", items: int = 3) -> Framework:
    """A two-level framework with `items` reportable nodes; the first carries a required metric."""
    framework = Framework.objects.create(
        key=key,
        version=version,
        title=f"Tiny framework {key}",
        levels=["principle", "mitigation"],
        content_sha256="0" * 64,
    )
    principle = FrameworkNode.objects.create(
        framework=framework, node_id=f"{key}.p1", kind="principle", title="Principle one", depth=0, position=0
    )
    for n in range(1, items + 1):
        node = FrameworkNode.objects.create(
            framework=framework,
            parent=principle,
            node_id=f"{key}.p1.m{n}",
            kind="mitigation",
            reportable=True,
            title=f"Mitigation {n}",
            depth=1,
            position=n,
        )
        if n == 1:
            MetricDefinition.objects.create(
                node=node,
                key="reports",
                name="Reports made",
                unit="count",
                required=True,
                requires_data_source=True,
            )
    return framework


def period_for(framework: Framework, label: str = "2026", year: int = 2026) -> ReportingPeriod:
    return ReportingPeriod.objects.create(
        framework=framework,
        label=label,
        starts_on=datetime.date(year, 1, 1),
        ends_on=datetime.date(year, 12, 31),
        due_on=datetime.date(year + 1, 3, 31),
    )


def commit(organisation, framework: Framework) -> Commitment:
    return Commitment.objects.create(
        organisation=organisation,
        framework=framework,
        signed_on=datetime.date(2024, 4, 23),
        signatory="A. Signatory, Chief Executive",
        statement_url="https://example.test/statement",
    )


def answer_all(report, officer, status: str = ImplementationStatus.PLANNED) -> None:
    """Give every item an answer that passes the submission checks (no evidence needed)."""
    for item in report.items.select_related("node").prefetch_related("node__metrics"):
        metrics = {
            m.key: MetricInput(value=12, data_source="Trust & safety case system export")
            for m in item.node.metrics.all()
        }
        item_update(
            item=item,
            acting_user=officer,
            expected_version=item.version,
            status=status,
            narrative="Scheduled for the next quarter.",
            metrics=metrics,
        )


def advance(report, to: str, *, officer, reviewer, admin=None):
    """Walk a report along the happy path until it reaches `to` (answering every item before it is
    submitted, every verdict verified); return it as it is then, which is the report to use from there."""
    return report_walk(
        report,
        to=to,
        by=People(officer=officer, reviewer=reviewer, admin=admin),
        fill=lambda r: answer_all(r, officer),
    )


def authenticator_for(user) -> tuple[TOTPDevice, list[str]]:
    """A confirmed authenticator app and fresh recovery codes, set up as the person would.

    Setting up uses the app's current code, so the next sign-in's code is the following one
    (accounts.second_factor.totp_code_now gives it; a third within 30 seconds needs time to pass).
    """
    device = totp_enrolment_start(user=user)
    return totp_enrolment_confirm(user=user, code=totp_code_now(device))


def app_code(secret: str, at: float | None = None) -> str:
    """What an authenticator app given the secret shown on the set-up page displays at `at`."""
    totp = TOTP(b32decode(secret.replace(" ", "")))
    totp.time = time.time() if at is None else at
    return f"{totp.token():06d}"


def item_form_data(item, **fields) -> dict:
    """What the workspace editor posts for one item: a valid answer, with `fields` replacing parts."""
    prefix = f"item-{item.pk}"
    data = {
        f"{prefix}-expected_version": item.version,
        f"{prefix}-status": "in_progress",
        f"{prefix}-narrative": "We hash-match every upload against known material.",
        f"{prefix}-areas_needing_progress": "Coverage of video uploads.",
        f"{prefix}-metric_reports_value": "42",
        f"{prefix}-metric_reports_source": "Case system export, 2026",
    }
    data.update({f"{prefix}-{name}": value for name, value in fields.items()})
    return data
