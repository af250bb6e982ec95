"""The public transparency site: read-only pages anyone can open, built from published snapshots.

Each page's main content is rendered from a template fragment without the request and cached
(reports.cache) until the next publication; only the site header around it, which knows who is
signed in, is rendered per request.
"""

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from reports import selectors_public as selectors
from reports.cache import public_cached
from reports.svg import BarPoint, progress_chart


def public_page(view: Callable[..., tuple[str, str]]) -> Callable[..., HttpResponse]:
    """GET/HEAD only (405 otherwise) around a function returning the page's (title, body HTML)."""

    # These views change nothing, so a POST is answered 405 rather than a CSRF 403.
    @csrf_exempt
    @require_safe
    def wrapped(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        title, body = view(request, **kwargs)
        return render(request, "public/page.html", {"page_title": title, "body": mark_safe(body)})  # noqa: S308

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _fragment(template: str, context: dict[str, Any]) -> tuple[str, str]:
    # No request: a cached fragment must not depend on who asked for it.
    return context["title"], render_to_string(template, context)


@public_page
def matrix_view(request: HttpRequest) -> tuple[str, str]:
    params = {name: request.GET.get(name, "") for name in ("framework", "period", "principle")}

    def build() -> tuple[str, str]:
        matrix = selectors.public_matrix(
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


def _chart(timeline: selectors.Timeline, index: int) -> str:
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
        page = selectors.public_organisation(slug)
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
        page = selectors.public_report(
            slug=slug, framework_key=framework, period_label=period, version=version
        )
        data = page.data
        title = f"{data['organisation']['name']} · {data['period']['label']}"
        if not page.is_current:
            title += f" · version {page.publication.version}"
        return _fragment(
            "public/report.html", {"title": title, "page": page, "data": data, "legend": selectors.LEGEND}
        )

    key = {"slug": slug, "framework": framework, "period": period, "version": str(version)}
    return public_cached("report", key, build)


@public_page
def item_view(
    request: HttpRequest, slug: str, framework: str, period: str, node_id: str, version: int | None = None
) -> tuple[str, str]:
    def build() -> tuple[str, str]:
        page = selectors.public_item(
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
                "status_label": selectors.status_label(page.item["status"]),
                "verdict_label": selectors.verdict_label(page.item["verdict"]),
                "previous_status_label": selectors.status_label(page.previous_item["status"])
                if page.previous_item
                else "",
            },
        )

    key = {"slug": slug, "framework": framework, "period": period, "node": node_id, "version": str(version)}
    return public_cached("item", key, build)


@public_page
def methodology_view(request: HttpRequest) -> tuple[str, str]:
    def build() -> tuple[str, str]:
        return _fragment(
            "public/methodology.html",
            {
                "title": "Methodology",
                "definitions": selectors.public_methodology(),
                "levels": selectors.ITEM_LEVELS,
                "partly": selectors.PARTLY_VERIFIED,
                "statuses": [(s.label, text) for s, text in selectors.STATUS_DEFINITIONS.items()],
            },
        )

    return public_cached("methodology", {}, build)


@public_page
def corrections_view(request: HttpRequest) -> tuple[str, str]:
    def build() -> tuple[str, str]:
        return _fragment(
            "public/corrections.html", {"title": "Corrections", "entries": selectors.public_corrections()}
        )

    return public_cached("corrections", {}, build)
