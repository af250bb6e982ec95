"""Fictional demo data, created through the same services a user's actions go through.

Every organisation and person here is invented. No real company is shown with claims.
"""

import datetime
import hashlib
import io
from dataclasses import dataclass
from functools import partial

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from accounts.second_factor import totp_secret_display
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
from commitments.services.evidence import evidence_add
from commitments.services.reports import MetricInput, item_verdict_record, report_create
from commitments.services.reviews import comment_add, company_response_add
from demo.audits import demo_audits
from demo.content import example_item_fill, example_verdict
from demo.walk import People, report_walk

DEMO_PASSWORD = "pledgeproof-demo"
DEMO_DOMAIN = "demo.pledgeproof.test"
# The item (by position) a reviewer sends back in the report whose changes are requested.
CHANGES_ITEM = 1


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str


ORGANISATIONS = [
    # name, slug, cadence, state of the 2025 report, state of the 2024 report (None: none)
    (
        "Northwind Generative",
        "northwind",
        Commitment.Cadence.ANNUAL,
        ReportStatus.PUBLISHED,
        ReportStatus.PUBLISHED,
    ),
    ("Bluefin Labs", "bluefin", Commitment.Cadence.ANNUAL, ReportStatus.VERIFIED, ReportStatus.PUBLISHED),
    ("Quillfeather AI", "quillfeather", Commitment.Cadence.QUARTERLY, ReportStatus.IN_REVIEW, None),
    ("Orchard Vision Systems", "orchard", Commitment.Cadence.ANNUAL, ReportStatus.CHANGES_REQUESTED, None),
    ("Lanternfish Models", "lanternfish", Commitment.Cadence.ANNUAL, ReportStatus.SUBMITTED, None),
    ("Tamarind Image Works", "tamarind", Commitment.Cadence.QUARTERLY, ReportStatus.DRAFT, None),
]

PERIODS = [
    ("2024", datetime.date(2024, 4, 23), datetime.date(2024, 12, 31), datetime.date(2025, 3, 31)),
    ("2025", datetime.date(2025, 1, 1), datetime.date(2025, 12, 31), datetime.date(2026, 3, 31)),
    ("2026", datetime.date(2026, 1, 1), datetime.date(2026, 12, 31), datetime.date(2027, 3, 31)),
]

# Implementation status by position in the framework, so reports differ but stay plausible.
STATUS_CYCLE = [
    ImplementationStatus.IMPLEMENTED,
    ImplementationStatus.IMPLEMENTED,
    ImplementationStatus.IN_PROGRESS,
    ImplementationStatus.IMPLEMENTED,
    ImplementationStatus.PLANNED,
    ImplementationStatus.IMPLEMENTED,
    ImplementationStatus.NOT_APPLICABLE,
]


def demo_is_seeded() -> bool:
    return User.objects.filter(email=f"admin@{DEMO_DOMAIN}").exists()


def demo_logins() -> list[DemoLogin]:
    logins = [
        DemoLogin(f"admin@{DEMO_DOMAIN}", "program admin (Django admin too)"),
        DemoLogin(f"reviewer@{DEMO_DOMAIN}", "reviewer"),
        DemoLogin(f"reviewer2@{DEMO_DOMAIN}", "reviewer"),
        DemoLogin(f"auditor@{DEMO_DOMAIN}", "auditor"),
    ]
    for name, slug, *_ in ORGANISATIONS:
        logins.append(DemoLogin(f"officer@{slug}.{DEMO_DOMAIN}", f"compliance officer, {name}"))
    logins.append(DemoLogin(f"contributor@northwind.{DEMO_DOMAIN}", "contributor, Northwind Generative"))
    logins.append(DemoLogin(f"viewer@northwind.{DEMO_DOMAIN}", "viewer (read-only), Northwind Generative"))
    return logins


def _user(email: str, full_name: str, **extra) -> User:
    return User.objects.create_user(email=email, password=DEMO_PASSWORD, full_name=full_name, **extra)


def _pdf_bytes(title: str) -> bytes:
    """A small, valid one-page PDF, so evidence looks like what companies really upload."""
    text = title.replace("\\", "").replace("(", "").replace(")", "")[:80]
    stream = f"BT /F1 14 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def _fill(report: ProgressReport, officer: User, *, year: str) -> None:
    org = report.organisation.name
    items = report.items.select_related("node").prefetch_related("node__metrics").order_by("node__position")
    for index, item in enumerate(items):
        status = STATUS_CYCLE[(index + len(org)) % len(STATUS_CYCLE)]
        title = item.node.title.rstrip(".")
        narrative = {
            ImplementationStatus.IMPLEMENTED: f"{org} has put this in place: {title.lower()}. "
            f"The attached document describes the process as it ran in {year}.",
            ImplementationStatus.IN_PROGRESS: f"Work on “{title}” started this period; roll-out covers "
            "the main image product, other surfaces follow.",
            ImplementationStatus.PLANNED: "",
            ImplementationStatus.NOT_APPLICABLE: f"{org} runs no service this applies to.",
        }[status]
        metrics = {
            metric.key: MetricInput(
                value=(index + 3) * 17 if metric.unit != "percent" else 92,
                data_source="Internal trust & safety case system, export of 31 Dec (fictional demo data)",
            )
            for metric in item.node.metrics.all()
        }
        example_item_fill(
            item,
            officer,
            status=status,
            narrative=narrative,
            metrics=metrics,
            year=year,
            restricted=index % 3 == 0,
            document=lambda item=item, title=title: SimpleUploadedFile(
                f"{item.node.node_id}-{year}.pdf",
                _pdf_bytes(f"{org}: {title}"),
                content_type="application/pdf",
            ),
        )
        if status == ImplementationStatus.IN_PROGRESS:
            evidence_add(
                item=item,
                acting_user=officer,
                title="Roll-out plan (summary)",
                effective_date=datetime.date(int(year), 6, 1),
                visibility="public",
                upload=SimpleUploadedFile(
                    f"{item.node.node_id}-plan.md",
                    f"# Roll-out plan\n\n{org} (fictional) will extend “{title}” everywhere.\n".encode(),
                    content_type="text/markdown",
                ),
            )


def _first_look(report: ProgressReport, *, reviewer: User) -> None:
    """A review under way: a few verdicts so far, and a question."""
    items = list(report.items.select_related("node"))
    for item in items[:4]:
        item_verdict_record(
            item=item, acting_user=reviewer, verdict="verified", justification="Document seen."
        )
    comment_add(item=items[4], acting_user=reviewer, body="Could you say which surfaces this covers?")


def _ask_for_information(report: ProgressReport, *, reviewer: User) -> None:
    """The verdict behind the request for changes (on item CHANGES_ITEM)."""
    item = report.items.select_related("node")[CHANGES_ITEM]
    item_verdict_record(
        item=item,
        acting_user=reviewer,
        verdict="needs_information",
        justification="The count has no period; please state the reporting window.",
    )


def _respond(report: ProgressReport, *, officer: User) -> None:
    """The company replies to the first partial verdict."""
    in_progress = report.items.filter(status=ImplementationStatus.IN_PROGRESS).first()
    if in_progress is not None:
        company_response_add(
            item=in_progress,
            acting_user=officer,
            body="Roll-out to the remaining surfaces is scheduled for the first half of next year.",
        )


def _advance(report: ProgressReport, target: str, *, officer: User, reviewer: User, admin: User) -> None:
    # What the reviewer has done when the walk stops in review, or before sending the report back.
    review = {
        ReportStatus.IN_REVIEW: partial(_first_look, reviewer=reviewer),
        ReportStatus.CHANGES_REQUESTED: partial(_ask_for_information, reviewer=reviewer),
    }.get(target)
    report_walk(
        report,
        to=target,
        by=People(officer=officer, reviewer=reviewer, admin=admin),
        review=review,
        changes_item=CHANGES_ITEM,
        changes_message="Please clarify the reporting window.",
        verdict=lambda _index, item: example_verdict(item.status),
        verified=partial(_respond, officer=officer),
    )


@transaction.atomic
def demo_seed() -> list[DemoLogin]:
    """Create the demo world. Call only when demo_is_seeded() is false."""
    framework = Framework.objects.filter(key="sbd").order_by("-loaded_at").first()
    if framework is None:
        raise RuntimeError("Load the frameworks first: python manage.py load_frameworks")

    admin = _user(
        f"admin@{DEMO_DOMAIN}",
        "Ada Admin",
        platform_role=User.PlatformRole.PROGRAM_ADMIN,
        is_staff=True,
        is_superuser=True,
    )
    reviewer = _user(f"reviewer@{DEMO_DOMAIN}", "Rui Reviewer", platform_role=User.PlatformRole.REVIEWER)
    _user(f"reviewer2@{DEMO_DOMAIN}", "Rosa Reviewer", platform_role=User.PlatformRole.REVIEWER)
    auditor = _user(f"auditor@{DEMO_DOMAIN}", "Aiko Auditor", platform_role=User.PlatformRole.AUDITOR)

    periods = {
        label: ReportingPeriod.objects.get_or_create(
            framework=framework, label=label, defaults={"starts_on": start, "ends_on": end, "due_on": due}
        )[0]
        for label, start, end, due in PERIODS
    }

    for name, slug, cadence, state_2025, state_2024 in ORGANISATIONS:
        organisation = Organisation.objects.create(
            name=name,
            slug=slug,
            website=f"https://{slug}.example",
            description=f"{name} is a fictional generative-AI company used for demonstration.",
        )
        officer = _user(f"officer@{slug}.{DEMO_DOMAIN}", f"{name} compliance officer")
        Membership.objects.create(user=officer, organisation=organisation, role=Membership.Role.OFFICER)
        Commitment.objects.create(
            organisation=organisation,
            framework=framework,
            signed_on=datetime.date(2024, 4, 23),
            signatory=f"Chief Executive, {name}",
            statement_url=f"https://{slug}.example/safety-by-design",
            cadence=cadence,
        )
        for label, state in (("2024", state_2024), ("2025", state_2025)):
            if state is None:
                continue
            report = report_create(
                organisation=organisation,
                period=periods[label],
                acting_user=officer,
                carry_forward=label == "2025",
            )
            _fill(report, officer, year=label)
            _advance(report, state, officer=officer, reviewer=reviewer, admin=admin)

    northwind = Organisation.objects.get(slug="northwind")
    for role in (Membership.Role.CONTRIBUTOR, Membership.Role.VIEWER):
        person = _user(f"{role}@northwind.{DEMO_DOMAIN}", f"Northwind {role}")
        Membership.objects.create(user=person, organisation=northwind, role=role)
    demo_audits(admin=admin, auditor=auditor)
    return demo_logins()


@dataclass(frozen=True)
class DemoAuthenticator:
    email: str
    secret: str  # as typed into an authenticator app; "" when the person set up their own app


def is_demo_email(email: str) -> bool:
    domain = email.rsplit("@", 1)[-1].lower()
    return domain == DEMO_DOMAIN or domain.endswith(f".{DEMO_DOMAIN}")


def demo_totp_key(email: str) -> str:
    """A fixed authenticator secret per demo account (hex), the same after every reseed."""
    return hashlib.sha256(f"pledgeproof-demo-authenticator:{email}".encode()).hexdigest()[:40]


@transaction.atomic
def demo_authenticators_ensure() -> list[DemoAuthenticator]:
    """Give each demo account that requires a second factor an app with its fixed secret.

    Accounts that already have an app keep it (someone may have set up their own while trying
    the demo): only the ones still on the fixed secret are listed with it.
    """
    authenticators = []
    people = User.objects.filter(email__endswith=DEMO_DOMAIN).order_by("pk")
    for user in (
        person for person in people if is_demo_email(person.email) and person.second_factor_required
    ):
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(
                user=user, name="Authenticator app (demo)", key=demo_totp_key(user.email), confirmed=True
            )
        secret = totp_secret_display(device) if device.key == demo_totp_key(user.email) else ""
        authenticators.append(DemoAuthenticator(user.email, secret))
    return authenticators
