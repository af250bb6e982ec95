"""A published report whose narratives were saved before the narrative limits existed.

The rows are written straight to the database (as those saves were), then the report goes through
the services: submitted, verified and published, so the published snapshot carries them as well.
"""

from django.urls import reverse

from commitments.models import ImplementationStatus, ItemResponse, ReportStatus
from commitments.services.reports import report_create
from demo.walk import People, report_walk
from reports.services import publication_correct
from tests.reports.public_builders import fill, officer_of


def store_as_before_the_limits(report, text: str, *, areas: str | None = None) -> None:
    ItemResponse.objects.filter(report=report).update(
        narrative=text, areas_needing_progress=text if areas is None else areas
    )


def published_with_narrative(organisation, period, text: str, *, reviewer, admin):
    officer = officer_of(organisation)
    report = report_create(organisation=organisation, period=period, acting_user=officer)
    fill(report, officer, statuses=[ImplementationStatus.IMPLEMENTED] * report.items.count())
    store_as_before_the_limits(report, text)
    return report_walk(
        report,
        to=ReportStatus.PUBLISHED,
        by=People(officer=officer, reviewer=reviewer, admin=admin),
        render_pdf=False,
    )


def republish_with_narrative(report, text: str, *, admin, version: int) -> None:
    """A correction publishes the stored text as the report's new public version."""
    store_as_before_the_limits(report, text, areas=f"Correction {version}")
    publication_correct(report=report, acting_user=admin, reason=f"Correction {version}")


def public_item_url(report, node_id: str) -> str:
    return reverse(
        "public:item",
        args=[report.organisation.slug, report.period.framework.key, report.period.label, node_id],
    )
