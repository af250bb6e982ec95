"""Attested audit engagements as OSCAL assessment-results.

One result per engagement: its scope, standard and window; the attestation (opinion and statement,
the auditors as the responsible parties); per finding, an observation (the auditors examined the
item's published claim and its evidence, each piece named by its SHA-256 as a back-matter
resource) and a finding on the mitigation's statement in the framework's catalog, satisfied or not.

Only what the public reads (audits.selectors.attested_engagements): engagements with a current
attestation, their findings on items of published reports in their scope, never a workpaper.
The evidence is the item's as its current publication states it: restricted evidence by hash only.
"""

from __future__ import annotations

from typing import Any

from audits.selectors import AttestedEngagement, attestation_url
from commitments.vocabulary import FindingKind, Opinion
from reports.models import Publication
from reports.oscal.catalogs import statement_id
from reports.oscal.common import (
    NS,
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
from reports.oscal.components import PROVIDER_ROLE, component_uuid, organisation_party
from reports.public.snapshots import snapshot_items

ASSESSOR_ROLE = {"id": "assessor", "title": "Assessor"}
# Whether the mitigation's statement is satisfied, in OSCAL's words, and why.
FINDING_STATES: dict[FindingKind, tuple[str, str]] = {
    FindingKind.CONFORMS: ("satisfied", "pass"),
    FindingKind.OBSERVATION: ("satisfied", "other"),
    FindingKind.NONCONFORMITY: ("not-satisfied", "fail"),
}


def _auditor_parties(attested: AttestedEngagement) -> list[dict[str, Any]]:
    parties = [
        {"uuid": uuid_for("auditor", attested.engagement.pk, name), "type": "person", "name": line(name)}
        for name in attested.auditors
        if line(name)
    ]
    if line(attested.engagement.firm):
        parties.append(
            {
                "uuid": uuid_for("firm", line(attested.engagement.firm)),
                "type": "organization",
                "name": line(attested.engagement.firm),
            }
        )
    return parties


def _evidence(finding, publications: dict[int, Publication]) -> list[dict[str, Any]]:
    publication = publications.get(finding.item.report_id)
    if publication is None:
        return []
    item = snapshot_items(publication).get(finding.item.node.node_id, {})
    return [evidence_resource(entry, publication=publication) for entry in item.get("evidence", [])]


def _observation(finding, evidence: list[dict[str, Any]]) -> dict[str, Any]:
    node = finding.item.node
    organisation = finding.item.report.organisation
    found = {
        "uuid": uuid_for("observation", finding.pk),
        "title": line(f"{organisation.name}: {node.code or node.node_id} {node.title}"),
        "description": (
            f"The auditors examined what {line(organisation.name)} reported for {node.node_id} in report "
            f"{finding.item.report.reference}, and the evidence it gave."
        ),
        "methods": ["EXAMINE"],
        "subjects": [
            {
                "subject-uuid": component_uuid(finding.item.report_id),
                "type": "component",
                "title": line(f"{organisation.name}, report {finding.item.report.reference}"),
            }
        ],
    }
    relevant = [
        {
            "href": link["href"],
            "description": f"{resource['title']}"
            + (f" (SHA-256 {_sha256(resource)})" if _sha256(resource) else ""),
        }
        for link, resource in zip(evidence_links(evidence), evidence, strict=True)
    ]
    with_optional(found, relevant_evidence=relevant)
    found["collected"] = moment(finding.recorded_at)
    return found


def _sha256(resource: dict[str, Any]) -> str:
    for rlink in resource.get("rlinks", []):
        for digest in rlink.get("hashes", []):
            return digest["value"]
    return ""


def _finding(finding, observation_uuid: str) -> dict[str, Any]:
    kind = FindingKind(finding.kind)
    state, reason = FINDING_STATES[kind]
    node = finding.item.node
    organisation = finding.item.report.organisation
    found = {
        "uuid": uuid_for("finding", finding.pk),
        "title": line(f"{kind.label}: {organisation.name}, {node.code or node.node_id}"),
        "description": prose(finding.description, kind.label),
        "props": props(
            prop("finding-kind", kind.value),
            prop("organisation", organisation.slug),
            prop("report-reference", finding.item.report.reference),
        ),
        "target": {
            "type": "statement-id",
            "target-id": statement_id(node.node_id),
            "status": {"state": state, "reason": reason},
        },
        "related-observations": [{"observation-uuid": observation_uuid}],
    }
    if finding.company_response.strip():
        found["remarks"] = f"Company response:\n\n{finding.company_response.strip()}"
    return found


def _attestation(attested: AttestedEngagement, auditor_uuids: list[str]) -> dict[str, Any]:
    attestation = attested.attestation
    opinion = Opinion(attestation.opinion)
    parts = [
        {
            "name": "opinion",
            "ns": NS,
            "title": f"{opinion.label} opinion, attested on {attestation.attested_on.isoformat()}",
            "props": [prop("opinion", opinion.value)],
            "prose": prose(attestation.statement, opinion.label),
        }
    ]
    if attestation.corrects_id:
        parts.append(
            {
                "name": "correction",
                "ns": NS,
                "title": f"Corrects attestation {attestation.corrects_id}",
                "prose": prose(attestation.correction_reason, "No reason given."),
            }
        )
    found: dict[str, Any] = {}
    if auditor_uuids:
        found["responsible-parties"] = [{"role-id": ASSESSOR_ROLE["id"], "party-uuids": auditor_uuids}]
    found["parts"] = parts
    return found


def _result(
    attested: AttestedEngagement, publications: dict[int, Publication]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    engagement, attestation = attested.engagement, attested.attestation
    observations, findings, resources = [], [], []
    for finding in attested.findings:
        if finding.item.report_id in publications:
            # The same report, read with its period and framework: its reference names the period.
            finding.item.report = publications[finding.item.report_id].report
        evidence = _evidence(finding, publications)
        resources += evidence
        observation = _observation(finding, evidence)
        observations.append(observation)
        findings.append(_finding(finding, observation["uuid"]))
    controls = sorted({f.item.node.node_id for f in attested.findings})
    result = {
        "uuid": uuid_for("result", engagement.pk),
        "title": line(engagement.title) or f"Engagement {engagement.pk}",
        "description": prose(engagement.scope_statement, "No scope statement was given."),
        "start": moment(engagement.starts_at),
        "end": moment(engagement.ends_at),
        "props": props(
            prop("standard", engagement.standard),
            prop("firm", engagement.firm),
            prop("opinion", attestation.opinion),
            prop("attested-on", attestation.attested_on.isoformat()),
            prop("attestation-id", attestation.pk),
            *(prop("organisation", slug) for slug in attested.organisation_slugs),
        ),
        "links": [
            {"href": site_url(attestation_url(attestation.pk)), "rel": "alternate", "text": "The attestation"}
        ],
        "reviewed-controls": {
            "control-selections": [
                {"include-controls": [{"control-id": c} for c in controls]}
                if controls
                else {
                    "description": (
                        "Every mitigation of the reports in scope: the attestation covers them all. "
                        "No finding on a published item is public yet."
                    ),
                    "include-all": {},
                }
            ]
        },
        "attestations": [_attestation(attested, [p["uuid"] for p in _auditor_parties(attested)])],
    }
    with_optional(result, observations=observations, findings=findings)
    return result, resources


def assessment_results(
    engagements: list[AttestedEngagement], *, subject: str, title: str, plan_href: str
) -> dict[str, Any]:
    """Attested engagements as one assessment-results document (one result each).

    `plan_href` is what import-ap names: no OSCAL assessment plan is published, so the caller
    names the public page that states the engagement's terms.
    """
    engagements = sorted(engagements, key=lambda a: (a.attestation.attested_on, a.engagement.pk))
    report_ids = {f.item.report_id for a in engagements for f in a.findings}
    publications = {
        p.report_id: p
        for p in Publication.objects.current()
        .filter(report_id__in=report_ids)
        .select_related("report__organisation", "report__period__framework")
    }
    results, resources, parties, assessors = [], {}, {}, []
    for attested in engagements:
        result, evidence = _result(attested, publications)
        results.append(result)
        for resource in evidence:  # one item's evidence may back findings of two engagements
            resources.setdefault(resource["uuid"], resource)
        for party in _auditor_parties(attested):
            if party["uuid"] not in parties:
                parties[party["uuid"]] = party
                assessors.append(party["uuid"])
        for organisation in attested.engagement.organisations.all():
            found = organisation_party(organisation)
            parties.setdefault(found["uuid"], found)
    latest = max(a.attestation.signed_at for a in engagements)
    document = {
        "uuid": uuid_for("assessment-results", subject),
        "metadata": metadata(
            title=title,
            last_modified=latest,
            version=(
                f"attestation {engagements[0].attestation.pk}"
                if len(engagements) == 1
                else f"as of {moment(latest)}"
            ),
            parties=list(parties.values()),
            roles=[ASSESSOR_ROLE, PROVIDER_ROLE],
            responsible_parties=(
                [{"role-id": ASSESSOR_ROLE["id"], "party-uuids": assessors}] if assessors else []
            ),
        ),
        "import-ap": {
            "href": plan_href,
            "remarks": (
                "No OSCAL assessment plan is published: each result states the engagement's scope, "
                "standard and window, and links the public attestation."
            ),
        },
        "results": results,
    }
    if resources:
        document["back-matter"] = {"resources": list(resources.values())}
    return {"assessment-results": document}


def no_assessment_results(*, control_ids: list[str], subject: str, title: str, plan_href: str, as_of) -> dict:
    """An assessment-results document saying that nothing is independently assessed (yet).

    For a file that must exist whatever the data (a period's open data before any attestation):
    its one result selects every control and then excludes each, so it reviews none, and has no
    finding.
    """
    result = {
        "uuid": uuid_for("result", subject, "none"),
        "title": "No attested independent audit",
        "description": (
            "No audit engagement covering this has a current attestation yet, so nothing here is "
            "independently audited."
        ),
        "start": moment(as_of),
        "reviewed-controls": {
            "description": "None.",
            "control-selections": [
                with_optional(
                    {"include-all": {}}, exclude_controls=[{"control-id": c} for c in sorted(control_ids)]
                )
            ],
        },
    }
    return {
        "assessment-results": {
            "uuid": uuid_for("assessment-results", subject),
            "metadata": metadata(title=title, last_modified=as_of, version=f"as of {moment(as_of)}"),
            "import-ap": {"href": plan_href, "remarks": "No assessment plan: no engagement is attested."},
            "results": [result],
        }
    }
