"""The program overview as a CSV file, for program staff's own spreadsheets."""

import csv
from typing import Any

from commitments.models import ReportingPeriod
from reports.program.selectors import OverviewRow, program_overview
from reports.spreadsheet import spreadsheet_safe

CSV_HEADER = [
    "organisation",
    "organisation_slug",
    "framework",
    "period",
    "due_on",
    "report_id",
    "reference",
    "state",
    "revision",
    "reviewer",
    "first_submitted_at",
    "submitted_late",
    "submitted_at",
    "verified_at",
    "published_at",
    "overdue",
    "answered_items",
    "total_items",
    "completion_percent",
]


def _csv_row(row: OverviewRow, period: ReportingPeriod) -> list[str]:
    report = row.report
    return [
        spreadsheet_safe(x)
        for x in (
            row.organisation.name,
            row.organisation.slug,
            f"{period.framework.key}@{period.framework.version}",
            period.label,
            period.due_on.isoformat(),
            report.pk if report else "",
            report.reference if report else "",
            row.state,
            report.revision if report else "",
            report.reviewer.email if report and report.reviewer else "",
            report.first_submitted_at.isoformat() if report and report.first_submitted_at else "",
            row.late,
            report.submitted_at.isoformat() if report and report.submitted_at else "",
            report.verified_at.isoformat() if report and report.verified_at else "",
            report.published_at.isoformat() if report and report.published_at else "",
            row.overdue,
            row.answered,
            row.total,
            row.completion_percent if report else "",
        )
    ]


def overview_csv_write(out: Any, *, period: ReportingPeriod) -> None:
    """The overview of `period` as CSV, header first, into a file-like `out` (e.g. a response)."""
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for row in program_overview(period=period):
        writer.writerow(_csv_row(row, period))
