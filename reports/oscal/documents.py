"""The OSCAL files: named, serialised, and gathered for their three readers.

- `report_documents(report)` and `engagement_documents(engagement)`: for the audit bundle, file
  name → JSON bytes;
- `all_documents()`: what `manage.py export_oscal` writes;
- `period_catalog`, `period_component_definition`, `period_assessment_results`: a period's open data.

File names (export and bundle):
    catalog-<framework key>-<framework version>.json
    component-definition-<organisation slug>-<report reference>.json
    assessment-results-engagement-<engagement id>.json
A component-definition names its catalog by that file name, relative to itself; in the open data
the three files of a period sit side by side as oscal-catalog.json, oscal-component-definition.json
(every current publication of the period) and oscal-assessment-results.json (every attested
engagement covering it).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse

from audits.models import Attestation, Engagement
from audits.selectors import AttestedEngagement, attestation_url, attested_engagements
from commitments.models import Framework, FrameworkNode, ProgressReport, ReportingPeriod
from reports.models import Publication
from reports.oscal.assessments import assessment_results, no_assessment_results
from reports.oscal.catalogs import catalog
from reports.oscal.common import site_url, to_bytes
from reports.oscal.components import component_definition

OPEN_DATA_CATALOG = "oscal-catalog.json"
OPEN_DATA_COMPONENT_DEFINITION = "oscal-component-definition.json"
OPEN_DATA_ASSESSMENT_RESULTS = "oscal-assessment-results.json"


def catalog_file_name(framework: Framework) -> str:
    return f"catalog-{framework.key}-{framework.version}.json"


def component_definition_file_name(publication: Publication) -> str:
    report = publication.report
    return f"component-definition-{report.organisation.slug}-{report.reference}.json"


def assessment_results_file_name(engagement: Engagement) -> str:
    return f"assessment-results-engagement-{engagement.pk}.json"


# --- the documents, one subject each ------------------------------------------------------------


def _current_publications() -> QuerySet[Publication]:
    return Publication.objects.current().select_related("report__organisation", "report__period__framework")


def report_component_definition(publication: Publication, *, catalog_href: str) -> dict[str, Any]:
    report = publication.report
    return component_definition(
        [publication],
        catalog_href=catalog_href,
        subject=f"report:{report.pk}",
        title=f"{report.organisation.name}: progress report {report.reference} ({report.period.label})",
    )


def public_engagement(engagement: Engagement) -> AttestedEngagement | None:
    """The engagement as the public sees it, over all its periods: its current attestation and its
    findings on published items in scope; None while it has no current attestation."""
    merged: AttestedEngagement | None = None
    for period in engagement.periods.order_by("starts_on", "pk"):
        for attested in attested_engagements(period):
            if attested.engagement.pk != engagement.pk:
                continue
            if merged is None:
                merged = attested
            else:
                merged.findings = [*merged.findings, *attested.findings]
    return merged


def engagement_assessment_results(attested: AttestedEngagement) -> dict[str, Any]:
    return assessment_results(
        [attested],
        subject=f"engagement:{attested.engagement.pk}",
        title=f"Independent audit: {attested.engagement.title}",
        plan_href=site_url(attestation_url(attested.attestation.pk)),
    )


# --- gathered, for the bundle and the export ----------------------------------------------------


def _publication_files(publications) -> dict[str, bytes]:
    files = {}
    for publication in publications:
        framework = publication.report.period.framework
        files.setdefault(catalog_file_name(framework), to_bytes(catalog(framework)))
        files[component_definition_file_name(publication)] = to_bytes(
            report_component_definition(publication, catalog_href=catalog_file_name(framework))
        )
    return files


def _engagement_files(engagements) -> dict[str, bytes]:
    files = {}
    for engagement in engagements:
        attested = public_engagement(engagement)
        if attested is not None:
            document = engagement_assessment_results(attested)
            files[assessment_results_file_name(engagement)] = to_bytes(document)
    return files


def _sorted(files: dict[str, bytes]) -> dict[str, bytes]:
    return dict(sorted(files.items()))


def report_documents(report: ProgressReport) -> dict[str, bytes]:
    """File name → JSON bytes: the catalog of the report's framework, the component-definition of its
    current publication, and the assessment-results of each attested engagement covering it.

    What the public may read only: a report never published has its catalog and nothing else.
    """
    framework = report.period.framework
    files = {catalog_file_name(framework): to_bytes(catalog(framework))}
    files.update(_publication_files(_current_publications().filter(report=report)))
    engagements = Engagement.objects.filter(
        organisations=report.organisation_id, periods=report.period_id
    ).distinct()
    files.update(_engagement_files(engagements))
    return _sorted(files)


def engagement_documents(engagement: Engagement) -> dict[str, bytes]:
    """File name → JSON bytes: the catalog of each framework the engagement's periods use, the
    component-definition of each published report in its scope (organisations × periods), and
    its assessment-results once it has a current attestation (none before)."""
    periods = list(engagement.periods.select_related("framework"))
    files = {}
    for period in periods:
        files.setdefault(catalog_file_name(period.framework), to_bytes(catalog(period.framework)))
    files.update(
        _publication_files(
            _current_publications().filter(
                report__organisation__in=engagement.organisations.all(), report__period__in=periods
            )
        )
    )
    files.update(_engagement_files([engagement]))
    return _sorted(files)


def all_documents() -> dict[str, bytes]:
    """Every OSCAL file: a catalog per framework version, a component-definition per current
    publication, assessment-results per engagement with a current attestation."""
    files = {catalog_file_name(f): to_bytes(catalog(f)) for f in Framework.objects.order_by("key", "version")}
    files.update(_publication_files(_current_publications()))
    attested = Engagement.objects.filter(
        pk__in=Attestation.objects.current().values("engagement_id")
    ).order_by("pk")
    files.update(_engagement_files(attested))
    return _sorted(files)


# --- a period's open data -----------------------------------------------------------------------


def period_catalog(period: ReportingPeriod) -> bytes:
    return to_bytes(catalog(period.framework))


def period_component_definition(period: ReportingPeriod) -> bytes:
    """Every current publication of the period, one component each (a period with open data has one)."""
    publications = list(_current_publications().filter(report__period=period))
    return to_bytes(
        component_definition(
            publications,
            catalog_href=OPEN_DATA_CATALOG,
            subject=f"period:{period.pk}",
            title=f"Published progress reports: {period.framework.title}, {period.label}",
        )
    )


def period_assessment_results(period: ReportingPeriod) -> bytes:
    """Every engagement covering the period with a current attestation, or a document that says
    there is none yet (the file exists for every period with open data)."""
    title = f"Independent audits: {period.framework.title}, {period.label}"
    plan = site_url(reverse("data:period", args=[period.framework.key, period.label]))
    engagements = attested_engagements(period)
    if engagements:
        document = assessment_results(engagements, subject=f"period:{period.pk}", title=title, plan_href=plan)
    else:
        latest = Publication.objects.current().filter(report__period=period).order_by("-published_at").first()
        document = no_assessment_results(
            control_ids=list(
                FrameworkNode.objects.filter(framework=period.framework_id, reportable=True).values_list(
                    "node_id", flat=True
                )
            ),
            subject=f"period:{period.pk}",
            title=title,
            plan_href=plan,
            as_of=latest.published_at if latest else period.ends_on,
        )
    return to_bytes(document)
