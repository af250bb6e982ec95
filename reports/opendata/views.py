"""Open data under /data/: the index page, the files of each period, the JSON Schema and the feed.

Anonymous and read-only. The files are built by reports.opendata.exports from current
publications only, once per publication or correction (reports.opendata.services), and served
from storage with their SHA-256 as ETag and their build time as Last-Modified.
"""

from pathlib import Path

from django.contrib.syndication.views import Feed
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import get_conditional_response
from django.utils.feedgenerator import Atom1Feed
from django.utils.http import http_date
from django.views.decorators.http import require_safe

from commitments.models import ReportingPeriod
from reports.models import Publication
from reports.opendata import exports
from reports.opendata.dataset import open_data_period_find, open_data_periods
from reports.opendata.serving import ServedFile, opendata_index, opendata_open, opendata_served

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schemas" / "open-data.schema.json"
FEED_SIZE = 100
# Files change only with a publication; a client or proxy may reuse one for a minute, then asks
# again with If-None-Match and gets a 304 while it is unchanged.
FILE_CACHE_CONTROL = "public, max-age=60"
FILE_BLOCK_SIZE = 64 * 1024


def _period_or_404(framework_key: str, label: str) -> ReportingPeriod:
    period = open_data_period_find(framework_key=framework_key, label=label)
    if period is None:
        raise Http404("No published data for this framework and period.")
    return period


def _docs() -> dict:
    return {
        "mitigation_columns": exports.MITIGATION_COLUMNS,
        "matrix_columns": exports.MATRIX_COLUMNS,
        "item_columns": exports.ITEM_COLUMNS,
        "metric_columns": exports.METRIC_COLUMNS,
        "audit_columns": exports.AUDIT_COLUMNS,
        "licence_url": exports.LICENCE_URL,
        "schema_url": reverse("data:schema"),
        "feed_url": reverse("data:feed"),
        "file_names": exports.FILE_NAMES,
    }


@require_safe
def index_view(request: HttpRequest) -> HttpResponse:
    periods = open_data_periods()
    return render(
        request, "data/index.html", {"datasets": opendata_index(periods), "single": False, **_docs()}
    )


@require_safe
def period_view(request: HttpRequest, framework: str, period: str) -> HttpResponse:
    found = _period_or_404(framework, period)
    return render(
        request, "data/index.html", {"datasets": opendata_index([found]), "single": True, **_docs()}
    )


def _file_headers(response: HttpResponse, served: ServedFile) -> HttpResponse:
    response["ETag"] = f'"{served.sha256}"'
    response["Last-Modified"] = http_date(served.built_at_timestamp)
    response["Cache-Control"] = FILE_CACHE_CONTROL
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_safe
def file_view(request: HttpRequest, framework: str, period: str, filename: str) -> HttpResponse:
    if filename not in exports.FILE_NAMES:
        raise Http404("No such file.")
    served = opendata_served(framework_key=framework, label=period, name=filename)
    if served is None:
        raise Http404("No published data for this framework and period.")
    unchanged = get_conditional_response(
        request, etag=f'"{served.sha256}"', last_modified=int(served.built_at_timestamp)
    )
    if unchanged is not None:  # 304 Not Modified, or 412 for a failed If-Match / If-Unmodified-Since
        return _file_headers(unchanged, served)
    content_type = exports.content_type(filename)
    if request.method == "HEAD":
        response = HttpResponse(content_type=content_type)
    else:
        served, handle = opendata_open(served, framework_key=framework, label=period)
        response = FileResponse(handle, content_type=content_type)
        # Larger blocks than FileResponse's 4 KiB: far fewer writes for a file of a megabyte.
        response.block_size = FILE_BLOCK_SIZE
    response["Content-Length"] = str(served.size_bytes)
    # The name is the one checksums.txt lists, so `sha256sum -c` works on a folder of downloads.
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return _file_headers(response, served)


@require_safe
def schema_view(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(SCHEMA_FILE.read_bytes(), content_type="application/schema+json")
    response["Access-Control-Allow-Origin"] = "*"
    return response


class PublicationFeed(Feed):
    """Every publication, corrections included, newest first."""

    feed_type = Atom1Feed
    title = "Pledgeproof publications"
    subtitle = (
        "Each published progress report and each correction, with the open data of its framework and period."
    )

    def link(self) -> str:
        return reverse("data:index")

    def feed_url(self) -> str:
        return reverse("data:feed")

    def items(self):
        return Publication.objects.select_related(
            "report__organisation", "report__period__framework"
        ).order_by("-published_at", "-pk")[:FEED_SIZE]

    def item_title(self, item: Publication) -> str:
        report = item.report
        base = f"{report.organisation.name}: {report.period} report"
        if item.version > 1:
            return (
                f"{base}, correction (version {item.version}): {item.correction_reason or 'no reason given'}"
            )
        return f"{base} published (version {item.version})"

    def item_description(self, item: Publication) -> str:
        report = item.report
        period = report.period
        text = (
            f"{report.organisation.name} published version {item.version} of its report {report.reference} "
            f"for {period.framework.title} (version {period.framework.version}), period {period.label}. "
            f"Snapshot SHA-256: {item.snapshot_sha256}."
        )
        if item.version > 1:
            text += f" Correction: {item.correction_reason or 'no reason given'}."
        return text

    def item_link(self, item: Publication) -> str:
        period = item.report.period
        return reverse("data:period", args=[period.framework.key, period.label])

    def item_guid(self, item: Publication) -> str:
        # Several publications share a period's link, so the id names the publication itself.
        return f"urn:pledgeproof:publication:{item.report_id}:{item.version}"

    def item_pubdate(self, item: Publication):
        return item.published_at

    def item_updateddate(self, item: Publication):
        return item.published_at

    def item_author_name(self, item: Publication) -> str:
        return item.report.organisation.name

    def item_categories(self, item: Publication) -> list[str]:
        period = item.report.period
        return [period.framework.key, f"{period.framework.key} {period.label}"]


feed_view = require_safe(PublicationFeed())
