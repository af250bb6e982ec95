"""One organisation's page: its commitments and, per framework, every period it reported on."""

from dataclasses import dataclass, field

from django.http import Http404
from django.utils import timezone

from audits.selectors import public_audits
from commitments.models import Commitment, Framework, Organisation, ReportingPeriod
from reports.models import Publication
from reports.public.frameworks import DEFAULT_FRAMEWORK, groups_by_framework
from reports.public.headlines import on_time
from reports.public.links import report_url
from reports.public.pdfs import PublicPdf, public_pdfs
from reports.public.report import GroupSummary, group_summaries
from reports.public.snapshots import snapshot, snapshot_items
from reports.public.summaries import Summary


@dataclass
class PeriodEntry:
    period: ReportingPeriod
    publication: Publication | None
    summary: Summary
    url: str = ""
    on_time: bool | None = None
    pdf: PublicPdf | None = None


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
    groups = groups_by_framework({p.framework_id for p in periods})
    signed = {c.framework.key: c for c in commitments}
    audits = public_audits(p.report_id for p in publications)

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
                    summary=Summary.of(snapshot(publication)["items"], audits.get(publication.report_id)),
                    url=report_url(publication),
                    on_time=on_time(publication, period),
                )
            )
        if not entries and commitment is None:
            continue
        latest = next((e for e in reversed(entries) if e.publication is not None), None)
        framework = latest.period.framework if latest else commitment.framework
        timeline = Timeline(framework=framework, commitment=commitment, entries=entries, latest=latest)
        if latest is not None:
            timeline.latest_groups = group_summaries(
                groups.get(latest.period.framework_id, []),
                snapshot_items(latest.publication),
                latest.url,
                audits.get(latest.publication.report_id),
            )
        timelines.append(timeline)
    pdfs = public_pdfs(e.publication for t in timelines for e in t.entries if e.publication is not None)
    for timeline in timelines:
        for entry in timeline.entries:
            entry.pdf = pdfs.get(entry.publication.pk) if entry.publication else None
    return OrganisationPage(organisation=organisation, commitments=commitments, timelines=timelines)
