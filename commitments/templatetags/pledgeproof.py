"""Template helpers: sanitised Markdown and the badge classes used for states."""

from decimal import Decimal

from django import template
from django.utils.safestring import mark_safe

from commitments.markdown import render_markdown

register = template.Library()

_REPORT_BADGES = {
    "draft": "",
    "submitted": "info",
    "in_review": "info",
    "changes_requested": "warn",
    "verified": "ok",
    "published": "ok",
}
_VERDICT_BADGES = {
    "verified": "ok",
    "partially_verified": "info",
    "not_verified": "bad",
    "needs_information": "warn",
}
_ITEM_BADGES = {
    "": "bad",
    "not_started": "bad",
    "planned": "warn",
    "in_progress": "info",
    "implemented": "ok",
    "not_applicable": "",
}


@register.filter(name="markdown")
def markdown_filter(text: str) -> str:
    # render_markdown sanitises with nh3, which is what makes mark_safe correct here.
    return mark_safe(render_markdown(text or ""))  # noqa: S308


@register.filter
def report_badge(status: str) -> str:
    """CSS class of the badge for a report state."""
    return _REPORT_BADGES.get(status, "")


@register.filter
def item_badge(status: str) -> str:
    """CSS class of the badge for an item's implementation status."""
    return _ITEM_BADGES.get(status or "", "")


@register.filter
def verdict_badge(verdict: str) -> str:
    """CSS class of the badge for a reviewer's verdict."""
    return _VERDICT_BADGES.get(verdict or "", "")


@register.filter
def short_hash(value: str, length: int = 12) -> str:
    return (value or "")[: int(length)]


@register.filter
def plain_number(value: Decimal | None) -> str:
    """12.0000 → '12'; the database keeps four decimals, people read the number."""
    if value is None:
        return ""
    text = format(Decimal(value), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
