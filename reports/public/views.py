"""The public transparency site: read-only pages anyone can open, built from published snapshots.

Each page's main content is rendered from a template fragment without the request and cached
(reports.cache) until the next publication. Anonymous visitors get the whole page from the cache;
for signed-in users only the site header around the fragment, which knows who they are, is
rendered per request.
"""

import base64
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import get_conditional_response
from django.utils.safestring import mark_safe
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from commitments.evidence_downloads import evidence_file_response
from commitments.evidence_storage import content_address, open_blob
from commitments.services.ledger.checkpoints import log_verifier_key
from commitments.vocabulary import (
    ITEM_LEVELS,
    LEGEND,
    AssuranceLevel,
    ImplementationStatus,
    status_label,
    verdict_label,
)
from reports.cache import public_cached, public_response_cached
from reports.pdf.verification import platform_root_fingerprint
from reports.public.corrections import public_corrections
from reports.public.item import public_item
from reports.public.matrix import public_matrix
from reports.public.methodology import public_methodology
from reports.public.organisation import Timeline, public_organisation
from reports.public.report import public_report
from reports.public.snapshots import public_evidence_file
from reports.svg import BarPoint, progress_chart

PageView = Callable[..., tuple[str, str]]


def public_page(view: PageView | None = None, *, query: tuple[str, ...] = ()) -> Any:
    """GET/HEAD only (405 otherwise) around a function returning the page's (title, body HTML).

    `query` names the query parameters the page reads; a URL with any other parameter is still
    answered, but not kept as a whole response, so made-up parameters cannot fill the cache.
    """
    if view is None:
        return lambda view: public_page(view, query=query)

    # These views change nothing, so a POST is answered 405 rather than a CSRF 403.
    @csrf_exempt
    @require_safe
    def wrapped(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        def render_page() -> HttpResponse:
            title, body = view(request, **kwargs)
            context = {"page_title": title, "body": mark_safe(body)}  # noqa: S308
            return render(request, "public/page.html", context)

        return public_response_cached(request, render_page, query=query)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _fragment(template: str, context: dict[str, Any]) -> tuple[str, str]:
    # No request: a cached fragment must not depend on who asked for it.
    return context["title"], render_to_string(template, context)


MATRIX_QUERY = ("framework", "period", "principle")


@public_page(query=MATRIX_QUERY)
def matrix_view(request: HttpRequest) -> tuple[str, str]:
    params = {name: request.GET.get(name, "") for name in MATRIX_QUERY}

    def build() -> tuple[str, str]:
        matrix = public_matrix(
            framework_key=params["framework"], period_label=params["period"], group_id=params["principle"]
        )
        if matrix.group is not None:
            title = f"{matrix.group.label} · {matrix.period.label}"
        elif matrix.period is not None:
            title = f"{matrix.framework.short_title or matrix.framework.title} · {matrix.period.label}"
        else:
            title = "Commitments you can check"
        return _fragment("public/matrix.html", {"title": title, "m": matrix})

    return public_cached("matrix", params, build)


def _chart(timeline: Timeline, index: int) -> str:
    points = [
        BarPoint(
            label=e.period.label,
            implemented_pct=e.summary.implemented_pct if e.publication else None,
            verified_pct=e.summary.verified_pct if e.publication else None,
        )
        for e in timeline.entries
    ]
    described = "; ".join(
        f"{e.period.label}: {e.summary.implemented_pct}% implemented, {e.summary.verified_pct}% verified"
        if e.publication
        else f"{e.period.label}: not reported"
        for e in timeline.entries
    )
    return progress_chart(
        points,
        title=f"Progress on {timeline.framework.short_title or timeline.framework.title} by period",
        description=described or "No period yet.",
        chart_id=f"chart-{index}",
    )


@public_page
def organisation_view(request: HttpRequest, slug: str) -> tuple[str, str]:
    def build() -> tuple[str, str]:
        page = public_organisation(slug)
        charts = [(t, mark_safe(_chart(t, i))) for i, t in enumerate(page.timelines, start=1)]  # noqa: S308
        return _fragment(
            "public/organisation.html", {"title": page.organisation.name, "page": page, "charts": charts}
        )

    return public_cached("organisation", {"slug": slug}, build)


@public_page
def report_view(
    request: HttpRequest, slug: str, framework: str, period: str, version: int | None = None
) -> tuple[str, str]:
    def build() -> tuple[str, str]:
        page = public_report(slug=slug, framework_key=framework, period_label=period, version=version)
        data = page.data
        title = f"{data['organisation']['name']} · {data['period']['label']}"
        if not page.is_current:
            title += f" · version {page.publication.version}"
        return _fragment("public/report.html", {"title": title, "page": page, "data": data, "legend": LEGEND})

    key = {"slug": slug, "framework": framework, "period": period, "version": str(version)}
    return public_cached("report", key, build)


@public_page
def item_view(
    request: HttpRequest, slug: str, framework: str, period: str, node_id: str, version: int | None = None
) -> tuple[str, str]:
    def build() -> tuple[str, str]:
        page = public_item(
            slug=slug, framework_key=framework, period_label=period, node_id=node_id, version=version
        )
        title = f"{page.node.code or page.node.node_id} · {page.data['organisation']['name']} · {period}"
        return _fragment(
            "public/item.html",
            {
                "title": title,
                "page": page,
                "data": page.data,
                "item": page.item,
                "level": page.level,
                "status_label": status_label(page.item["status"]),
                "verdict_label": verdict_label(page.item["verdict"]),
                "previous_status_label": status_label(page.previous_item["status"])
                if page.previous_item
                else "",
            },
        )

    key = {"slug": slug, "framework": framework, "period": period, "node": node_id, "version": str(version)}
    return public_cached("item", key, build)


def _log_verifier_key() -> str | None:
    try:
        return str(log_verifier_key())
    except ImproperlyConfigured:
        return None


@public_page
def methodology_view(request: HttpRequest) -> tuple[str, str]:
    def build() -> tuple[str, str]:
        return _fragment(
            "public/methodology.html",
            {
                "title": "Methodology",
                "definitions": public_methodology(),
                "levels": ITEM_LEVELS,
                "partly": AssuranceLevel.PARTLY_VERIFIED,
                "statuses": [(status.label, status.definition) for status in ImplementationStatus],
                "signing_root_fingerprint": platform_root_fingerprint(),
                "log_verifier_key": _log_verifier_key(),
                "site_log_url": settings.SITE_URL + reverse("log:checkpoint").rsplit("/", 1)[0],
            },
        )

    return public_cached("methodology", {}, build)


@public_page
def corrections_view(request: HttpRequest) -> tuple[str, str]:
    def build() -> tuple[str, str]:
        return _fragment("public/corrections.html", {"title": "Corrections", "entries": public_corrections()})

    return public_cached("corrections", {}, build)


# --- public evidence files ---------------------------------------------------------------------


@require_safe
def evidence_download_view(
    request: HttpRequest, slug: str, framework: str, period: str, evidence_id: int
) -> HttpResponse:
    """A public file as a published version of the report lists it, as an attachment.

    The bytes are found by the SHA-256 the snapshot holds (storage is content-addressed), so
    what is served is what was published, whatever happened to the live rows since.
    """
    entry = public_evidence_file(
        slug=slug, framework_key=framework, period_label=period, evidence_id=evidence_id
    )
    sha256 = entry["sha256"]
    etag = f'"{sha256}"'
    digest = base64.b64encode(bytes.fromhex(sha256)).decode()
    not_modified = get_conditional_response(request, etag=etag)
    if not_modified is not None:
        response = not_modified
    else:
        try:
            blob = open_blob(content_address(sha256))
        except FileNotFoundError as exc:
            raise Http404("The published file is not in storage.") from exc
        # Named from the published title, not the uploader's file name, which was never published.
        response = evidence_file_response(
            blob, title=entry["title"], sha256=sha256, media_type=entry["media_type"]
        )
        # The SHA-256 the report published, to check the download against (RFC 9530 and RFC 3230).
        response["Repr-Digest"] = f"sha-256=:{digest}:"
        response["Digest"] = f"SHA-256={digest}"
    response["ETag"] = etag
    # Public and immutable (the name is the hash), but not cached for ever.
    response["Cache-Control"] = "public, max-age=3600"
    return response
