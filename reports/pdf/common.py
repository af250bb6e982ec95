"""Pieces every PDF shares: the cover's QR code, the verification facts, item display rows.

The documents use the public site's words (commitments.vocabulary): the same status labels and
the same assurance levels with their symbols, so a PDF never words a claim differently from the
web page it mirrors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import segno
from django.conf import settings
from django.utils.safestring import SafeString, mark_safe

from commitments.markdown import render_markdown
from commitments.models import FrameworkNode
from commitments.vocabulary import (
    ITEM_LEVELS,
    NO_VERDICT,
    AssuranceLevel,
    ImplementationStatus,
    status_label,
    verdict_label,
)
from reports.public.frameworks import Group, framework_groups
from reports.public.snapshots import item_level
from reports.public.summaries import Summary


def qr_data_uri(text: str) -> str:
    """A QR code of `text` as an SVG data: URL (the PDF fetcher serves data: URLs, nothing remote)."""
    return segno.make(text, error="m").svg_data_uri(scale=4, border=2, dark="#111111")


def verification_context(manifest: dict[str, Any]) -> dict[str, Any]:
    """What the cover and the 'How to verify' section print, taken from the manifest itself."""
    from reports.pdf.signing import signing_material

    url = manifest["document"]["verification_url"]
    return {
        "verification_url": url,
        "verify_page_url": f"{settings.SITE_URL}/verify/",
        "root_pem_url": f"{settings.SITE_URL}/verify/root.pem",
        "schema_url": manifest["schema"],
        "qr_data_uri": qr_data_uri(url),
        "root_fingerprint": signing_material().root_fingerprint,
        "signer_fingerprint": manifest["signing_certificate_sha256"],
        "ledger": manifest["ledger"],
    }


def status_definitions() -> list[tuple[str, str, str]]:
    """(code, label, definition) of every implementation status, in the framework's order."""
    return [(s.code, s.label, s.definition) for s in ImplementationStatus]


def reading_guide() -> dict[str, Any]:
    """The assurance levels and statuses, with their definitions, for 'How to read this report'."""
    return {"levels": ITEM_LEVELS, "statuses": status_definitions()}


def markdown_html(text: str) -> SafeString:
    # render_markdown escapes raw HTML, drops images and keeps only a small allow-list of tags.
    return mark_safe(render_markdown(text))  # noqa: S308 - sanitised by commitments.markdown


@dataclass
class ItemView:
    """One reportable item as a document prints it."""

    node: FrameworkNode
    item: dict[str, Any] | None  # the item dict (snapshot shape); None when the report lacks it
    anchor: str
    extra: dict[str, Any] = field(default_factory=dict)  # audit-only details

    @property
    def code(self) -> str:
        return self.node.code or self.node.node_id

    @property
    def level(self) -> AssuranceLevel:
        # An unanswered item of a report still in draft is not a claim at all.
        if self.item is None or not self.item.get("status"):
            return AssuranceLevel.NOT_REPORTED
        return item_level(self.item)

    @property
    def status_label(self) -> str:
        return status_label(self.item["status"]) if self.item else AssuranceLevel.NOT_REPORTED.label

    @property
    def verdict_label(self) -> str:
        return verdict_label(self.item.get("verdict")) if self.item else NO_VERDICT.label

    @property
    def narrative_html(self) -> SafeString:
        return markdown_html(self.item.get("narrative", "")) if self.item else mark_safe("")

    @property
    def areas_html(self) -> SafeString:
        return markdown_html(self.item.get("areas_needing_progress", "")) if self.item else mark_safe("")


@dataclass
class GroupView:
    group: Group
    anchor: str
    items: list[ItemView]
    summary: Summary

    @property
    def label(self) -> str:
        return self.group.label

    @property
    def path(self) -> str:
        """The group's ancestors (a phase), e.g. 'Develop'."""
        return " › ".join(a.title for a in self.group.ancestors)


def group_views(framework_id: int, items: dict[str, dict[str, Any]]) -> list[GroupView]:
    """The framework's principles in order, each with its items looked up by node id."""
    views = []
    nodes = FrameworkNode.objects.filter(framework_id=framework_id).order_by("position")
    for index, group in enumerate(framework_groups(nodes), start=1):
        rows = [
            ItemView(node=node, item=items.get(node.node_id), anchor=f"item-{index}-{position}")
            for position, node in enumerate(group.items, start=1)
        ]
        views.append(
            GroupView(
                group=group,
                anchor=f"group-{index}",
                items=rows,
                summary=Summary.of(row.item for row in rows),
            )
        )
    return views
