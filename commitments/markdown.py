"""Markdown written by organisations, rendered to HTML that is safe to show to anyone.

Two layers: Markdown's raw-HTML handling is switched off, so `<script>` typed into a narrative
comes out as visible text; then nh3 keeps only a small set of tags and attributes. Images are
never rendered (the platform must never display pictures uploaded or linked by users), links
get rel="nofollow noopener" and only http(s)/mailto targets survive.
"""

import xml.etree.ElementTree as ET

import markdown as md
import nh3
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "b", "i", "code", "pre", "blockquote", "ul", "ol", "li", "a",
    "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}
# Narratives sit under the page's own h1/h2, so their headings start at h3.
HEADING_SHIFT = 2


class _DemoteHeadings(Treeprocessor):
    def run(self, root: ET.Element) -> None:
        for element in root.iter():
            if len(element.tag) == 2 and element.tag[0] == "h" and element.tag[1].isdigit():
                element.tag = f"h{min(6, int(element.tag[1]) + HEADING_SHIFT)}"


class _SafeMarkdown(Extension):
    def extendMarkdown(self, md_instance: md.Markdown) -> None:  # noqa: N802 (Markdown's API)
        # Raw HTML blocks and inline tags become escaped text instead of markup.
        md_instance.preprocessors.deregister("html_block")
        md_instance.inlinePatterns.deregister("html")
        for name in ("image_link", "image_reference", "short_image_ref"):
            if name in md_instance.inlinePatterns:
                md_instance.inlinePatterns.deregister(name)
        md_instance.treeprocessors.register(_DemoteHeadings(md_instance), "demote_headings", 5)


def render_markdown(text: str) -> str:
    """Markdown → sanitised HTML (a string; mark it safe only after this)."""
    if not text:
        return ""
    html = md.markdown(text, extensions=["sane_lists", "tables", _SafeMarkdown()])
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener",
        strip_comments=True,
    )
