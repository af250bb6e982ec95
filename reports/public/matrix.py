"""The matrix, the site's start page: organisations × principles (or × the mitigations of one
principle) for one reporting period, with the period's headline figures."""

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from django.db.models import Exists, OuterRef
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from audits.selectors import PublicAudit, public_audits
from commitments.models import Commitment, Framework, FrameworkNode, Organisation, ReportingPeriod
from commitments.vocabulary import LEGEND, AssuranceLevel, status_label
from reports.models import Publication
from reports.public.frameworks import DEFAULT_FRAMEWORK, Group, framework_groups
from reports.public.headlines import (
    Headline,
    committed_organisations,
    headline_changes,
    headline_for,
    on_time,
    period_headline,
)
from reports.public.links import item_url, report_url
from reports.public.snapshots import current_publications, item_level, snapshot_items
from reports.public.summaries import Summary


@dataclass
class Column:
    key: str
    code: str
    title: str
    url: str = ""  # the drill-down, for principle columns


@dataclass
class Cell:
    level: AssuranceLevel
    text: str
    url: str = ""
    status: str = ""
    audit: PublicAudit | None = None  # an item's attested audit finding

    @property
    def reported(self) -> bool:
        return self.level != AssuranceLevel.NOT_REPORTED


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
    legend: list[AssuranceLevel] = field(default_factory=lambda: LEGEND)

    @property
    def due_passed(self) -> bool:
        return bool(self.period and self.period.due_on < timezone.localdate())

    @property
    def changes(self) -> list[dict[str, Any]]:
        """Headline figures against the previous period of the same framework, as sentences."""
        now, before = self.headline, self.previous_headline
        if now is None or before is None:
            return []
        return headline_changes(now, before)


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

    groups = framework_groups(FrameworkNode.objects.filter(framework=period.framework).order_by("position"))
    group = None
    if group_id:
        group = next((g for g in groups if g.node.node_id == group_id), None)
        if group is None:
            raise Http404("No such principle in this framework.")

    commitments = list(
        Commitment.objects.filter(framework__key=framework.key).select_related("organisation").order_by("pk")
    )
    organisations = committed_organisations(commitments, period)
    publications = current_publications(period)
    audits = public_audits(p.report_id for p in publications.values())
    matrix = Matrix(
        frameworks=frameworks,
        framework=period.framework,
        periods=periods,
        period=period,
        previous_period=previous_period,
        group=group,
        groups=groups,
        headline=period_headline(period, organisations, publications),
    )
    if previous_period is not None:
        matrix.previous_headline = headline_for(previous_period, commitments)
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
        row_audits = audits.get(publication.report_id, {}) if publication else {}
        row = MatrixRow(
            organisation=organisation,
            publication=publication,
            cells=[],
            summary=Summary.of(items.values(), row_audits),
            url=reverse("public:organisation", args=[organisation.slug]),
        )
        if publication is not None:
            row.on_time = on_time(publication, period)
            row.report_url = report_url(publication)
        else:
            row.summary.reported = False
        if group is None:
            for g, column in zip(groups, matrix.columns, strict=True):
                summary = Summary.of((items.get(n.node_id) for n in g.items), row_audits)
                summary.reported = publication is not None
                row.cells.append(Cell(level=summary.level, text=summary.text, url=column.url))
        else:
            for node in group.items:
                item = items.get(node.node_id)
                if item is None:
                    missing = AssuranceLevel.NOT_REPORTED
                    row.cells.append(Cell(level=missing, text=missing.label))
                    continue
                audit = row_audits.get(node.node_id)
                row.cells.append(
                    Cell(
                        level=item_level(item, audit),
                        text=status_label(item["status"]),
                        status=item["status"],
                        url=item_url(row.report_url, node.node_id),
                        audit=audit,
                    )
                )
        matrix.rows.append(row)
    return matrix
