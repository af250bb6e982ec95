"""What the public may see of independent audits (issue 14, item 5).

Only attested work is public: a finding shows on the public pages, the open data and the audit
report's public traces once its engagement has a current attestation (one no correction
replaces), and only for items of a report whose organisation and period the engagement covers.
Before that, nothing of an audit shows: not the engagement, not a finding.

`public_audits` answers for many reports at once in a fixed number of queries (one when nothing
is attested, three otherwise), so the matrix can ask for a whole period.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Exists, OuterRef
from django.urls import reverse

from audits.models import Attestation, Engagement, EngagementAuditor, Finding
from commitments.models import Organisation, ProgressReport, ReportingPeriod
from commitments.vocabulary import AssuranceLevel, FindingKind, Opinion, ReportStatus
from reports.models import Publication


@dataclass(frozen=True)
class PublicAudit:
    """An attested finding on one item, as the public sees it."""

    kind: FindingKind
    description: str
    company_response: str
    engagement_title: str
    firm: str
    auditors: tuple[str, ...]
    opinion: Opinion
    attested_on: datetime.date
    attestation_id: int

    @property
    def conforms(self) -> bool:
        return self.kind == FindingKind.CONFORMS

    @property
    def level(self) -> AssuranceLevel | None:
        """INDEPENDENTLY_AUDITED for a claim found to conform; None: the reviewer's level stands."""
        return AssuranceLevel.INDEPENDENTLY_AUDITED if self.conforms else None

    @property
    def by(self) -> str:
        return audited_by(self.auditors, self.firm)

    @property
    def url(self) -> str:
        return attestation_url(self.attestation_id)


def audited_by(auditors: Iterable[str], firm: str) -> str:
    """Who audited, as the public pages name them: the auditors, and their firm."""
    names = ", ".join(auditors)
    return f"{names} ({firm})" if names and firm else names or firm


def attestation_url(attestation_id: int) -> str:
    return reverse("audits:public_attestation", args=[attestation_id])


def user_name(user) -> str:
    """An auditor's name as the public reads it: their full name, never their email address."""
    return user.full_name.strip()


def _report_in_scope(report_ref: str):
    """The report at `report_ref` is of an organisation and a period the finding's engagement covers."""
    return Exists(
        ProgressReport.objects.filter(
            pk=OuterRef(report_ref),
            organisation__audit_engagements=OuterRef("engagement_id"),
            period__audit_engagements=OuterRef("engagement_id"),
        )
    )


def current_attestations(engagement_ids: Iterable[int] | None = None) -> dict[int, Attestation]:
    """Engagement id → its current attestation (the latest signed, should there be several)."""
    attestations = Attestation.objects.current().select_related("engagement").order_by("signed_at", "pk")
    if engagement_ids is not None:
        attestations = attestations.filter(engagement_id__in=list(engagement_ids))
    return {a.engagement_id: a for a in attestations}


def auditor_names(engagement_ids: Iterable[int]) -> dict[int, tuple[str, ...]]:
    """Engagement id → its auditors' names, in the order they were engaged."""
    names: dict[int, list[str]] = {}
    seats = EngagementAuditor.objects.filter(engagement_id__in=list(engagement_ids)).select_related("auditor")
    for seat in seats.order_by("pk"):
        name = user_name(seat.auditor)
        if name:  # without a name on file, the firm stands for them
            names.setdefault(seat.engagement_id, []).append(name)
    return {engagement_id: tuple(found) for engagement_id, found in names.items()}


def public_audits(report_ids: Iterable[int]) -> dict[int, dict[str, PublicAudit]]:
    """Report id → node id → the attested finding the public may see, for published reports.

    An item with findings in several attested engagements shows the most recent attestation's.
    """
    report_ids = list(report_ids)
    if not report_ids:
        return {}
    findings = list(
        Finding.objects.filter(
            item__report_id__in=report_ids,
            engagement__attestations__isnull=False,
            engagement__attestations__corrected_by__isnull=True,
        )
        .filter(_report_in_scope("item__report_id"))
        .select_related("item__node")
        .distinct()
    )
    if not findings:
        return {}
    engagement_ids = {f.engagement_id for f in findings}
    attestations = current_attestations(engagement_ids)
    names = auditor_names(engagement_ids)
    found: dict[int, dict[str, PublicAudit]] = {}
    chosen: dict[tuple[int, str], tuple] = {}
    for finding in findings:
        attestation = attestations.get(finding.engagement_id)
        if attestation is None:  # corrected between the two queries: the next page view has it
            continue
        key = (finding.item.report_id, finding.item.node.node_id)
        rank = (attestation.attested_on, attestation.signed_at, attestation.pk)
        if key in chosen and chosen[key] >= rank:
            continue
        chosen[key] = rank
        engagement = attestation.engagement
        found.setdefault(key[0], {})[key[1]] = PublicAudit(
            kind=FindingKind(finding.kind),
            description=finding.description,
            company_response=finding.company_response,
            engagement_title=engagement.title,
            firm=engagement.firm,
            auditors=names.get(finding.engagement_id, ()),
            opinion=Opinion(attestation.opinion),
            attested_on=attestation.attested_on,
            attestation_id=attestation.pk,
        )
    return found


def report_audits(report_id: int) -> dict[str, PublicAudit]:
    """Node id → the public audit result of one report's items."""
    return public_audits([report_id]).get(report_id, {})


# --- the public attestation page ----------------------------------------------------------------


@dataclass
class PublicFinding:
    finding: Finding
    url: str  # the item's public page
    # The published report that followed up the corrective action, and its item's public page.
    follow_up_period: str = ""
    follow_up_url: str = ""

    @property
    def kind(self) -> FindingKind:
        return FindingKind(self.finding.kind)


@dataclass
class AttestationPage:
    attestation: Attestation
    engagement: Engagement
    auditors: tuple[str, ...]
    organisations: list[Organisation]
    periods: list[ReportingPeriod]
    findings: list[PublicFinding]
    superseded_by: Attestation | None
    corrects: Attestation | None

    @property
    def opinion(self) -> Opinion:
        return Opinion(self.attestation.opinion)

    @property
    def by(self) -> str:
        return audited_by(self.auditors, self.engagement.firm)


def public_attestation(attestation_id: int) -> AttestationPage | None:
    """An attestation as the public reads it, current or corrected; None when there is none.

    The findings listed are those on items of published reports in the engagement's scope
    (its organisations and periods): nothing of a report the public cannot read.
    """
    attestation = (
        Attestation.objects.filter(pk=attestation_id)
        .select_related("engagement", "corrects", "corrected_by")
        .first()
    )
    if attestation is None:
        return None
    engagement = attestation.engagement
    findings = (
        Finding.objects.filter(engagement=engagement)
        .filter(_report_in_scope("item__report_id"))
        .filter(Exists(Publication.objects.filter(report_id=OuterRef("item__report_id"))))
        .select_related(
            "item__node",
            "item__report__organisation",
            "item__report__period__framework",
            "followed_up_in__period__framework",
        )
        .order_by(
            "item__report__organisation__name", "item__report__period__starts_on", "item__node__position"
        )
    )
    return AttestationPage(
        attestation=attestation,
        engagement=engagement,
        auditors=auditor_names([engagement.pk]).get(engagement.pk, ()),
        organisations=list(engagement.organisations.order_by("name")),
        periods=list(engagement.periods.select_related("framework").order_by("starts_on", "pk")),
        findings=[_public_finding(finding) for finding in findings],
        superseded_by=getattr(attestation, "corrected_by", None),
        corrects=attestation.corrects,
    )


def _item_url(finding: Finding, report: ProgressReport | None = None) -> str:
    """The public page of the finding's item, in its own report or in `report` (of the same
    organisation, e.g. the one that followed it up)."""
    report = report or finding.item.report
    period = report.period
    slug = finding.item.report.organisation.slug
    return reverse("public:item", args=[slug, period.framework.key, period.label, finding.item.node.node_id])


def _public_finding(finding: Finding) -> PublicFinding:
    """The finding as the public reads it; its follow-up only once the report holding it is published."""
    public = PublicFinding(finding, _item_url(finding))
    following = finding.followed_up_in
    if following is not None and following.status == ReportStatus.PUBLISHED and finding.follow_up:
        public.follow_up_period = following.period.label
        public.follow_up_url = _item_url(finding, following)
    return public


# --- the open data ------------------------------------------------------------------------------


@dataclass
class AttestedEngagement:
    """An engagement covering a period, with its current attestation and its public findings."""

    attestation: Attestation
    engagement: Engagement
    auditors: tuple[str, ...]
    organisation_slugs: list[str]
    findings: list[Finding]

    @property
    def by(self) -> str:
        return audited_by(self.auditors, self.engagement.firm)


def attested_engagements(period: ReportingPeriod) -> list[AttestedEngagement]:
    """The engagements covering `period` that have a current attestation, oldest attestation first,
    each with its findings on items of the period's published reports in its scope.

    A fixed number of queries: attestations, organisations, findings, auditors.
    """
    attestations = list(
        Attestation.objects.current()
        .filter(engagement__periods=period)
        .select_related("engagement")
        .prefetch_related("engagement__organisations")
        .order_by("attested_on", "signed_at", "pk")
    )
    if not attestations:
        return []
    engagement_ids = [a.engagement_id for a in attestations]
    findings: dict[int, list[Finding]] = {}
    for finding in (
        Finding.objects.filter(engagement_id__in=engagement_ids, item__report__period=period)
        .filter(_report_in_scope("item__report_id"))
        .filter(Exists(Publication.objects.filter(report_id=OuterRef("item__report_id"))))
        .select_related("item__node", "item__report__organisation")
        .order_by("item__report__organisation__slug", "item__node__position", "item__node__node_id")
    ):
        findings.setdefault(finding.engagement_id, []).append(finding)
    names = auditor_names(engagement_ids)
    return [
        AttestedEngagement(
            attestation=attestation,
            engagement=attestation.engagement,
            auditors=names.get(attestation.engagement_id, ()),
            organisation_slugs=sorted(o.slug for o in attestation.engagement.organisations.all()),
            findings=findings.get(attestation.engagement_id, []),
        )
        for attestation in attestations
    ]


# --- the audit report PDF -----------------------------------------------------------------------


@dataclass
class ReportEngagement:
    """An engagement whose scope holds a report, with its findings on the report's items and its
    current attestation (None: not yet attested). For the restricted audit report, not the public."""

    engagement: Engagement
    auditors: tuple[str, ...]
    findings: list[Finding]
    attestation: Attestation | None

    @property
    def by(self) -> str:
        return audited_by(self.auditors, self.engagement.firm)

    @property
    def opinion(self) -> Opinion | None:
        return Opinion(self.attestation.opinion) if self.attestation else None


def report_engagements(report: ProgressReport) -> list[ReportEngagement]:
    """The engagements covering the report's organisation and period, oldest first.

    A fixed number of queries: one when there is none, four otherwise.
    """
    engagements = list(
        Engagement.objects.filter(organisations=report.organisation_id, periods=report.period_id)
        .distinct()
        .order_by("starts_at", "pk")
    )
    if not engagements:
        return []
    ids = [e.pk for e in engagements]
    attestations = current_attestations(ids)
    findings: dict[int, list[Finding]] = {}
    for finding in (
        Finding.objects.filter(engagement_id__in=ids, item__report=report)
        .select_related("item__node", "recorded_by")
        .order_by("item__node__position", "pk")
    ):
        findings.setdefault(finding.engagement_id, []).append(finding)
    names = auditor_names(ids)
    return [
        ReportEngagement(
            engagement=engagement,
            auditors=names.get(engagement.pk, ()),
            findings=findings.get(engagement.pk, []),
            attestation=attestations.get(engagement.pk),
        )
        for engagement in engagements
    ]
