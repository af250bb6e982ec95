"""Open data: the files under /data/<framework>/<period>/, built from current publications only
(reports.opendata.dataset reads them).

Everything here reads published snapshots (never live report rows), so a draft, a report under
review or a reviewer's comment cannot reach a file. Restricted evidence appears as a count and a
hash, never with its title or link. The same publications always give the same bytes: rows are
sorted, JSON keys keep a fixed order and no file carries a generation time, so checksums.txt
holds for every download until the next publication.
"""

import csv
import hashlib
import io
import json
from collections.abc import Iterable
from typing import Any

from commitments.models import ReportingPeriod
from commitments.vocabulary import AssuranceLevel, FindingKind, ImplementationStatus, Opinion, Verdict
from reports.opendata.dataset import Dataset, dataset_build
from reports.oscal import documents as oscal
from reports.spreadsheet import spreadsheet_safe

SCHEMA_PATH = "/data/schema/open-data.schema.json"
LICENCE_NAME = "CC BY 4.0"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"


def attribution(period: ReportingPeriod) -> str:
    return f"Pledgeproof open data, {period.framework.key} {period.label}, {LICENCE_NAME}"


# --- the files --------------------------------------------------------------------------------


def _csv(header: list[str], rows: Iterable[list[Any]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([spreadsheet_safe(cell) for cell in header])
    for row in rows:
        writer.writerow([spreadsheet_safe(cell) for cell in row])
    return buffer.getvalue().encode("utf-8")


MITIGATION_COLUMNS = [
    ("framework_key", "Framework id, e.g. sbd."),
    ("framework_version", "Framework version the period uses, e.g. 2024.1."),
    ("node_id", "Stable id of the mitigation; the column names of matrix.csv."),
    ("code", "Short label from the framework text, e.g. M1."),
    (
        "<level>_id, <level>_title",
        "One pair per grouping level of the framework, named after the level "
        "(for Safety by Design: phase_id, phase_title, principle_id, principle_title).",
    ),
    ("title", "The mitigation's title."),
    ("description", "The mitigation's text."),
    (
        "metric_definitions",
        'Metrics the mitigation asks for, as key:unit separated by "; " '
        "(e.g. reports:count; median_hours:hours); empty when none.",
    ),
]

MATRIX_COLUMNS = [
    ("organisation", "Organisation name."),
    ("organisation_slug", "Stable organisation id."),
    (
        "publication_version",
        "Version of the current publication (2 or more after a correction); "
        "empty when the organisation has not reported.",
    ),
    ("snapshot_sha256", "SHA-256 of the published snapshot the row comes from; empty when not reported."),
    (
        "<node_id>",
        f"Implementation status of the mitigation: {', '.join(ImplementationStatus.values)}, "
        f"or {AssuranceLevel.NOT_REPORTED.value}.",
    ),
    (
        "<node_id>:assurance",
        f"Assurance level of that status: {AssuranceLevel.SELF_REPORTED.value}, "
        f"{AssuranceLevel.REVIEWER_VERIFIED.value}, {AssuranceLevel.INDEPENDENTLY_AUDITED.value}, "
        f"or {AssuranceLevel.NOT_REPORTED.value}.",
    ),
]

ITEM_COLUMNS = [
    ("organisation", "Organisation name."),
    ("organisation_slug", "Stable organisation id."),
    ("report_reference", "Report id printed on the PDF report, e.g. PP-2025-000012."),
    ("publication_version", "Version of the current publication; above 1 after a correction."),
    ("published_at", "When this version was published (UTC, ISO 8601)."),
    ("snapshot_sha256", "SHA-256 of the published snapshot."),
    ("node_id", "Mitigation id (see mitigations.csv)."),
    ("title", "Mitigation title."),
    ("status", "Implementation status the organisation reported."),
    (
        "assurance",
        f"{AssuranceLevel.SELF_REPORTED.value}; {AssuranceLevel.REVIEWER_VERIFIED.value} when the "
        f"reviewer's verdict is {Verdict.VERIFIED.value}; {AssuranceLevel.INDEPENDENTLY_AUDITED.value} "
        f"when an independent auditor found it {FindingKind.CONFORMS.value} in an attested audit "
        "(see audits.csv).",
    ),
    (
        "verdict",
        f"Reviewer's verdict: {', '.join(Verdict.values)}; empty when none.",
    ),
    ("verdict_justification", "Why the reviewer reached the verdict."),
    (
        "company_response",
        "The organisation's reply to the verdict; several replies are separated by a line holding only ---.",
    ),
    ("narrative", "What the organisation says it did (Markdown source)."),
    ("areas_needing_progress", "What the organisation says still needs work."),
    ("metric_count", "Number of metric values reported; the values are rows of metrics.csv."),
    ("public_evidence_count", "Evidence items anyone can open (listed with link and hash in data.json)."),
    (
        "restricted_evidence_count",
        "Evidence items only reviewers and auditors can open; published as hashes in data.json.",
    ),
]

METRIC_COLUMNS = [
    ("organisation_slug", "Stable organisation id."),
    ("publication_version", "Version of the current publication."),
    ("node_id", "Mitigation id."),
    ("metric_key", "Metric id within the mitigation."),
    ("metric_name", "What is counted."),
    ("unit", "count, percent, hours or days."),
    ("value", "The reported number as a plain decimal (e.g. 12 or 0.5); empty when not given."),
    ("data_source", "Where the organisation says the number comes from."),
]


AUDIT_COLUMNS = [
    ("organisation", "Organisation name."),
    ("organisation_slug", "Stable organisation id."),
    ("node_id", "Mitigation id (see mitigations.csv)."),
    ("finding", f"What the auditor found: {', '.join(FindingKind.values)}."),
    ("description", "The auditor's description of the finding."),
    ("company_response", "The organisation's response to the finding; empty when none."),
    ("auditors", 'The auditors\' names, separated by "; ".'),
    ("firm", "The audit firm; empty when none."),
    ("engagement", "Title of the audit engagement."),
    ("standard", "The audit standard or terms followed."),
    ("opinion", f"The auditor's overall opinion in the attestation: {', '.join(Opinion.values)}."),
    ("attested_on", "Date of the attestation (ISO 8601)."),
    ("attestation_id", "Id of the attestation; a correction is a new attestation with a new id."),
    ("attestation_url", "The public attestation page, with the statement and every finding."),
]


def mitigations_csv(dataset: Dataset) -> bytes:
    header = ["framework_key", "framework_version", "node_id", "code"]
    for level in dataset.grouping_levels:
        header += [f"{level}_id", f"{level}_title"]
    header += ["title", "description", "metric_definitions"]
    rows = []
    for mitigation in dataset.mitigations:
        groups = {a["kind"]: a for a in mitigation["ancestors"]}
        row = [dataset.framework.key, dataset.framework.version, mitigation["node_id"], mitigation["code"]]
        for level in dataset.grouping_levels:
            group = groups.get(level, {})
            row += [group.get("id", ""), group.get("title", "")]
        row += [
            mitigation["title"],
            mitigation["description"],
            "; ".join(f"{m['key']}:{m['unit']}" for m in mitigation["metrics"]),
        ]
        rows.append(row)
    return _csv(header, rows)


def matrix_csv(dataset: Dataset) -> bytes:
    node_ids = [m["node_id"] for m in dataset.mitigations]
    header = ["organisation", "organisation_slug", "publication_version", "snapshot_sha256"]
    for node_id in node_ids:
        header += [node_id, f"{node_id}:assurance"]
    rows = []
    for org in dataset.organisations:
        publication = org["publication"] or {}
        items = {item["node_id"]: item for item in org["items"]}
        row = [org["name"], org["slug"], publication.get("version"), publication.get("snapshot_sha256")]
        for node_id in node_ids:
            item = items.get(node_id)
            missing = AssuranceLevel.NOT_REPORTED
            row += [item["status"], item["assurance"]] if item else [missing, missing]
        rows.append(row)
    return _csv(header, rows)


def items_csv(dataset: Dataset) -> bytes:
    rows = []
    for org in dataset.organisations:
        publication = org["publication"]
        for item in org["items"]:
            rows.append(
                [
                    org["name"],
                    org["slug"],
                    publication["report_reference"],
                    publication["version"],
                    publication["published_at"],
                    publication["snapshot_sha256"],
                    item["node_id"],
                    item["title"],
                    item["status"],
                    item["assurance"],
                    item["verdict"],
                    item["verdict_justification"],
                    "\n---\n".join(item["company_responses"]),
                    item["narrative"],
                    item["areas_needing_progress"],
                    len(item["metrics"]),
                    item["public_evidence_count"],
                    item["restricted_evidence_count"],
                ]
            )
    return _csv([name for name, _ in ITEM_COLUMNS], rows)


def metrics_csv(dataset: Dataset) -> bytes:
    rows = []
    for org in dataset.organisations:
        for item in org["items"]:
            for metric in item["metrics"]:
                rows.append(
                    [
                        org["slug"],
                        org["publication"]["version"],
                        item["node_id"],
                        metric["key"],
                        metric["name"],
                        metric["unit"],
                        metric["value"],
                        metric["data_source"],
                    ]
                )
    return _csv([name for name, _ in METRIC_COLUMNS], rows)


def audits_csv(dataset: Dataset) -> bytes:
    """One row per finding, on a published item, of an attested engagement covering the period.

    Only current attestations: a corrected one is replaced by its correction. Nothing of an
    engagement not yet attested.
    """
    names = {org["slug"]: org["name"] for org in dataset.organisations}
    rows = []
    for engagement in dataset.engagements:
        attestation = engagement["attestation"]
        for finding in engagement["findings"]:
            rows.append(
                [
                    names.get(finding["organisation_slug"], ""),
                    finding["organisation_slug"],
                    finding["node_id"],
                    finding["kind"],
                    finding["description"],
                    finding["company_response"],
                    "; ".join(engagement["auditors"]),
                    engagement["firm"],
                    engagement["title"],
                    engagement["standard"],
                    attestation["opinion"],
                    attestation["attested_on"],
                    attestation["id"],
                    attestation["url"],
                ]
            )
    rows.sort(key=lambda row: (row[1], row[2], row[11], row[12]))
    return _csv([name for name, _ in AUDIT_COLUMNS], rows)


def data_json(dataset: Dataset) -> bytes:
    framework = dataset.framework
    period = dataset.period
    published = [o["publication"]["published_at"] for o in dataset.organisations if o["publication"]]
    document = {
        "schema": SCHEMA_PATH,
        "licence": {"name": LICENCE_NAME, "url": LICENCE_URL, "attribution": attribution(period)},
        "framework": {"key": framework.key, "version": framework.version, "title": framework.title},
        "period": {
            "label": period.label,
            "starts_on": period.starts_on.isoformat(),
            "ends_on": period.ends_on.isoformat(),
            "due_on": period.due_on.isoformat(),
        },
        "as_of": max(published) if published else None,
        "mitigations": dataset.mitigations,
        "organisations": dataset.organisations,
        "engagements": dataset.engagements,
    }
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def licence_txt(dataset: Dataset) -> bytes:
    framework = dataset.framework
    period = dataset.period
    lines = [
        f"Pledgeproof open data: {framework.title} (version {framework.version}), period {period.label}",
        "",
        f"This data set is made available under the Creative Commons Attribution 4.0 International "
        f"licence ({LICENCE_NAME}): {LICENCE_URL}",
        "",
        "You may copy, redistribute, adapt and build upon it for any purpose, including commercially,",
        "provided you give appropriate credit, link to the licence and say if you made changes.",
        "",
        "Credit it as:",
        f"    {attribution(period)}",
        "",
        "The figures and statements are the organisations' own reports as published on Pledgeproof;",
        "the assurance column says whether a program reviewer verified each one, or an independent",
        "auditor found it conforms in an attested audit (audits.csv lists every attested finding).",
    ]
    if framework.licence_note or framework.publisher:
        lines += [
            "",
            f"The mitigation titles and texts come from the framework's publisher"
            f"{' (' + framework.publisher + ')' if framework.publisher else ''}.",
        ]
        if framework.licence_note:
            lines.append(framework.licence_note.strip())
    return ("\n".join(lines) + "\n").encode("utf-8")


def oscal_catalog(dataset: Dataset) -> bytes:
    """The framework version as an OSCAL catalog (reports.oscal)."""
    return oscal.period_catalog(dataset.period)


def oscal_component_definition(dataset: Dataset) -> bytes:
    """The period's current publications as one OSCAL component-definition, a component each."""
    return oscal.period_component_definition(dataset.period)


def oscal_assessment_results(dataset: Dataset) -> bytes:
    """The attested engagements covering the period as OSCAL assessment-results, a result each."""
    return oscal.period_assessment_results(dataset.period)


# The order files are listed in checksums.txt and on the index page.
FILE_BUILDERS = {
    "mitigations.csv": mitigations_csv,
    "matrix.csv": matrix_csv,
    "items.csv": items_csv,
    "metrics.csv": metrics_csv,
    "audits.csv": audits_csv,
    "data.json": data_json,
    oscal.OPEN_DATA_CATALOG: oscal_catalog,
    oscal.OPEN_DATA_COMPONENT_DEFINITION: oscal_component_definition,
    oscal.OPEN_DATA_ASSESSMENT_RESULTS: oscal_assessment_results,
    "LICENSE.txt": licence_txt,
}

# Every file a period has, as served, stored and listed.
FILE_NAMES = [*FILE_BUILDERS, "checksums.txt"]

CONTENT_TYPES = {
    ".csv": "text/csv; charset=utf-8",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
}


def period_files(*, period: ReportingPeriod) -> dict[str, bytes]:
    """Every file of the period by name, checksums.txt last (it lists the others)."""
    dataset = dataset_build(period=period)
    files = {name: build(dataset) for name, build in FILE_BUILDERS.items()}
    files["checksums.txt"] = "".join(
        f"{hashlib.sha256(content).hexdigest()}  {name}\n" for name, content in files.items()
    ).encode("utf-8")
    return files


def content_type(filename: str) -> str:
    return CONTENT_TYPES[filename[filename.rindex(".") :]]
