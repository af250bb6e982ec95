"""Published reports as an OSCAL component-definition.

Why a component-definition and not a system security plan (SSP): an SSP describes one information
system and requires what a progress report does not hold (system ids, a security-sensitivity level,
information types and their impact levels, an authorisation boundary, users, and a profile to
import), all of which would be invented filler. A component-definition says what a component
implements of a catalog and how, which is what a report states: each organisation's reported
practice is a component (type process-procedure), each item response an implemented-requirement
of the framework's catalog with its status, narrative and metrics as properties and its evidence
as back-matter resources linked by uuid and carrying their SHA-256. One document may hold several
components, so the open data holds a period's published reports in one file.

Only the current publication is read (the snapshot, never live rows): restricted evidence is there
as its hash, with nothing that describes it.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from audits.selectors import public_audits
from reports.models import Publication
from reports.oscal.common import (
    evidence_links,
    evidence_resource,
    line,
    metadata,
    moment,
    prop,
    props,
    prose,
    site_url,
    uuid_for,
    with_optional,
)
from reports.public.snapshots import item_level, snapshot

PROVIDER_ROLE = {"id": "provider", "title": "Provider"}
NO_NARRATIVE = "No narrative was given."


def component_uuid(report_id: int) -> str:
    return uuid_for("component", report_id)


def organisation_party(organisation) -> dict[str, Any]:
    return {
        "uuid": uuid_for("organisation", organisation.pk),
        "type": "organization",
        "name": line(organisation.name) or organisation.slug,
        "short-name": organisation.slug,
    }


def _remarks(item: dict[str, Any]) -> str:
    sections = []
    if item.get("areas_needing_progress", "").strip():
        sections.append(f"Areas still needing progress:\n\n{item['areas_needing_progress'].strip()}")
    if item.get("verdict_justification", "").strip():
        sections.append(f"Reviewer's justification:\n\n{item['verdict_justification'].strip()}")
    for response in item.get("company_responses", []):
        if response.strip():
            sections.append(f"Company response:\n\n{response.strip()}")
    return "\n\n".join(sections)


def _requirement(report_id: int, item: dict[str, Any], audit, resources: list[dict]) -> dict[str, Any]:
    metrics = [
        prop(
            f"metric-{metric['key']}",
            metric["value"],
            cls=metric["unit"],
            remarks=(
                f"{metric['name']} ({metric['unit']}). Data source: {metric['data_source'] or 'not given'}."
            ),
        )
        for metric in item.get("metrics", [])
    ]
    found = {
        "uuid": uuid_for("implemented-requirement", report_id, item["node"]),
        "control-id": item["node"],
        "description": prose(item.get("narrative"), NO_NARRATIVE),
    }
    return with_optional(
        found,
        props=props(
            prop("implementation-status", item.get("status") or "not_reported"),
            prop("assurance", item_level(item, audit).value),
            prop("verdict", item.get("verdict")),
            prop("audit-finding", audit.kind.value if audit else None),
            *metrics,
        ),
        links=evidence_links(resources),
        remarks=_remarks(item),
    )


def _component(publication: Publication, audits: dict, catalog_href: str) -> tuple[dict, list[dict]]:
    report = publication.report
    organisation = report.organisation
    period = report.period
    framework = period.framework
    published = snapshot(publication)
    requirements = []
    resources = []
    for item in published.get("items", []):
        evidence = [evidence_resource(entry, publication=publication) for entry in item.get("evidence", [])]
        resources += evidence
        requirements.append(_requirement(report.pk, item, audits.get(item["node"]), evidence))
    page = reverse("public:report", args=[organisation.slug, framework.key, period.label])
    component = {
        "uuid": component_uuid(report.pk),
        "type": "process-procedure",
        "title": line(f"{organisation.name}: {framework.short_title or framework.title}, {period.label}"),
        "description": (
            f"What {line(organisation.name)} reported it does against {line(framework.title)} "
            f"(version {framework.version}) for the reporting period {line(period.label)} "
            f"({period.starts_on.isoformat()} to {period.ends_on.isoformat()}): report "
            f"{report.reference}, published version {publication.version}."
        ),
        "props": props(
            prop("organisation", organisation.slug),
            prop("report-reference", report.reference),
            prop("publication-version", publication.version),
            prop("published-at", moment(publication.published_at)),
            prop("snapshot-sha256", publication.snapshot_sha256),
            prop("report-revision", published.get("revision")),
            prop("verified-at", published.get("verified_at")),
            prop("correction-reason", publication.correction_reason),
        ),
        "links": [{"href": site_url(page), "rel": "alternate", "text": "The published report"}],
        "responsible-roles": [
            {"role-id": PROVIDER_ROLE["id"], "party-uuids": [organisation_party(organisation)["uuid"]]}
        ],
    }
    if requirements:
        component["control-implementations"] = [
            {
                "uuid": uuid_for("control-implementation", report.pk),
                "source": catalog_href,
                "description": (
                    f"The item responses of report {report.reference} as published "
                    f"(version {publication.version}), one per mitigation."
                ),
                "implemented-requirements": requirements,
            }
        ]
    return component, resources


def component_definition(
    publications: list[Publication], *, catalog_href: str, subject: str, title: str
) -> dict[str, Any]:
    """Current publications (of one framework version) as one component-definition.

    `catalog_href` is where the framework's catalog is, relative to this file; `subject` names what
    the document is about for its uuid (e.g. "report:12"), which stays the same across versions.
    """
    if not publications:
        raise ValueError("A component-definition needs at least one publication.")
    publications = sorted(publications, key=lambda p: (p.report.organisation.slug, p.report_id))
    audits = public_audits(p.report_id for p in publications)
    components = []
    resources = []
    for publication in publications:
        component, evidence = _component(publication, audits.get(publication.report_id, {}), catalog_href)
        components.append(component)
        resources += evidence
    latest = max((p.published_at for p in publications), default=None)
    organisations = {p.report.organisation.pk: p.report.organisation for p in publications}
    document = {
        "uuid": uuid_for("component-definition", subject),
        "metadata": metadata(
            title=title,
            last_modified=latest,
            version=(
                f"publication {publications[0].version}"
                if len(publications) == 1
                else f"as of {moment(latest)}"
            ),
            parties=[organisation_party(o) for _, o in sorted(organisations.items())],
            roles=[PROVIDER_ROLE],
        ),
    }
    with_optional(document, components=components)
    if resources:
        document["back-matter"] = {"resources": resources}
    return {"component-definition": document}
