"""A large, fictional, published data set for the public pages at scale (issue 4, item 8).

Every report is written through the same services a user's actions go through (report_create,
item_update, evidence_add, then report_walk's report_submit, report_review_start,
item_verdict_record, report_verify, report_publish), so the data passes the same rules and
leaves the same ledger as real use. Organisations ("Scale Test Org 001", ...) and people are
invented; the people get unusable passwords, as nobody is meant to sign in as them.

Deterministic: what an organisation reports for a period depends only on the seed, its number
and the period, so a rerun, or a run with more organisations, gives the same reports. Resumable:
each report is built and published in one transaction, and reports that already exist are
skipped, so a rerun after an interruption finishes the job and a second full run changes nothing.
"""

import datetime
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from accounts.models import User
from commitments.models import (
    Commitment,
    Framework,
    ImplementationStatus,
    Membership,
    Organisation,
    ProgressReport,
    ReportingPeriod,
    ReportStatus,
)
from commitments.services.reports import MetricInput, report_create
from demo.content import example_item_fill, example_verdict
from demo.walk import People, report_walk
from reports.opendata.services import opendata_rebuild

SCALE_DOMAIN = "scale.pledgeproof.test"
SCALE_ORG_PREFIX = "Scale Test Org"
SCALE_REVIEWER = f"reviewer@{SCALE_DOMAIN}"
SCALE_ADMIN = f"admin@{SCALE_DOMAIN}"
# seed_demo's periods are 2024 to 2026; these are the years before them, the last one first.
LAST_YEAR = 2023
MAX_PERIODS = 20
# Every this-many-th organisation leaves its latest period unreported, so the matrix has
# organisations that were due and did not report, as real programmes do.
SILENT_EVERY = 25
DEFAULT_SEED = 2026

Progress = Callable[[int, int], None]


@dataclass
class ScaleSeedResult:
    framework: str
    periods: list[str]
    organisations: int
    reports_created: int = 0
    reports_skipped: int = 0
    not_reported: list[tuple[str, str]] = field(default_factory=list)


def scale_periods(framework: Framework, count: int) -> list[ReportingPeriod]:
    """Yearly periods ending in LAST_YEAR, oldest first, created when missing."""
    if not 1 <= count <= MAX_PERIODS:
        raise ValueError(f"periods must be between 1 and {MAX_PERIODS}; got {count}.")
    periods = []
    for year in range(LAST_YEAR - count + 1, LAST_YEAR + 1):
        period, _ = ReportingPeriod.objects.get_or_create(
            framework=framework,
            label=str(year),
            defaults={
                "starts_on": datetime.date(year, 1, 1),
                "ends_on": datetime.date(year, 12, 31),
                "due_on": datetime.date(year + 1, 3, 31),
            },
        )
        periods.append(period)
    return periods


def scale_seed(
    *, organisations: int, periods: int, seed: int = DEFAULT_SEED, progress: Progress | None = None
) -> ScaleSeedResult:
    """Create (or complete) `organisations` organisations with published reports for `periods` years."""
    if organisations < 1:
        raise ValueError(f"organisations must be at least 1; got {organisations}.")
    framework = Framework.objects.filter(key="sbd").order_by("-loaded_at").first()
    if framework is None:
        raise RuntimeError("Load the frameworks first: python manage.py load_frameworks")

    with transaction.atomic():
        reviewer = _person(SCALE_REVIEWER, "Scale reviewer", platform_role=User.PlatformRole.REVIEWER)
        admin = _person(SCALE_ADMIN, "Scale program admin", platform_role=User.PlatformRole.PROGRAM_ADMIN)
        years = scale_periods(framework, periods)
        orgs = [
            _organisation(number, framework, first_year=int(years[0].label))
            for number in range(1, organisations + 1)
        ]

    result = ScaleSeedResult(
        framework=framework.key, periods=[p.label for p in years], organisations=organisations
    )
    existing = set(
        ProgressReport.objects.filter(organisation__in=[o for o, _ in orgs], period__in=years).values_list(
            "organisation_id", "period_id"
        )
    )
    total = organisations * len(years)
    done = 0
    for number, (organisation, officer) in enumerate(orgs, start=1):
        for index, period in enumerate(years):
            done += 1
            if number % SILENT_EVERY == 0 and index == len(years) - 1:
                result.not_reported.append((organisation.name, period.label))
            elif (organisation.pk, period.pk) in existing:
                result.reports_skipped += 1
            else:
                _published_report(
                    organisation, period, number=number, index=index, seed=seed,
                    officer=officer, reviewer=reviewer, admin=admin,
                )  # fmt: skip
                result.reports_created += 1
            if progress is not None:
                progress(done, total)
    for period in years:
        opendata_rebuild(period.pk)
    return result


def _person(email: str, full_name: str, **extra) -> User:
    user = User.objects.filter(email=email).first()
    return user or User.objects.create_user(email=email, password=None, full_name=full_name, **extra)


def _organisation(number: int, framework: Framework, *, first_year: int) -> tuple[Organisation, User]:
    name = f"{SCALE_ORG_PREFIX} {number:03d}"
    slug = f"scale-test-org-{number:03d}"
    organisation, _ = Organisation.objects.get_or_create(
        slug=slug,
        defaults={
            "name": name,
            "website": f"https://{slug}.example",
            "description": f"{name} is a fictional organisation generated to test Pledgeproof at scale.",
        },
    )
    Commitment.objects.get_or_create(
        organisation=organisation,
        framework=framework,
        defaults={
            "signed_on": datetime.date(first_year, 1, 15),
            "signatory": f"Chief Executive, {name}",
            "statement_url": f"https://{slug}.example/safety-by-design",
        },
    )
    officer = _person(f"officer@{slug}.{SCALE_DOMAIN}", f"{name} compliance officer")
    Membership.objects.get_or_create(
        user=officer, organisation=organisation, defaults={"role": Membership.Role.OFFICER}
    )
    return organisation, officer


def _statuses(count: int, *, number: int, index: int, seed: int) -> list[str]:
    """Plausible answers: each organisation has its own maturity and improves period by period."""
    org_rng = random.Random(f"{seed}:org:{number}")  # noqa: S311 (made-up data, not secrets)
    maturity = org_rng.uniform(0.25, 0.85)
    not_applicable = set(org_rng.sample(range(count), k=org_rng.choice([0, 0, 1, 2])))
    rng = random.Random(f"{seed}:report:{number}:{index}")  # noqa: S311
    implemented = min(0.95, maturity + 0.08 * index)
    statuses = []
    for position in range(count):
        roll = rng.random()
        if position in not_applicable:
            statuses.append(ImplementationStatus.NOT_APPLICABLE)
        elif roll < implemented:
            statuses.append(ImplementationStatus.IMPLEMENTED)
        elif roll < implemented + (1 - implemented) * 0.6:
            statuses.append(ImplementationStatus.IN_PROGRESS)
        else:
            statuses.append(ImplementationStatus.PLANNED)
    return statuses


@transaction.atomic
def _published_report(
    organisation: Organisation,
    period: ReportingPeriod,
    *,
    number: int,
    index: int,
    seed: int,
    officer: User,
    reviewer: User,
    admin: User,
) -> ProgressReport:
    report = report_create(organisation=organisation, period=period, acting_user=officer)
    items = list(
        report.items.select_related("node").prefetch_related("node__metrics").order_by("node__position")
    )
    statuses = _statuses(len(items), number=number, index=index, seed=seed)
    rng = random.Random(f"{seed}:content:{number}:{index}")  # noqa: S311
    year = period.label
    for position, (item, status) in enumerate(zip(items, statuses, strict=True)):
        title = item.node.title.rstrip(".")
        narrative = {
            ImplementationStatus.IMPLEMENTED: f"{organisation.name} has this in place: {title.lower()}. "
            f"The attached summary describes how it ran in {year}.",
            ImplementationStatus.IN_PROGRESS: f"Work on “{title}” is under way; about "
            f"{rng.randrange(20, 80)}% of surfaces are covered.",
            ImplementationStatus.PLANNED: "",
            ImplementationStatus.NOT_APPLICABLE: f"{organisation.name} runs no service this applies to.",
        }[status]
        metrics = {}
        if status != ImplementationStatus.NOT_APPLICABLE:
            metrics = {
                metric.key: MetricInput(
                    value=rng.randrange(50, 101) if metric.unit == "percent" else rng.randrange(0, 20_000),
                    data_source=f"Case management system, export of 31 Dec {year} (fictional)",
                )
                for metric in item.node.metrics.all()
            }
        restricted = position % 3 == 0
        text = (
            f"{organisation.name} (fictional): {title}\n"
            f"{'Internal procedure' if restricted else 'Public policy'} summary for {year}.\n"
            f"Reference {organisation.slug}/{item.node.node_id}/{year}\n"
        )
        example_item_fill(
            item,
            officer,
            status=status,
            narrative=narrative,
            metrics=metrics,
            year=year,
            restricted=restricted,
            document=lambda item=item, text=text: SimpleUploadedFile(
                f"{item.node.node_id}-{year}.txt", text.encode(), content_type="text/plain"
            ),
        )
    return report_walk(
        report,
        to=ReportStatus.PUBLISHED,
        by=People(officer=officer, reviewer=reviewer, admin=admin),
        verdict=lambda position, _item: example_verdict(statuses[position], rng),
        # Rendering a PDF for each of hundreds of reports would dominate seeding; render_report does it.
        render_pdf=False,
        # Each publication would rebuild its period's files from every report so far; built once below.
        rebuild_open_data=False,
    )
