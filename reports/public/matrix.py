"""Reads for the public transparency site.

Everything here reads Publication snapshots, never the live rows of a report: what the public
sees is exactly what was published, and nothing of a report that is not. The only live data
read are public facts (frameworks, organisations, commitments, periods) and, for published
reports only, when they were first submitted.

Every function runs a fixed number of queries whatever the number of organisations or items.
"""

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from django.db.models import Exists, OuterRef, Prefetch
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from commitments.models import (
    Commitment,
    Framework,
    FrameworkNode,
    ImplementationStatus,
    MetricDefinition,
    Organisation,
    ReportingPeriod,
    Verdict,
)
from reports.models import Publication

DEFAULT_FRAMEWORK = "sbd"


# --- assurance levels ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Level:
    key: str
    label: str
    icon: str
    definition: str


NOT_REPORTED = Level(
    "not_reported",
    "Not reported",
    "○",
    "No published report for this period. The organisation may not have reported, or its report "
    "may still be under review: nothing unpublished is shown here.",
)
SELF_REPORTED = Level(
    "self_reported",
    "Self-reported",
    "✎",
    "The organisation's own claim, published after review, but the reviewer did not record the "
    "verdict “verified” for it (the verdict shown on the item page says why).",
)
PARTLY_VERIFIED = Level(
    "partly_verified",
    "Partly verified",
    "◑",
    "For a principle: some of its mitigations are reviewer-verified, the others only self-reported.",
)
REVIEWER_VERIFIED = Level(
    "reviewer_verified",
    "Reviewer-verified",
    "✓",
    "A program reviewer examined the evidence and recorded the verdict “verified”, with a "
    "justification shown on the item page.",
)
INDEPENDENTLY_AUDITED = Level(
    "independently_audited",
    "Independently audited",
    "★",
    "An independent auditor, engaged for this organisation and period, attested the claim. "
    "No audit has been completed yet, so no item carries this level.",
)
ITEM_LEVELS = [NOT_REPORTED, SELF_REPORTED, REVIEWER_VERIFIED, INDEPENDENTLY_AUDITED]
LEGEND = [NOT_REPORTED, SELF_REPORTED, PARTLY_VERIFIED, REVIEWER_VERIFIED, INDEPENDENTLY_AUDITED]

STATUS_DEFINITIONS = {
    ImplementationStatus.NOT_STARTED: "Nothing has been done yet.",
    ImplementationStatus.PLANNED: "Work is planned, with no part in place yet.",
    ImplementationStatus.IN_PROGRESS: "Part of the mitigation is in place; the narrative says what.",
    ImplementationStatus.IMPLEMENTED: "In place; at least one piece of evidence had to be attached.",
    ImplementationStatus.NOT_APPLICABLE: "Does not apply to this organisation's products; the "
    "narrative must say why.",
}


def status_label(status: str) -> str:
    return ImplementationStatus(status).label if status in ImplementationStatus.values else "No answer"


def verdict_label(verdict: str | None) -> str:
    return Verdict(verdict).label if verdict in Verdict.values else "No verdict"


def item_level(item: dict[str, Any] | None) -> Level:
    if item is None:
        return NOT_REPORTED
    return REVIEWER_VERIFIED if item.get("verdict") == Verdict.VERIFIED else SELF_REPORTED


# --- snapshots ----------------------------------------------------------------------------------


def snapshot(publication: Publication) -> dict[str, Any]:
    """The published JSON, parsed once per publication object."""
    cached = publication.__dict__.get("_parsed_snapshot")
    if cached is None:
        cached = json.loads(publication.snapshot)
        publication.__dict__["_parsed_snapshot"] = cached
    return cached


def snapshot_items(publication: Publication) -> dict[str, dict[str, Any]]:
    return {item["node"]: item for item in snapshot(publication)["items"]}


def report_url(publication: Publication, *, versioned: bool = False) -> str:
    data = snapshot(publication)
    args = [data["organisation"]["slug"], data["framework"]["key"], data["period"]["label"]]
    if versioned:
        return reverse("public:report_version", args=[*args, publication.version])
    return reverse("public:report", args=args)


def item_url(base_report_url: str, node_id: str) -> str:
    # Built by hand from the report's URL: reverse() per cell is the slow part of a large matrix.
    return f"{base_report_url}{quote(node_id, safe='')}/"


# --- framework trees ----------------------------------------------------------------------------


@dataclass
class Group:
    """A node one level above the reportable items (a principle in Safety by Design)."""

    node: FrameworkNode
    ancestors: list[FrameworkNode]
    items: list[FrameworkNode] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.node.code}. {self.node.title}" if self.node.code else self.node.title


def _groups(nodes: Iterable[FrameworkNode]) -> list[Group]:
    """Nodes of one framework, in position order → the groups of reportable items."""
    by_pk = {}
    groups: dict[int, Group] = {}
    for node in sorted(nodes, key=lambda n: n.position):
        by_pk[node.pk] = node
        if not node.reportable:
            continue
        parent = by_pk.get(node.parent_id) if node.parent_id else None
        if parent is None:
            # A reportable node at the top: it is its own group.
            groups.setdefault(node.pk, Group(node=node, ancestors=[])).items.append(node)
            continue
        if parent.pk not in groups:
            ancestors = []
            up = by_pk.get(parent.parent_id) if parent.parent_id else None
            while up is not None:
                ancestors.insert(0, up)
                up = by_pk.get(up.parent_id) if up.parent_id else None
            groups[parent.pk] = Group(node=parent, ancestors=ancestors)
        groups[parent.pk].items.append(node)
    return list(groups.values())


def _groups_by_framework(framework_ids: Iterable[int]) -> dict[int, list[Group]]:
    nodes: dict[int, list[FrameworkNode]] = defaultdict(list)
    for node in FrameworkNode.objects.filter(framework_id__in=set(framework_ids)).order_by("position"):
        nodes[node.framework_id].append(node)
    return {framework_id: _groups(found) for framework_id, found in nodes.items()}


# --- summaries ----------------------------------------------------------------------------------


@dataclass
class Summary:
    """Counts over a set of published items (a principle, a report, a whole period)."""

    total: int = 0
    implemented: int = 0
    not_applicable: int = 0
    verified: int = 0
    reported: bool = True

    @classmethod
    def of(cls, items: Iterable[dict[str, Any] | None]) -> "Summary":
        summary = cls()
        for item in items:
            if item is None:
                continue
            summary.total += 1
            summary.implemented += item["status"] == ImplementationStatus.IMPLEMENTED
            summary.not_applicable += item["status"] == ImplementationStatus.NOT_APPLICABLE
            summary.verified += item.get("verdict") == Verdict.VERIFIED
        return summary

    def add(self, other: "Summary") -> None:
        self.total += other.total
        self.implemented += other.implemented
        self.not_applicable += other.not_applicable
        self.verified += other.verified

    @property
    def applicable(self) -> int:
        return self.total - self.not_applicable

    @property
    def self_reported_only(self) -> int:
        return self.total - self.verified

    @property
    def implemented_pct(self) -> int:
        return round(100 * self.implemented / self.applicable) if self.applicable else 0

    @property
    def verified_pct(self) -> int:
        return round(100 * self.verified / self.total) if self.total else 0

    @property
    def level(self) -> Level:
        if not self.reported or not self.total:
            return NOT_REPORTED
        if self.verified == self.total:
            return REVIEWER_VERIFIED
        return PARTLY_VERIFIED if self.verified else SELF_REPORTED

    @property
    def text(self) -> str:
        if not self.reported or not self.total:
            return NOT_REPORTED.label
        if not self.applicable:
            return f"Not applicable · {self.verified} verified"
        text = f"{self.implemented}/{self.applicable} implemented · {self.verified} verified"
        return f"{text} · {self.not_applicable} n/a" if self.not_applicable else text


# --- the matrix ---------------------------------------------------------------------------------


@dataclass
class Column:
    key: str
    code: str
    title: str
    url: str = ""  # the drill-down, for principle columns


@dataclass
class Cell:
    level: Level
    text: str
    url: str = ""
    status: str = ""


@dataclass
class MatrixRow:
    organisation: Organisation
    publication: Publication | None
    cells: list[Cell]
    summary: Summary
    on_time: bool | None = None
    url: str = ""
    report_url: str = ""


@dataclass
class Headline:
    committed: int
    reported: int
    on_time: int
    due_passed: bool
    items: Summary

    @property
    def not_reported(self) -> int:
        return self.committed - self.reported


@dataclass
class Change:
    label: str
    before: str
    after: str

    @property
    def direction(self) -> str:
        return "up" if self.after > self.before else ("down" if self.after < self.before else "same")


@dataclass
class Matrix:
    frameworks: list[Framework]
    framework: Framework | None
    periods: list[ReportingPeriod]
    period: ReportingPeriod | None
    previous_period: ReportingPeriod | None = None
    group: Group | None = None
    groups: list[Group] = field(default_factory=list)
    columns: list[Column] = field(default_factory=list)
    rows: list[MatrixRow] = field(default_factory=list)
    headline: Headline | None = None
    previous_headline: Headline | None = None
    legend: list[Level] = field(default_factory=lambda: LEGEND)

    @property
    def due_passed(self) -> bool:
        return bool(self.period and self.period.due_on < timezone.localdate())

    @property
    def changes(self) -> list[dict[str, Any]]:
        """Headline figures against the previous period of the same framework, as sentences."""
        now, before = self.headline, self.previous_headline
        if now is None or before is None:
            return []
        return [
            _delta("Organisations with a published report", now.reported, before.reported, ""),
            _delta("Items reviewer-verified", now.items.verified_pct, before.items.verified_pct, " pts"),
            _delta(
                "Applicable items implemented",
                now.items.implemented_pct,
                before.items.implemented_pct,
                " pts",
            ),
        ]


def _delta(label: str, now: int, before: int, unit: str) -> dict[str, Any]:
    diff = now - before
    if diff > 0:
        return {"label": label, "text": f"up {diff}{unit}", "icon": "▲", "direction": "up"}
    if diff < 0:
        return {"label": label, "text": f"down {-diff}{unit}", "icon": "▼", "direction": "down"}
    return {"label": label, "text": "no change", "icon": "=", "direction": "same"}


def _framework_choices() -> list[Framework]:
    """One framework per key that has reporting periods, its latest version standing for the key."""
    chosen: dict[str, Framework] = {}
    for framework in Framework.objects.filter(periods__isnull=False).distinct().order_by("key", "version"):
        chosen[framework.key] = framework
    return sorted(chosen.values(), key=lambda f: (f.key != DEFAULT_FRAMEWORK, f.short_title or f.title))


def _periods(framework_key: str) -> list[ReportingPeriod]:
    published = Publication.objects.filter(report__period=OuterRef("pk"))
    return list(
        ReportingPeriod.objects.filter(framework__key=framework_key)
        .select_related("framework")
        .annotate(has_publications=Exists(published))
        .order_by("-starts_on", "-due_on", "-pk")
    )


def _current_publications(period: ReportingPeriod) -> dict[int, Publication]:
    """Organisation id → the current publication of its report for the period."""
    publications = Publication.objects.current().filter(report__period=period).select_related("report")
    return {p.report.organisation_id: p for p in publications}


def _on_time(publication: Publication, period: ReportingPeriod) -> bool:
    first = publication.report.first_submitted_at
    return bool(first and timezone.localdate(first) <= period.due_on)


def _headline(
    period: ReportingPeriod, organisations: list[Organisation], publications: dict[int, Publication]
) -> Headline:
    items = Summary()
    for publication in publications.values():
        items.add(Summary.of(snapshot(publication)["items"]))
    committed_ids = {o.pk for o in organisations}
    return Headline(
        committed=len(organisations),
        reported=sum(1 for org_id in publications if org_id in committed_ids),
        on_time=sum(
            1 for org_id, p in publications.items() if org_id in committed_ids and _on_time(p, period)
        ),
        due_passed=period.due_on < timezone.localdate(),
        items=items,
    )


def _committed(commitments: list[Commitment], period: ReportingPeriod) -> list[Organisation]:
    """Organisations that had signed the framework by the end of the period, by name."""
    found: dict[int, Organisation] = {}
    for commitment in commitments:
        if commitment.signed_on <= period.ends_on:
            found.setdefault(commitment.organisation_id, commitment.organisation)
    return sorted(found.values(), key=lambda o: o.name.casefold())


def public_matrix(*, framework_key: str = "", period_label: str = "", group_id: str = "") -> Matrix:
    """Organisations × principles (or × the mitigations of one principle) for one period.

    Raises Http404 for a framework, period or principle that does not exist.
    """
    frameworks = _framework_choices()
    if not frameworks:
        return Matrix(
            frameworks=list(Framework.objects.order_by("key", "version")),
            framework=None,
            periods=[],
            period=None,
        )
    by_key = {f.key: f for f in frameworks}
    if framework_key and framework_key not in by_key:
        raise Http404("No such framework.")
    framework = by_key[framework_key or frameworks[0].key]
    periods = _periods(framework.key)
    if period_label:
        period = next((p for p in periods if p.label == period_label), None)
        if period is None:
            raise Http404("No such reporting period.")
    else:
        period = next((p for p in periods if p.has_publications), periods[0])
    older = [p for p in periods if p.starts_on < period.starts_on]
    previous_period = older[0] if older else None

    groups = _groups(FrameworkNode.objects.filter(framework=period.framework).order_by("position"))
    group = None
    if group_id:
        group = next((g for g in groups if g.node.node_id == group_id), None)
        if group is None:
            raise Http404("No such principle in this framework.")

    commitments = list(
        Commitment.objects.filter(framework__key=framework.key).select_related("organisation").order_by("pk")
    )
    organisations = _committed(commitments, period)
    publications = _current_publications(period)
    matrix = Matrix(
        frameworks=frameworks,
        framework=period.framework,
        periods=periods,
        period=period,
        previous_period=previous_period,
        group=group,
        groups=groups,
        headline=_headline(period, organisations, publications),
    )
    if previous_period is not None:
        matrix.previous_headline = _headline(
            previous_period, _committed(commitments, previous_period), _current_publications(previous_period)
        )
    # A published report of an organisation that signed later still shows (it was published).
    known = {o.pk for o in organisations}
    extra_ids = [org_id for org_id in publications if org_id not in known]
    if extra_ids:
        organisations += list(Organisation.objects.filter(pk__in=extra_ids))

    base = reverse("home")
    if group is None:
        matrix.columns = [
            Column(
                key=g.node.node_id,
                code=g.node.code or str(i),
                title=g.node.title,
                url=f"{base}?framework={quote(framework.key)}&period={quote(period.label)}"
                f"&principle={quote(g.node.node_id)}",
            )
            for i, g in enumerate(groups, start=1)
        ]
    else:
        matrix.columns = [Column(key=n.node_id, code=n.code, title=n.title) for n in group.items]

    for organisation in organisations:
        publication = publications.get(organisation.pk)
        items = snapshot_items(publication) if publication else {}
        row = MatrixRow(
            organisation=organisation,
            publication=publication,
            cells=[],
            summary=Summary.of(items.values()),
            url=reverse("public:organisation", args=[organisation.slug]),
        )
        if publication is not None:
            row.on_time = _on_time(publication, period)
            row.report_url = report_url(publication)
        else:
            row.summary.reported = False
        if group is None:
            for g, column in zip(groups, matrix.columns, strict=True):
                summary = Summary.of(items.get(n.node_id) for n in g.items)
                summary.reported = publication is not None
                row.cells.append(Cell(level=summary.level, text=summary.text, url=column.url))
        else:
            for node in group.items:
                item = items.get(node.node_id)
                if item is None:
                    row.cells.append(Cell(level=NOT_REPORTED, text=NOT_REPORTED.label))
                    continue
                row.cells.append(
                    Cell(
                        level=item_level(item),
                        text=status_label(item["status"]),
                        status=item["status"],
                        url=item_url(row.report_url, node.node_id),
                    )
                )
        matrix.rows.append(row)
    return matrix


# --- one organisation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicPdf:
    document_id: str
    sha256: str
    size_bytes: int
    url: str


def public_pdfs(publications: Iterable[Publication]) -> dict[int, PublicPdf]:
    """The newest ready signed PDF of each publication, by publication id (one query)."""
    from reports.models import ArtifactKind, ReportArtifact

    found = {}
    artifacts = (
        ReportArtifact.objects.public()
        .filter(kind=ArtifactKind.PUBLIC, publication__in=[p.pk for p in publications])
        .select_related("report__period")
        .order_by("version")
    )
    for artifact in artifacts:
        found[artifact.publication_id] = PublicPdf(
            document_id=artifact.document_id,
            sha256=artifact.sha256,
            size_bytes=artifact.size_bytes,
            url=reverse("verify:document", args=[artifact.document_id]),
        )
    return found


@dataclass
class PeriodEntry:
    period: ReportingPeriod
    publication: Publication | None
    summary: Summary
    url: str = ""
    on_time: bool | None = None
    pdf: PublicPdf | None = None


@dataclass
class ItemRow:
    node: FrameworkNode
    item: dict[str, Any] | None
    url: str

    @property
    def level(self) -> Level:
        return item_level(self.item)

    @property
    def status(self) -> str:
        return self.item["status"] if self.item else ""

    @property
    def status_label(self) -> str:
        return status_label(self.status) if self.item else NOT_REPORTED.label


@dataclass
class GroupSummary:
    group: Group
    summary: Summary
    items: list[ItemRow]


@dataclass
class Timeline:
    """One framework (by key) as one organisation reported on it, oldest period first."""

    framework: Framework
    commitment: Commitment | None
    entries: list[PeriodEntry]
    latest: PeriodEntry | None = None
    latest_groups: list[GroupSummary] = field(default_factory=list)

    @property
    def published_entries(self) -> list[PeriodEntry]:
        return [e for e in self.entries if e.publication is not None]


@dataclass
class OrganisationPage:
    organisation: Organisation
    commitments: list[Commitment]
    timelines: list[Timeline]


def public_organisation(slug: str) -> OrganisationPage:
    organisation = Organisation.objects.filter(slug=slug).first()
    if organisation is None:
        raise Http404("No such organisation.")
    commitments = list(
        Commitment.objects.filter(organisation=organisation).select_related("framework").order_by("signed_on")
    )
    publications = list(
        Publication.objects.current()
        .filter(report__organisation=organisation)
        .select_related("report__period__framework")
    )
    if not commitments and not publications:
        raise Http404("No such organisation.")
    keys = {c.framework.key for c in commitments} | {p.report.period.framework.key for p in publications}
    today = timezone.localdate()
    by_period = {p.report.period_id: p for p in publications}
    periods = list(
        ReportingPeriod.objects.filter(framework__key__in=keys)
        .select_related("framework")
        .order_by("starts_on", "due_on", "pk")
    )
    groups = _groups_by_framework({p.framework_id for p in periods})
    signed = {c.framework.key: c for c in commitments}

    timelines = []
    for key in sorted(keys, key=lambda k: (k != DEFAULT_FRAMEWORK, k)):
        commitment = signed.get(key)
        entries = []
        for period in (p for p in periods if p.framework.key == key):
            publication = by_period.get(period.pk)
            if publication is None:
                # Listed only when it was due and the organisation had signed by the period's end.
                if not (commitment and commitment.signed_on <= period.ends_on and period.due_on < today):
                    continue
                entries.append(PeriodEntry(period=period, publication=None, summary=Summary(reported=False)))
                continue
            entries.append(
                PeriodEntry(
                    period=period,
                    publication=publication,
                    summary=Summary.of(snapshot(publication)["items"]),
                    url=report_url(publication),
                    on_time=_on_time(publication, period),
                )
            )
        if not entries and commitment is None:
            continue
        latest = next((e for e in reversed(entries) if e.publication is not None), None)
        framework = latest.period.framework if latest else commitment.framework
        timeline = Timeline(framework=framework, commitment=commitment, entries=entries, latest=latest)
        if latest is not None:
            items = snapshot_items(latest.publication)
            for group in groups.get(latest.period.framework_id, []):
                found = [items.get(n.node_id) for n in group.items]
                timeline.latest_groups.append(
                    GroupSummary(
                        group=group,
                        summary=Summary.of(found),
                        items=[
                            ItemRow(node, item, item_url(latest.url, node.node_id))
                            for node, item in zip(group.items, found, strict=True)
                        ],
                    )
                )
        timelines.append(timeline)
    pdfs = public_pdfs(e.publication for t in timelines for e in t.entries if e.publication is not None)
    for timeline in timelines:
        for entry in timeline.entries:
            entry.pdf = pdfs.get(entry.publication.pk) if entry.publication else None
    return OrganisationPage(organisation=organisation, commitments=commitments, timelines=timelines)


# --- one published report and one item ----------------------------------------------------------


def publication_get(
    *, slug: str, framework_key: str, period_label: str, version: int | None = None
) -> Publication:
    """The current (or the given) version of an organisation's published report, or 404."""
    publications = Publication.objects.filter(
        report__organisation__slug=slug,
        report__period__framework__key=framework_key,
        report__period__label=period_label,
    ).select_related("report__organisation", "report__period__framework")
    publications = publications.filter(version=version) if version is not None else publications.current()
    publication = publications.order_by("-report__period__framework__version").first()
    if publication is None:
        raise Http404("No published report for this organisation and period.")
    return publication


def public_evidence_file(
    *, slug: str, framework_key: str, period_label: str, evidence_id: int
) -> dict[str, Any]:
    """A public file's entry as a published snapshot (current or superseded) lists it, or 404.

    Read from the snapshots, never from the live evidence rows: a file is public only if a
    version of the report that was published says so. Restricted files, links and files of
    unpublished reports are a 404 like unknown ids, so a miss says nothing about what exists.
    """
    publications = Publication.objects.filter(
        report__organisation__slug=slug,
        report__period__framework__key=framework_key,
        report__period__label=period_label,
    ).order_by("-version")
    for publication in publications:
        for item in snapshot(publication)["items"]:
            for entry in item["evidence"]:
                if (
                    entry["id"] == evidence_id
                    and entry["visibility"] == "public"
                    and entry["kind"] == "file"
                    and entry["sha256"]
                ):
                    return entry
    raise Http404("No such public file.")


def _versions(publication: Publication) -> list[Publication]:
    return list(Publication.objects.filter(report_id=publication.report_id).order_by("version"))


@dataclass
class ReportPage:
    publication: Publication
    data: dict[str, Any]
    versions: list[Publication]
    groups: list[GroupSummary]
    summary: Summary
    is_current: bool
    url: str
    current_url: str
    pdf: PublicPdf | None = None


def public_report(
    *, slug: str, framework_key: str, period_label: str, version: int | None = None
) -> ReportPage:
    publication = publication_get(
        slug=slug, framework_key=framework_key, period_label=period_label, version=version
    )
    versions = _versions(publication)
    data = snapshot(publication)
    items = snapshot_items(publication)
    is_current = publication.pk == versions[-1].pk
    url = report_url(publication, versioned=not is_current)
    groups = []
    for group in _groups(FrameworkNode.objects.filter(framework=publication.report.period.framework)):
        found = [items.get(n.node_id) for n in group.items]
        groups.append(
            GroupSummary(
                group=group,
                summary=Summary.of(found),
                items=[
                    ItemRow(n, i, item_url(url, n.node_id)) for n, i in zip(group.items, found, strict=True)
                ],
            )
        )
    return ReportPage(
        publication=publication,
        data=data,
        versions=versions,
        groups=groups,
        summary=Summary.of(data["items"]),
        is_current=is_current,
        url=url,
        current_url=report_url(publication),
        pdf=public_pdfs([publication]).get(publication.pk),
    )


@dataclass
class ItemPage:
    publication: Publication
    data: dict[str, Any]
    item: dict[str, Any]
    node: FrameworkNode
    ancestors: list[FrameworkNode]
    metric_definitions: dict[str, MetricDefinition]
    versions: list[Publication]
    is_current: bool
    report_url: str
    previous: Publication | None = None
    previous_item: dict[str, Any] | None = None
    previous_url: str = ""
    changes: list[Change] = field(default_factory=list)

    @property
    def level(self) -> Level:
        return item_level(self.item)

    @property
    def public_evidence(self) -> list[dict[str, Any]]:
        return [e for e in self.item["evidence"] if e["visibility"] == "public"]

    @property
    def restricted_evidence(self) -> list[dict[str, Any]]:
        return [e for e in self.item["evidence"] if e["visibility"] != "public"]


def public_item(
    *, slug: str, framework_key: str, period_label: str, node_id: str, version: int | None = None
) -> ItemPage:
    publication = publication_get(
        slug=slug, framework_key=framework_key, period_label=period_label, version=version
    )
    item = snapshot_items(publication).get(node_id)
    if item is None:
        raise Http404("This report has no such item.")
    period = publication.report.period
    nodes = {
        n.pk: n
        for n in FrameworkNode.objects.filter(framework=period.framework).prefetch_related(
            Prefetch("metrics", queryset=MetricDefinition.objects.order_by("position"))
        )
    }
    node = next(n for n in nodes.values() if n.node_id == node_id)
    ancestors = []
    up = nodes.get(node.parent_id)
    while up is not None:
        ancestors.insert(0, up)
        up = nodes.get(up.parent_id)
    versions = _versions(publication)
    is_current = publication.pk == versions[-1].pk
    page = ItemPage(
        publication=publication,
        data=snapshot(publication),
        item=item,
        node=node,
        ancestors=ancestors,
        metric_definitions={m.key: m for m in node.metrics.all()},
        versions=versions,
        is_current=is_current,
        report_url=report_url(publication, versioned=not is_current),
    )
    previous = (
        Publication.objects.current()
        .filter(
            report__organisation_id=publication.report.organisation_id,
            report__period__framework__key=framework_key,
            report__period__starts_on__lt=period.starts_on,
        )
        .select_related("report__period")
        .order_by("-report__period__starts_on")
        .first()
    )
    if previous is not None:
        page.previous = previous
        page.previous_item = snapshot_items(previous).get(node_id)
        if page.previous_item is not None:
            page.previous_url = item_url(report_url(previous), node_id)
        page.changes = item_changes(page.previous_item, item)
    return page


# --- differences --------------------------------------------------------------------------------


def _metric_text(metric: dict[str, Any] | None) -> str:
    if metric is None:
        return "—"
    value = metric["value"] if metric["value"] is not None else "no value"
    value = value.rstrip("0").rstrip(".") if isinstance(value, str) and "." in value else value
    return f"{value} {metric['unit']}".strip()


def item_changes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[Change]:
    """What differs between two published versions of one item, as short labelled texts."""
    if before is None and after is None:
        return []
    if before is None:
        return [Change("Item", "not in the earlier report", "added")]
    if after is None:
        return [Change("Item", "present", "no longer in the report")]
    changes = []
    if before["status"] != after["status"]:
        changes.append(Change("Status", status_label(before["status"]), status_label(after["status"])))
    if before["narrative"] != after["narrative"]:
        changes.append(Change("Narrative", "earlier text", "rewritten"))
    if before.get("areas_needing_progress") != after.get("areas_needing_progress"):
        changes.append(Change("Areas needing progress", "earlier text", "rewritten"))
    old_metrics = {m["key"]: m for m in before["metrics"]}
    new_metrics = {m["key"]: m for m in after["metrics"]}
    for key in sorted(old_metrics.keys() | new_metrics.keys()):
        old, new = old_metrics.get(key), new_metrics.get(key)
        name = (new or old)["name"]
        if _metric_text(old) != _metric_text(new):
            changes.append(Change(name, _metric_text(old), _metric_text(new)))
        elif old and new and old["data_source"] != new["data_source"]:
            changes.append(
                Change(f"{name}: data source", old["data_source"] or "—", new["data_source"] or "—")
            )
    if before.get("verdict") != after.get("verdict"):
        changes.append(
            Change(
                "Reviewer's verdict",
                verdict_label(before.get("verdict")),
                verdict_label(after.get("verdict")),
            )
        )
    elif before.get("verdict_justification") != after.get("verdict_justification"):
        changes.append(Change("Verdict justification", "earlier text", "rewritten"))
    if before.get("company_responses") != after.get("company_responses"):
        changes.append(Change("Company response", "earlier text", "changed"))
    old_evidence = {e["sha256"] or e["url"] or str(e["id"]) for e in before["evidence"]}
    new_evidence = {e["sha256"] or e["url"] or str(e["id"]) for e in after["evidence"]}
    if old_evidence != new_evidence:
        changes.append(
            Change(
                "Evidence",
                f"{len(old_evidence)} item(s)",
                f"{len(new_evidence - old_evidence)} added, {len(old_evidence - new_evidence)} removed",
            )
        )
    return changes


@dataclass
class CorrectionEntry:
    publication: Publication
    previous: Publication
    data: dict[str, Any]
    url: str
    previous_url: str
    changed_items: list[tuple[str, str, list[Change]]]


def public_corrections() -> list[CorrectionEntry]:
    """Every correction, newest first, with the items whose published content changed."""
    publications = (
        Publication.objects.filter(supersedes__isnull=False)
        .select_related("supersedes", "superseded_by")
        .order_by("-published_at", "-pk")
    )
    entries = []
    for publication in publications:
        previous = publication.supersedes
        old_items, new_items = snapshot_items(previous), snapshot_items(publication)
        changed = []
        for node_id in [*new_items, *(k for k in old_items if k not in new_items)]:
            changes = item_changes(old_items.get(node_id), new_items.get(node_id))
            if changes:
                title = (new_items.get(node_id) or old_items[node_id])["title"]
                changed.append((node_id, title, changes))
        is_current = not hasattr(publication, "superseded_by")
        entries.append(
            CorrectionEntry(
                publication=publication,
                previous=previous,
                data=snapshot(publication),
                url=report_url(publication, versioned=not is_current),
                previous_url=report_url(previous, versioned=True),
                changed_items=changed,
            )
        )
    return entries


# --- methodology --------------------------------------------------------------------------------


@dataclass
class FrameworkDefinition:
    framework: Framework
    nodes: list[FrameworkNode]
    item_count: int
    periods: list[ReportingPeriod]


def public_methodology() -> list[FrameworkDefinition]:
    frameworks = list(Framework.objects.order_by("key", "-version"))
    nodes: dict[int, list[FrameworkNode]] = defaultdict(list)
    for node in FrameworkNode.objects.prefetch_related(
        Prefetch("metrics", queryset=MetricDefinition.objects.order_by("position"))
    ).order_by("framework_id", "position"):
        nodes[node.framework_id].append(node)
    periods: dict[int, list[ReportingPeriod]] = defaultdict(list)
    for period in ReportingPeriod.objects.order_by("starts_on"):
        periods[period.framework_id].append(period)
    return [
        FrameworkDefinition(
            framework=f,
            nodes=nodes[f.pk],
            item_count=sum(1 for n in nodes[f.pk] if n.reportable),
            periods=periods[f.pk],
        )
        for f in frameworks
    ]
