"""A small world for the engagement pages' tests, made through the services.

Northwind's 2026 report is in the engagement's scope, with a restricted text file, a restricted PDF
and a public link on its first item; Bluefin's 2026 report (another organisation) and Northwind's
2027 report (another period) are not. Harbour Labs is in scope but has no report for 2026.
"""

from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from commitments.models import Evidence, ItemResponse, ProgressReport
from commitments.services.evidence import evidence_add
from commitments.services.reports import report_create
from tests.builders import commit, period_for
from tests.factories import OrganisationFactory
from tests.reports.public_builders import EFFECTIVE, officer_of
from tests.samples import pdf_bytes

TEXT = "Moderation log: 3 < 5 & 7 > 2, “quoted”\nsecond line\n"


@dataclass
class World:
    report: ProgressReport  # Northwind 2026, in scope
    item: ItemResponse
    text_file: Evidence  # restricted text
    pdf_file: Evidence  # restricted PDF
    link: Evidence  # public URL
    other_org_report: ProgressReport  # Bluefin 2026
    other_org_item: ItemResponse
    other_org_file: Evidence
    other_period_report: ProgressReport  # Northwind 2027
    other_period_item: ItemResponse
    other_period_file: Evidence
    empty_org: Any  # Harbour Labs: in scope, no report
    officer: Any


def first_item(report: ProgressReport) -> ItemResponse:
    return report.items.select_related("node").order_by("node__position").first()


def add_file(item, officer, title: str, data: bytes, name: str, visibility: str = "restricted") -> Evidence:
    return evidence_add(
        item=item,
        acting_user=officer,
        title=title,
        effective_date=EFFECTIVE,
        visibility=visibility,
        upload=SimpleUploadedFile(name, data),
    )


def build_world(org, other_org, period, framework) -> World:
    officer = officer_of(org)
    report = report_create(organisation=org, period=period, acting_user=officer)
    item = first_item(report)
    text_file = add_file(item, officer, "Moderation log", TEXT.encode(), "log.txt")
    pdf_file = add_file(
        item, officer, "Signed policy", pdf_bytes("Signed policy text for the auditor"), "p.pdf"
    )
    link = evidence_add(
        item=item,
        acting_user=officer,
        title="Public policy page",
        effective_date=EFFECTIVE,
        visibility="public",
        url="https://example.test/policy",
    )

    other_officer = officer_of(other_org)
    other_org_report = report_create(organisation=other_org, period=period, acting_user=other_officer)
    other_org_item = first_item(other_org_report)
    other_org_file = add_file(other_org_item, other_officer, "Bluefin log", b"Bluefin secrets\n", "b.txt")

    other_period = period_for(framework, label="2027", year=2027)
    other_period_report = report_create(organisation=org, period=other_period, acting_user=officer)
    other_period_item = first_item(other_period_report)
    other_period_file = add_file(other_period_item, officer, "Next year's log", b"2027 secrets\n", "n.txt")

    empty_org = OrganisationFactory(name="Harbour Labs", slug="harbour-labs")
    commit(empty_org, framework)
    return World(
        report=report,
        item=item,
        text_file=text_file,
        pdf_file=pdf_file,
        link=link,
        other_org_report=other_org_report,
        other_org_item=other_org_item,
        other_org_file=other_org_file,
        other_period_report=other_period_report,
        other_period_item=other_period_item,
        other_period_file=other_period_file,
        empty_org=empty_org,
        officer=officer,
    )
