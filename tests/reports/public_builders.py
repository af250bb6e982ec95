"""Published reports for the public-site tests, made through the services as users would."""

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile

from commitments.models import ImplementationStatus, ReportStatus, Verdict
from commitments.services.evidence import evidence_add
from commitments.services.reports import MetricInput, item_update, report_create
from demo.walk import People, report_walk
from tests.builders import commit
from tests.factories import MembershipFactory, OrganisationFactory
from tests.samples import pdf_bytes

EFFECTIVE = datetime.date(2026, 2, 1)
SEEN = "Policy document seen."


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


def verdicts_of(verdicts=None, justification=SEEN):
    """Each item's verdict by its index in `verdicts` (every one verified by default)."""
    return lambda index, _item: (verdicts[index] if verdicts else Verdict.VERIFIED, justification)


def verify(report, reviewer, *, verdicts=None, justification=SEEN):
    """Review a submitted report (or go on with one in review) until it is verified; return it then."""
    return report_walk(
        report,
        to=ReportStatus.VERIFIED,
        by=People(reviewer=reviewer),
        verdict=verdicts_of(verdicts, justification),
    )


def published(organisation, period, *, reviewer, admin, statuses=None, verdicts=None, **fill_options):
    officer = officer_of(organisation)
    report = report_create(organisation=organisation, period=period, acting_user=officer)
    return report_walk(
        report,
        to=ReportStatus.PUBLISHED,
        by=People(officer=officer, reviewer=reviewer, admin=admin),
        fill=lambda report: fill(report, officer, statuses=statuses, **fill_options),
        verdict=verdicts_of(verdicts),
    )
