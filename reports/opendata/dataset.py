"""Open data, read: which periods have any, and a period's data set from current publications only.

Everything here reads published snapshots (never live report rows), so a draft, a report under
review or a reviewer's comment cannot reach a file. Restricted evidence appears as a count and a
hash, never with its title or link.
"""

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, QuerySet

from audits.selectors import PublicAudit, attestation_url, attested_engagements, public_audits
from commitments.models import Commitment, FrameworkNode, MetricDefinition, ReportingPeriod
from commitments.vocabulary import AssuranceLevel
from reports.models import Publication
from reports.public.snapshots import item_level, snapshot

# --- which periods have open data -------------------------------------------------------------


def _published_periods() -> QuerySet[ReportingPeriod]:
    """Reporting periods with at least one current publication."""
    return ReportingPeriod.objects.filter(
        reports__publications__isnull=False, reports__publications__superseded_by__isnull=True
    ).select_related("framework")


def open_data_periods_queryset() -> QuerySet[ReportingPeriod]:
    """Reporting periods with at least one current publication, unordered (for a paginated list)."""
    return _published_periods().distinct()


def open_data_periods() -> list[ReportingPeriod]:
    """Reporting periods with at least one current publication, by framework, newest period first."""
    return list(open_data_periods_queryset().order_by("framework__key", "-starts_on", "label", "pk"))


def open_data_period_find(*, framework_key: str, label: str) -> ReportingPeriod | None:
    """The period `label` of framework `key` if it has anything published, else None.

    Two versions of a framework could both have a period with the same label; the newest
    one with a publication wins, so the URL stays meaningful.
    """
    return (
        _published_periods()
        .filter(framework__key=framework_key, label=label)
        .distinct()
        .order_by("-framework_id")
        .first()
    )


# --- the data set, read once ------------------------------------------------------------------


@dataclass(frozen=True)
class Dataset:
    period: ReportingPeriod
    grouping_levels: list[str]
    mitigations: list[dict[str, Any]]
    organisations: list[dict[str, Any]]
    # Attested audit engagements covering the period, with their findings (audits.selectors).
    engagements: list[dict[str, Any]] = field(default_factory=list)

    @property
    def framework(self):
        return self.period.framework


def _utc(moment: datetime.datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _mitigations(period: ReportingPeriod) -> tuple[list[str], list[dict[str, Any]]]:
    framework = period.framework
    nodes = list(
        FrameworkNode.objects.filter(framework=framework)
        .prefetch_related(Prefetch("metrics", queryset=MetricDefinition.objects.order_by("position", "key")))
        .order_by("position", "node_id")
    )
    by_pk = {node.pk: node for node in nodes}
    levels = list(framework.levels or [])
    grouping = levels[:-1] if levels else sorted({n.kind for n in nodes if not n.reportable})
    mitigations = []
    for node in nodes:
        if not node.reportable:
            continue
        ancestors = []
        parent = by_pk.get(node.parent_id)
        while parent is not None:
            ancestors.insert(0, {"kind": parent.kind, "id": parent.node_id, "title": parent.title})
            parent = by_pk.get(parent.parent_id)
        mitigations.append(
            {
                "node_id": node.node_id,
                "code": node.code,
                "kind": node.kind,
                "title": node.title,
                "description": node.description,
                "ancestors": ancestors,
                "metrics": [
                    {
                        "key": metric.key,
                        "name": metric.name,
                        "unit": metric.unit,
                        "required": metric.required,
                        "requires_data_source": metric.requires_data_source,
                    }
                    for metric in node.metrics.all()
                ],
            }
        )
    return grouping, mitigations


def _evidence(entry: dict[str, Any]) -> dict[str, Any]:
    if entry.get("visibility") == "public":
        return {
            "visibility": "public",
            "kind": entry["kind"],
            "title": entry["title"],
            "url": entry["url"],
            "effective_date": entry["effective_date"],
            "sha256": entry["sha256"],
            "size_bytes": entry["size_bytes"],
            "media_type": entry["media_type"],
            "revision": entry["revision"],
        }
    # Restricted evidence: proof that it exists and what it hashes to, nothing that describes it.
    return {
        "visibility": "restricted",
        "kind": entry["kind"],
        "effective_date": entry["effective_date"],
        "sha256": entry["sha256"],
        "revision": entry["revision"],
    }


def _item(raw: dict[str, Any], audit: PublicAudit | None = None) -> dict[str, Any]:
    evidence = [_evidence(entry) for entry in raw.get("evidence", [])]
    return {
        "node_id": raw["node"],
        "title": raw["title"],
        "status": raw["status"] or AssuranceLevel.NOT_REPORTED.value,
        "assurance": item_level(raw, audit).value,
        "verdict": raw.get("verdict"),
        "verdict_justification": raw.get("verdict_justification", ""),
        "company_responses": list(raw.get("company_responses", [])),
        "narrative": raw.get("narrative", ""),
        "areas_needing_progress": raw.get("areas_needing_progress", ""),
        "metrics": [
            {
                "key": metric["key"],
                "name": metric["name"],
                "unit": metric["unit"],
                "value": metric["value"],
                "data_source": metric["data_source"],
            }
            for metric in raw.get("metrics", [])
        ],
        "public_evidence_count": sum(1 for e in evidence if e["visibility"] == "public"),
        "restricted_evidence_count": sum(1 for e in evidence if e["visibility"] == "restricted"),
        "evidence": evidence,
    }


def dataset_build(*, period: ReportingPeriod) -> Dataset:
    """Every organisation that signed the period's framework, with its current published snapshot.

    A constant number of queries: nodes, metric definitions, commitments, publications.
    """
    grouping, mitigations = _mitigations(period)
    order = {m["node_id"]: n for n, m in enumerate(mitigations)}
    publications = {
        publication.report.organisation_id: publication
        for publication in Publication.objects.current()
        .filter(report__period=period)
        .select_related("report__organisation")
    }
    organisations = {
        commitment.organisation_id: commitment.organisation
        for commitment in Commitment.objects.filter(framework__key=period.framework.key).select_related(
            "organisation"
        )
    }
    for org_id, publication in publications.items():
        organisations.setdefault(org_id, publication.report.organisation)
    audits = public_audits(p.report_id for p in publications.values())

    rows = []
    for org_id, organisation in organisations.items():
        publication = publications.get(org_id)
        entry: dict[str, Any] = {
            "name": organisation.name,
            "slug": organisation.slug,
            "reported": publication is not None,
            "publication": None,
            "items": [],
        }
        if publication is not None:
            published = snapshot(publication)
            entry["publication"] = {
                "report_reference": published.get("reference", ""),
                "version": publication.version,
                "published_at": _utc(publication.published_at),
                "snapshot_sha256": publication.snapshot_sha256,
                "report_revision": published.get("revision"),
                "verified_at": published.get("verified_at"),
                "correction_reason": publication.correction_reason,
            }
            report_audits = audits.get(publication.report_id, {})
            items = [_item(raw, report_audits.get(raw["node"])) for raw in published.get("items", [])]
            entry["items"] = sorted(items, key=lambda i: (order.get(i["node_id"], len(order)), i["node_id"]))
        rows.append(entry)
    rows.sort(key=lambda o: (o["name"].casefold(), o["slug"]))
    return Dataset(
        period=period,
        grouping_levels=grouping,
        mitigations=mitigations,
        organisations=rows,
        engagements=_engagements(period),
    )


def _engagements(period: ReportingPeriod) -> list[dict[str, Any]]:
    """The period's attested engagements: who audited what under which terms, the attestation and
    the findings on published items. Nothing of an engagement without a current attestation."""
    engagements = []
    for attested in attested_engagements(period):
        engagement, attestation = attested.engagement, attested.attestation
        engagements.append(
            {
                "title": engagement.title,
                "firm": engagement.firm,
                "auditors": list(attested.auditors),
                "standard": engagement.standard,
                "scope_statement": engagement.scope_statement,
                "organisations": attested.organisation_slugs,
                "attestation": {
                    "id": attestation.pk,
                    "url": settings.SITE_URL + attestation_url(attestation.pk),
                    "opinion": attestation.opinion,
                    "attested_on": attestation.attested_on.isoformat(),
                    "statement": attestation.statement,
                    "corrects": attestation.corrects_id,
                    "correction_reason": attestation.correction_reason,
                },
                "findings": [
                    {
                        "organisation_slug": finding.item.report.organisation.slug,
                        "node_id": finding.item.node.node_id,
                        "kind": finding.kind,
                        "description": finding.description,
                        "company_response": finding.company_response,
                    }
                    for finding in attested.findings
                ],
            }
        )
    return engagements
