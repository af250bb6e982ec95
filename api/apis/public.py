"""What anyone may read, with or without a token: published reports, open data and the log's checkpoint.

Published reports are read from their published snapshots through the public pages' own selectors
(reports/public/…), never from a report's live rows: a draft, a report under review, a reviewer's
comment or a restricted file's title cannot reach these answers. Each item carries its assurance
level from the one vocabulary (not reported, self-reported, reviewer-verified, independently
audited), so a self-reported claim is never shown as a verified one.
"""

from __future__ import annotations

from typing import Any

from django.urls import path, reverse
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import exceptions, generics, serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from api.filters import StrictFilterBackend, StrictFilterSet, query_params
from api.schema import PUBLIC, problems
from audits.selectors import public_audits
from commitments.models import ReportingPeriod
from commitments.services.ledger import serve
from commitments.services.ledger.checkpoints import log_verifier_key
from commitments.vocabulary import (
    AssuranceLevel,
    FindingKind,
    ImplementationStatus,
    Opinion,
    Verdict,
    verdict_label,
)
from reports.models import Publication
from reports.opendata import exports
from reports.opendata.dataset import open_data_periods_queryset
from reports.opendata.serving import IndexedPeriod, opendata_index
from reports.public.links import report_url
from reports.public.report import GroupSummary, ItemRow, ReportPage, publication_page
from reports.public.snapshots import publication_of_report, published_reports, snapshot
from reports.public.summaries import Summary
from tools.tlog import note

# --- fields shared by the outputs --------------------------------------------------------------


class AbsoluteUrlField(serializers.CharField):
    """A path of this site, given as an absolute URL (the host the client asked)."""

    def to_representation(self, value):
        return self.context["request"].build_absolute_uri(value)


class AssuranceLevelOutput(serializers.Serializer):
    """An assurance level, as the public pages show it: the word, its icon, what it means."""

    value = serializers.ChoiceField(choices=AssuranceLevel.choices)
    label = serializers.CharField()
    icon = serializers.CharField(help_text="Shown beside the words, so that no level depends on colour.")
    definition = serializers.CharField()


class PublishedSummaryOutput(serializers.Serializer):
    text = serializers.CharField(
        help_text="As the public page sums it up, e.g. `2/3 implemented · 1 verified`."
    )
    level = AssuranceLevelOutput()
    total = serializers.IntegerField()
    implemented = serializers.IntegerField()
    not_applicable = serializers.IntegerField()
    verified = serializers.IntegerField(help_text="Items whose reviewer's verdict is `verified`.")
    audited = serializers.IntegerField(help_text="Items an attested independent audit found to conform.")
    self_reported_only = serializers.IntegerField()
    implemented_pct = serializers.IntegerField()
    verified_pct = serializers.IntegerField()


class PublishedOrganisationOutput(serializers.Serializer):
    name = serializers.CharField()
    slug = serializers.CharField()


class PublishedFrameworkOutput(serializers.Serializer):
    key = serializers.CharField()
    version = serializers.CharField()
    title = serializers.CharField()


class PublishedPeriodOutput(serializers.Serializer):
    label = serializers.CharField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()


# --- published reports -------------------------------------------------------------------------


class PublishedReportListOutput(serializers.Serializer):
    id = serializers.IntegerField(help_text="The report's id (the same in every version).")
    reference = serializers.CharField(help_text="The report id printed on its documents.")
    organisation = PublishedOrganisationOutput()
    framework = PublishedFrameworkOutput()
    period = PublishedPeriodOutput()
    version = serializers.IntegerField(help_text="1, then one more per correction.")
    published_at = serializers.DateTimeField()
    snapshot_sha256 = serializers.CharField(help_text="SHA-256 of the published snapshot (canonical JSON).")
    summary = PublishedSummaryOutput()
    url = AbsoluteUrlField(help_text="The public page.")
    api_url = AbsoluteUrlField()


class PublishedMetricOutput(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.CharField()
    value = serializers.CharField(allow_null=True, help_text="Exact decimal text, as published.")
    data_source = serializers.CharField()


class PublicEvidenceOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField(help_text="`file` or `url`.")
    title = serializers.CharField()
    url = serializers.CharField(help_text="For URL evidence: the address given.")
    media_type = serializers.CharField()
    size_bytes = serializers.IntegerField(allow_null=True)
    effective_date = serializers.DateField()
    revision = serializers.IntegerField()
    sha256 = serializers.CharField(allow_blank=True)
    download_url = AbsoluteUrlField(allow_null=True, help_text="For a file: the published bytes.")


class RestrictedEvidenceOutput(serializers.Serializer):
    """Restricted evidence, as the public sees it: that it exists, and its hash; never its title."""

    kind = serializers.CharField()
    size_bytes = serializers.IntegerField(allow_null=True)
    effective_date = serializers.DateField()
    sha256 = serializers.CharField(
        allow_blank=True, help_text="Empty for a restricted link: no file, no hash."
    )


class PublishedAuditOutput(serializers.Serializer):
    """The item's finding in an attested independent audit."""

    kind = serializers.ChoiceField(choices=FindingKind.choices)
    kind_label = serializers.CharField(source="kind.label")
    description = serializers.CharField()
    company_response = serializers.CharField()
    engagement_title = serializers.CharField()
    by = serializers.CharField(help_text="The auditors, and their firm.")
    firm = serializers.CharField()
    auditors = serializers.ListField(child=serializers.CharField())
    opinion = serializers.ChoiceField(choices=Opinion.choices)
    opinion_label = serializers.CharField(source="opinion.label")
    attested_on = serializers.DateField()
    attestation_url = AbsoluteUrlField(source="url")


class PublishedItemOutput(serializers.Serializer):
    node_id = serializers.CharField()
    code = serializers.CharField()
    title = serializers.CharField()
    reported = serializers.BooleanField(help_text="False: the published report has no answer for this item.")
    status = serializers.ChoiceField(choices=ImplementationStatus.choices, allow_null=True)
    status_label = serializers.CharField()
    assurance = AssuranceLevelOutput(
        help_text="Not reported, self-reported, reviewer-verified or independently audited: never blurred."
    )
    verdict = serializers.ChoiceField(choices=Verdict.choices, allow_null=True)
    verdict_label = serializers.CharField()
    verdict_justification = serializers.CharField()
    narrative = serializers.CharField(help_text="Markdown, self-reported by the organisation.")
    areas_needing_progress = serializers.CharField()
    metrics = PublishedMetricOutput(many=True)
    company_responses = serializers.ListField(child=serializers.CharField())
    public_evidence = PublicEvidenceOutput(many=True)
    restricted_evidence = RestrictedEvidenceOutput(many=True)
    audit = PublishedAuditOutput(allow_null=True)
    url = AbsoluteUrlField(allow_null=True, help_text="The item's public page.")


class PublishedGroupOutput(serializers.Serializer):
    node_id = serializers.CharField()
    code = serializers.CharField()
    title = serializers.CharField()
    summary = PublishedSummaryOutput()
    items = PublishedItemOutput(many=True)


class PublishedVersionOutput(serializers.Serializer):
    version = serializers.IntegerField()
    published_at = serializers.DateTimeField()
    is_current = serializers.BooleanField()
    correction_reason = serializers.CharField()
    snapshot_sha256 = serializers.CharField()
    url = AbsoluteUrlField()
    api_url = AbsoluteUrlField()


class PublishedPdfOutput(serializers.Serializer):
    document_id = serializers.CharField()
    sha256 = serializers.CharField()
    size_bytes = serializers.IntegerField()
    url = AbsoluteUrlField(help_text="The signed PDF, from the verify pages.")


class PublishedReportOutput(PublishedReportListOutput):
    is_current = serializers.BooleanField(help_text="False for a version superseded by a correction.")
    correction_reason = serializers.CharField(help_text="Why this version corrects the previous one.")
    current_url = AbsoluteUrlField(help_text="The public page of the current version.")
    groups = PublishedGroupOutput(
        many=True, help_text="The framework's groups (principles), each with its items."
    )
    versions = PublishedVersionOutput(many=True)
    pdf = PublishedPdfOutput(allow_null=True, help_text="The signed PDF of this version, once produced.")


def published_report_api_url(report_id: int, version: int | None = None) -> str:
    url = reverse("api:published-report-detail", args=[report_id])
    return url if version is None else f"{url}?version={version}"


def _heading(publication: Publication, summary: Summary) -> dict[str, Any]:
    data = snapshot(publication)
    return {
        "id": publication.report_id,
        "reference": data["reference"],
        "organisation": data["organisation"],
        "framework": {**data["framework"], "title": publication.report.period.framework.title},
        "period": data["period"],
        "version": publication.version,
        "published_at": publication.published_at,
        "snapshot_sha256": publication.snapshot_sha256,
        "summary": summary,
    }


def _public_evidence(page: ReportPage, entry: dict[str, Any]) -> dict[str, Any]:
    data = page.data
    download = None
    if entry["kind"] == "file" and entry["sha256"]:
        download = reverse(
            "public:evidence",
            args=[
                data["organisation"]["slug"],
                data["framework"]["key"],
                data["period"]["label"],
                entry["id"],
            ],
        )
    return {**entry, "download_url": download}


def _item(page: ReportPage, row: ItemRow) -> dict[str, Any]:
    item = row.item or {}
    evidence = item.get("evidence", [])
    return {
        "node_id": row.node.node_id,
        "code": row.node.code,
        "title": row.node.title,
        "reported": row.item is not None,
        "status": row.status or None,
        "status_label": row.status_label,
        "assurance": row.level,
        "verdict": item.get("verdict"),
        "verdict_label": verdict_label(item.get("verdict")) if row.item else "",
        "verdict_justification": item.get("verdict_justification", ""),
        "narrative": item.get("narrative", ""),
        "areas_needing_progress": item.get("areas_needing_progress", ""),
        "metrics": item.get("metrics", []),
        "company_responses": item.get("company_responses", []),
        "public_evidence": [_public_evidence(page, e) for e in evidence if e["visibility"] == "public"],
        "restricted_evidence": [e for e in evidence if e["visibility"] != "public"],
        "audit": row.audit,
        "url": row.url if row.item else None,
    }


def _group(page: ReportPage, group: GroupSummary) -> dict[str, Any]:
    node = group.group.node
    return {
        "node_id": node.node_id,
        "code": node.code,
        "title": node.title,
        "summary": group.summary,
        "items": [_item(page, row) for row in group.items],
    }


def published_report_representation(page: ReportPage) -> dict[str, Any]:
    """A published version as its public page shows it (reports.public.report.publication_page)."""
    publication = page.publication
    current = page.versions[-1]
    return {
        **_heading(publication, page.summary),
        "is_current": page.is_current,
        "correction_reason": publication.correction_reason,
        "url": page.url,
        "current_url": page.current_url,
        "api_url": published_report_api_url(
            publication.report_id, None if page.is_current else publication.version
        ),
        "groups": [_group(page, group) for group in page.groups],
        "versions": [
            {
                "version": version.version,
                "published_at": version.published_at,
                "is_current": version.pk == current.pk,
                "correction_reason": version.correction_reason,
                "snapshot_sha256": version.snapshot_sha256,
                "url": report_url(version, versioned=version.pk != current.pk),
                "api_url": published_report_api_url(
                    publication.report_id, None if version.pk == current.pk else version.version
                ),
            }
            for version in page.versions
        ],
        "pdf": page.pdf,
    }


class PublishedReportFilter(StrictFilterSet):
    organisation = filters.CharFilter(
        field_name="report__organisation__slug", help_text="The organisation's slug, e.g. `northwind-models`."
    )
    framework = filters.CharFilter(field_name="report__period__framework__key", help_text="A framework key.")
    period = filters.CharFilter(field_name="report__period__label", help_text="A period label, e.g. `2025`.")

    class Meta:
        model = Publication
        fields = ["organisation", "framework", "period"]


LIST_EXAMPLE = {
    "id": 42,
    "reference": "PP-2025-000042",
    "organisation": {"name": "Northwind Models", "slug": "northwind-models"},
    "framework": {"key": "sbd", "version": "2024.1", "title": "Safety by Design for Generative AI"},
    "period": {"label": "2025", "starts_on": "2025-01-01", "ends_on": "2025-12-31"},
    "version": 2,
    "published_at": "2026-02-14T10:03:00Z",
    "snapshot_sha256": "9f2c…",
    "summary": {
        "text": "18/20 implemented · 15 verified · 3 audited · 1 n/a",
        "level": {
            "value": AssuranceLevel.PARTLY_VERIFIED.value,
            "label": AssuranceLevel.PARTLY_VERIFIED.label,
            "icon": AssuranceLevel.PARTLY_VERIFIED.icon,
            "definition": AssuranceLevel.PARTLY_VERIFIED.definition,
        },
        "total": 21,
        "implemented": 18,
        "not_applicable": 1,
        "verified": 15,
        "audited": 3,
        "self_reported_only": 6,
        "implemented_pct": 90,
        "verified_pct": 71,
    },
    "url": "https://pledgeproof.example/organisations/northwind-models/sbd/2025/",
    "api_url": "https://pledgeproof.example/api/v1/published-reports/42/",
}


@extend_schema(
    tags=["published reports"],
    responses={200: PublishedReportListOutput(many=True), **problems(*PUBLIC)},
    examples=[OpenApiExample("A published report", value=LIST_EXAMPLE, response_only=True)],
)
class PublishedReportListApi(generics.ListAPIView):
    """The current version of every published report, newest publication first; no token needed.

    Only published snapshots are read: a report under review or a draft is never listed.
    Filter by `organisation` (slug), `framework` (key) and `period` (label).
    """

    permission_classes = [AllowAny]
    serializer_class = PublishedReportListOutput
    filter_backends = [StrictFilterBackend]
    filterset_class = PublishedReportFilter
    ordering = ("-published_at", "-id")

    def get_queryset(self):
        return published_reports()

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        audits = public_audits([publication.report_id for publication in page])
        rows = [
            {
                **_heading(
                    publication,
                    Summary.of(snapshot(publication)["items"], audits.get(publication.report_id, {})),
                ),
                "url": report_url(publication),
                "api_url": published_report_api_url(publication.report_id),
            }
            for publication in page
        ]
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)


class PublishedVersionQuery(serializers.Serializer):
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        help_text="A version superseded by a correction (default: the current one).",
    )


def _level_example(level: AssuranceLevel) -> dict[str, str]:
    return {"value": level.value, "label": level.label, "icon": level.icon, "definition": level.definition}


CORRECTION_EXAMPLE = "The metric was entered in the wrong unit; the company sent the right figure."
DETAIL_EXAMPLE = {
    **LIST_EXAMPLE,
    "is_current": True,
    "correction_reason": CORRECTION_EXAMPLE,
    "current_url": LIST_EXAMPLE["url"],
    "groups": [
        {
            "node_id": "sbd.develop.1",
            "code": "1",
            "title": "Responsibly source training datasets",
            "summary": LIST_EXAMPLE["summary"],
            "items": [
                {
                    "node_id": "sbd.develop.1.a",
                    "code": "1.a",
                    "title": "Remove CSAM from training data",
                    "reported": True,
                    "status": ImplementationStatus.IMPLEMENTED.value,
                    "status_label": ImplementationStatus.IMPLEMENTED.label,
                    "assurance": _level_example(AssuranceLevel.INDEPENDENTLY_AUDITED),
                    "verdict": Verdict.VERIFIED.value,
                    "verdict_label": Verdict.VERIFIED.label,
                    "verdict_justification": "Hash-matching logs for every dataset were seen.",
                    "narrative": "Every dataset is hash-matched before training.",
                    "areas_needing_progress": "",
                    "metrics": [
                        {
                            "key": "reports",
                            "name": "Reports made",
                            "unit": "count",
                            "value": "12",
                            "data_source": "Case system export",
                        }
                    ],
                    "company_responses": [],
                    "public_evidence": [
                        {
                            "id": 301,
                            "kind": "url",
                            "title": "Dataset policy",
                            "url": "https://northwind.example/policy",
                            "media_type": "",
                            "size_bytes": None,
                            "effective_date": "2025-03-01",
                            "revision": 1,
                            "sha256": "",
                            "download_url": None,
                        }
                    ],
                    "restricted_evidence": [
                        {
                            "kind": "file",
                            "size_bytes": 48213,
                            "effective_date": "2025-03-01",
                            "sha256": "5d41…",
                        }
                    ],
                    "audit": {
                        "kind": FindingKind.CONFORMS.value,
                        "kind_label": FindingKind.CONFORMS.label,
                        "description": "The hash-matching step ran on every sampled dataset.",
                        "company_response": "",
                        "engagement_title": "Limited assurance on the 2025 report",
                        "by": "A. Auditor (Harbourside Assurance LLP)",
                        "firm": "Harbourside Assurance LLP",
                        "auditors": ["A. Auditor"],
                        "opinion": Opinion.UNQUALIFIED.value,
                        "opinion_label": Opinion.UNQUALIFIED.label,
                        "attested_on": "2026-03-31",
                        "attestation_url": "https://pledgeproof.example/audits/attestations/3/",
                    },
                    "url": "https://pledgeproof.example/organisations/northwind-models/sbd/2025/sbd.develop.1.a/",
                }
            ],
        }
    ],
    "versions": [
        {
            "version": 1,
            "published_at": "2026-01-20T09:00:00Z",
            "is_current": False,
            "correction_reason": "",
            "snapshot_sha256": "03be…",
            "url": "https://pledgeproof.example/organisations/northwind-models/sbd/2025/v1/",
            "api_url": "https://pledgeproof.example/api/v1/published-reports/42/?version=1",
        },
        {
            "version": 2,
            "published_at": "2026-02-14T10:03:00Z",
            "is_current": True,
            "correction_reason": CORRECTION_EXAMPLE,
            "snapshot_sha256": "9f2c…",
            "url": LIST_EXAMPLE["url"],
            "api_url": LIST_EXAMPLE["api_url"],
        },
    ],
    "pdf": None,
}


@extend_schema(
    tags=["published reports"],
    parameters=[PublishedVersionQuery],
    responses={200: PublishedReportOutput, **problems(*PUBLIC, 404)},
    examples=[
        OpenApiExample("A corrected report (one item shown)", value=DETAIL_EXAMPLE, response_only=True)
    ],
)
class PublishedReportDetailApi(APIView):
    """A published report, exactly as its public page shows it, item by item with its assurance level.

    `id` is the report's id. A report that was never published is not found, like an id never issued.
    Restricted evidence appears only as its hash; reviewers' comments never appear.
    """

    permission_classes = [AllowAny]

    def get(self, request, pk: int):
        wanted = query_params(request, PublishedVersionQuery, self)
        publication = publication_of_report(report_id=pk, version=wanted.get("version"))
        page = publication_page(publication)
        return Response(
            PublishedReportOutput(published_report_representation(page), context={"request": request}).data
        )


# --- open data ----------------------------------------------------------------------------------


class OpenDataFileOutput(serializers.Serializer):
    name = serializers.CharField()
    url = AbsoluteUrlField()
    media_type = serializers.CharField()
    sha256 = serializers.CharField(
        allow_null=True, help_text="Null until the files are built (the first download builds them)."
    )
    size_bytes = serializers.IntegerField(allow_null=True)
    built_at = serializers.DateTimeField(allow_null=True)


class OpenDataSetOutput(serializers.Serializer):
    framework = PublishedFrameworkOutput()
    period = PublishedPeriodOutput()
    due_on = serializers.DateField()
    url = AbsoluteUrlField(help_text="The period's open-data page.")
    attribution = serializers.CharField(help_text="How to credit the data.")
    licence_url = serializers.CharField()
    schema_url = AbsoluteUrlField(help_text="The JSON Schema of data.json.")
    files = OpenDataFileOutput(many=True)


def open_data_representation(entry: IndexedPeriod) -> dict[str, Any]:
    period = entry.period
    return {
        "framework": {
            "key": period.framework.key,
            "version": period.framework.version,
            "title": period.framework.title,
        },
        "period": {"label": period.label, "starts_on": period.starts_on, "ends_on": period.ends_on},
        "due_on": period.due_on,
        "url": entry.url,
        "attribution": entry.attribution,
        "licence_url": exports.LICENCE_URL,
        "schema_url": reverse("data:schema"),
        "files": [
            {
                "name": file.name,
                "url": file.url,
                "media_type": exports.content_type(file.name),
                "sha256": file.stored.sha256 if file.stored else None,
                "size_bytes": file.stored.size_bytes if file.stored else None,
                "built_at": file.stored.built_at if file.stored else None,
            }
            for file in entry.files
        ],
    }


class OpenDataFilter(StrictFilterSet):
    framework = filters.CharFilter(field_name="framework__key", help_text="A framework key.")
    period = filters.CharFilter(field_name="label", help_text="A period label, e.g. `2025`.")

    class Meta:
        model = ReportingPeriod
        fields = ["framework", "period"]


OPEN_DATA_EXAMPLE = {
    "framework": {"key": "sbd", "version": "2024.1", "title": "Safety by Design for Generative AI"},
    "period": {"label": "2025", "starts_on": "2025-01-01", "ends_on": "2025-12-31"},
    "due_on": "2026-01-31",
    "url": "https://pledgeproof.example/data/sbd/2025/",
    "attribution": "Pledgeproof open data, sbd 2025, CC BY 4.0",
    "licence_url": "https://creativecommons.org/licenses/by/4.0/",
    "schema_url": "https://pledgeproof.example/data/schema/open-data.schema.json",
    "files": [
        {
            "name": "items.csv",
            "url": "https://pledgeproof.example/data/sbd/2025/items.csv",
            "media_type": "text/csv; charset=utf-8",
            "sha256": "b1946ac92492d2347c6235b4d2611184…",
            "size_bytes": 20417,
            "built_at": "2026-02-14T10:03:02Z",
        }
    ],
}


@extend_schema(
    tags=["open data"],
    responses={200: OpenDataSetOutput(many=True), **problems(*PUBLIC)},
    examples=[OpenApiExample("A period's files", value=OPEN_DATA_EXAMPLE, response_only=True)],
)
class OpenDataListApi(generics.ListAPIView):
    """The open-data files of every framework and period with a published report, newest period first.

    The files hold only current published versions. `sha256` and `size_bytes` are those of the
    stored files, which `checksums.txt` lists too; they are null until the period's files are built
    (the first download of one builds them all).
    """

    permission_classes = [AllowAny]
    serializer_class = OpenDataSetOutput
    filter_backends = [StrictFilterBackend]
    filterset_class = OpenDataFilter
    ordering = ("-starts_on", "id")

    def get_queryset(self):
        return open_data_periods_queryset()

    def list(self, request, *args, **kwargs):
        periods = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        rows = [open_data_representation(entry) for entry in opendata_index(list(periods))]
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)


# --- the log's checkpoint -----------------------------------------------------------------------


class LogNotReady(exceptions.APIException):
    status_code = 503
    default_detail = "The log has no signed checkpoint yet."
    default_code = "unavailable"


class SignedCheckpointOutput(serializers.Serializer):
    text = serializers.CharField(
        help_text="The signed note, byte for byte what /log/checkpoint serves (c2sp.org/tlog-checkpoint)."
    )
    origin = serializers.CharField(help_text="The log's name: the first line, and the key's name.")
    tree_size = serializers.IntegerField(help_text="The number of ledger entries the tree holds.")
    root = serializers.CharField(help_text="The tree's root hash, hex (base64 in `text`).")
    extensions = serializers.ListField(child=serializers.CharField())


class LogCheckpointOutput(SignedCheckpointOutput):
    verifier_key = serializers.CharField(
        help_text="The key that signs it (also at /log/key). Pin it from a source you trust, not from here."
    )
    checkpoint_url = AbsoluteUrlField()
    key_url = AbsoluteUrlField()
    tiles_url = AbsoluteUrlField(help_text="Hash tiles (c2sp.org/tlog-tiles) under this prefix.")


def checkpoint_representation(text: str) -> dict[str, Any]:
    """A signed checkpoint, as its text and its fields (read once its signature by the log's key verifies)."""
    body = note.checkpoint_open(text, log_verifier_key())
    return {
        "text": text,
        "origin": body.origin,
        "tree_size": body.size,
        "root": body.root.hex(),
        "extensions": list(body.extensions),
    }


CHECKPOINT_EXAMPLE = {
    "text": "pledgeproof.example/log\n1234\nq0ZC…=\n\n— pledgeproof.example/log Az3r…\n",
    "origin": "pledgeproof.example/log",
    "tree_size": 1234,
    "root": "ab4642…",
    "extensions": [],
    "verifier_key": "pledgeproof.example/log+1a2b3c4d+AXm…",
    "checkpoint_url": "https://pledgeproof.example/log/checkpoint",
    "key_url": "https://pledgeproof.example/log/key",
    "tiles_url": "https://pledgeproof.example/log/tile/",
}


@extend_schema(
    tags=["open data"],
    responses={200: LogCheckpointOutput, **problems(*PUBLIC, 503)},
    examples=[OpenApiExample("The latest checkpoint", value=CHECKPOINT_EXAMPLE, response_only=True)],
)
class LogCheckpointApi(APIView):
    """The transparency log's latest signed checkpoint: the same bytes as /log/checkpoint, and its fields.

    Witnesses and verifiers check `text` with the log's key; a report's ledger entries
    (`/reports/{id}/ledger/`) come with inclusion proofs against this checkpoint.
    """

    permission_classes = [AllowAny]

    def get(self, request):
        query_params(request, view=self)
        try:
            text = serve.log_checkpoint().decode()
            key = serve.log_key().decode().strip()
        except serve.NotReady as exc:
            raise LogNotReady(str(exc)) from None
        log = reverse("log:checkpoint").rsplit("/", 1)[0]
        return Response(
            LogCheckpointOutput(
                {
                    **checkpoint_representation(text),
                    "verifier_key": key,
                    "checkpoint_url": reverse("log:checkpoint"),
                    "key_url": reverse("log:key"),
                    "tiles_url": f"{log}/tile/",
                },
                context={"request": request},
            ).data
        )


urlpatterns: list = [
    path("published-reports/", PublishedReportListApi.as_view(), name="published-report-list"),
    path("published-reports/<id:pk>/", PublishedReportDetailApi.as_view(), name="published-report-detail"),
    path("open-data/", OpenDataListApi.as_view(), name="open-data-list"),
    path("log/checkpoint/", LogCheckpointApi.as_view(), name="log-checkpoint"),
]
