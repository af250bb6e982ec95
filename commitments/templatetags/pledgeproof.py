"""Template helpers: sanitised Markdown, and the badges of states, statuses and verdicts.

The badges' colours and words are commitments.vocabulary's, so every page shows the same badge
for the same word.
"""

from decimal import Decimal

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from commitments.markdown import render_markdown
from commitments.vocabulary import NO_REPORT, ReportStatus, status_badge, verdict_badge

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str) -> str:
    # render_markdown sanitises with nh3, which is what makes mark_safe correct here.
    return mark_safe(render_markdown(text or ""))  # noqa: S308


@register.filter
def report_state(report) -> SafeString:
    """The badge of a report's state; None, a period with no report yet, reads "Not started"."""
    word = NO_REPORT if report is None else ReportStatus(report.status)
    return format_html('<span class="badge {}">{}</span>', word.badge, word.label)


@register.filter
def item_badge(status: str) -> str:
    """CSS class of the badge for an item's implementation status ("" is unanswered)."""
    return status_badge(status)


@register.filter(name="verdict_badge")
def verdict_badge_filter(verdict: str) -> str:
    """CSS class of the badge for a reviewer's verdict."""
    return verdict_badge(verdict)


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
