"""Published reports for the public-site tests, made through the services as users would."""

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile

from commitments.models import ImplementationStatus
from commitments.services.evidence import evidence_add
from commitments.services.reports import (
    MetricInput,
    item_update,
    item_verdict_record,
    report_create,
    report_review_start,
    report_submit,
    report_verify,
)
from reports.services import report_publish
from tests.builders import commit
from tests.factories import MembershipFactory, OrganisationFactory
from tests.samples import pdf_bytes

EFFECTIVE = datetime.date(2026, 2, 1)


def committed_org(framework, name: str, slug: str | None = None):
    organisation = OrganisationFactory(name=name, slug=slug or name.lower().replace(" ", "-"))
    commit(organisation, framework)
    return organisation


def officer_of(organisation):
    return MembershipFactory(organisation=organisation, role="officer").user


def fill(
    report,
    officer,
    *,
    statuses=None,
    narrative="We did it.",
    metric_value=12,
    restricted_title="",
    public_file_title="",
):
    """Answer every item; implemented ones get public URL evidence (and restricted or public files)."""
    items = list(
        report.items.select_related("node").prefetch_related("node__metrics").order_by("node__position")
    )
    for index, item in enumerate(items):
        status = statuses[index] if statuses else ImplementationStatus.IMPLEMENTED
        metrics = {
            m.key: MetricInput(value=metric_value, data_source="Case system export")
            for m in item.node.metrics.all()
        }
        item_update(
            item=item,
            acting_user=officer,
            expected_version=item.version,
            status=status,
            narrative=f"{narrative} ({item.node.node_id})",
            metrics=metrics,
        )
        if status == ImplementationStatus.IMPLEMENTED:
            evidence_add(
                item=item,
                acting_user=officer,
                title=f"Public policy for {item.node.node_id}",
                effective_date=EFFECTIVE,
                visibility="public",
                url=f"https://example.test/policy/{item.node.node_id}",
            )
        if public_file_title:
            evidence_add(
                item=item,
                acting_user=officer,
                title=public_file_title,
                effective_date=EFFECTIVE,
                visibility="public",
                upload=SimpleUploadedFile(
                    f"{public_file_title}.txt", f"{public_file_title} for {item.node.node_id}\n".encode()
                ),
            )
        if restricted_title:
            evidence_add(
                item=item,
                acting_user=officer,
                title=restricted_title,
                effective_date=EFFECTIVE,
                visibility="restricted",
                upload=SimpleUploadedFile(
                    f"{restricted_title}.pdf", pdf_bytes(f"{restricted_title} for {item.node.node_id}")
                ),
            )
    return items


def verify(report, reviewer, *, verdicts=None, justification="Policy document seen.", start=True):
    """Review a submitted report (or one in review, with start=False) to verified; return it then."""
    if start:
        report = report_review_start(report=report, acting_user=reviewer)
    items = list(report.items.select_related("node").order_by("node__position"))
    for index, item in enumerate(items):
        item_verdict_record(
            item=item,
            acting_user=reviewer,
            verdict=verdicts[index] if verdicts else "verified",
            justification=justification,
        )
    return report_verify(report=report, acting_user=reviewer)


def published(organisation, period, *, reviewer, admin, statuses=None, verdicts=None, **fill_options):
    officer = officer_of(organisation)
    report = report_create(organisation=organisation, period=period, acting_user=officer)
    fill(report, officer, statuses=statuses, **fill_options)
    report = report_submit(report=report, acting_user=officer)
    report = verify(report, reviewer, verdicts=verdicts)
    return report_publish(report=report, acting_user=admin).report
