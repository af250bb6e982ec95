"""Markdown written by organisations, rendered to HTML that is safe to show to anyone.

Two layers: Markdown's raw-HTML handling is switched off, so `<script>` typed into a narrative
comes out as visible text; then nh3 keeps only a small set of tags and attributes. Images are
never rendered (the platform must never display pictures uploaded or linked by users), links
get rel="nofollow noopener" and only http(s)/mailto targets survive.

Limits. Python-Markdown recurses once per level of lists and quotes (a few hundred levels raise
RecursionError), its link parser rescans the rest of a paragraph for every "[" left open (a few
thousand take minutes), and WeasyPrint's layout recurses once per nested element. So the services
refuse text over the limits below when it is saved (`markdown_problems`, measured from the text
itself: running the parser to find out would be the very thing that fails). Rendering never
raises, whatever is stored (rows and published snapshots older than the limits): text over the
limits, text whose rendering fails, and output nested deeper than a PDF can lay out are shown as
escaped plain text, and a warning is logged.
"""

import logging
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import markdown as md
import nh3
from django.utils.html import linebreaks
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

from commitments.errors import ValidationFailed

logger = logging.getLogger(__name__)

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "b", "i", "code", "pre", "blockquote", "ul", "ol", "li", "a",
    "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}
# Narratives sit under the page's own h1/h2, so their headings start at h3.
HEADING_SHIFT = 2

# --- limits on what people write ------------------------------------------------------------
# Far above any real narrative (a long one is a few thousand characters, lists nest three or four
# levels), far below what breaks the parser or WeasyPrint (tests render the deepest allowed text).
MAX_CHARS = 20_000
MAX_NESTING = 20  # lists, quotes and indented blocks inside one another
MAX_INLINE_NESTING = 20  # emphasis and links inside one another, within a paragraph
# For each "[" or "`", Python-Markdown reads on to the closing one, or to the end of the paragraph
# when there is none: 32 of them in a paragraph of MAX_CHARS render in about 0.4 s.
MAX_OPENERS = 32
MAX_BREAKS = 50  # headings and rules with no blank line between them: each rescans the paragraph
# WeasyPrint's layout fails at about 135 nested blocks (fewer with the page around them).
# Accepted text stays under this (two elements per list level, a table, the inline levels);
# rendered output deeper than this, from text stored before the limits, is shown as plain text.
MAX_HTML_DEPTH = 80
TAB_LENGTH = 4  # Python-Markdown's: four columns of indentation open one level

NESTING_HELP = "lists inside lists, quotes inside quotes, indented blocks"
INLINE_HELP = "emphasis and links inside one another"


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


# --- measuring text without parsing it ---------------------------------------------------------


@dataclass
class TextShape:
    """The largest measures of a text, each with the line (1-based) where it is reached."""

    nesting: int = 0  # lists, quotes, indentation
    nesting_line: int = 0
    inline_nesting: int = 0  # emphasis, brackets, link targets
    inline_nesting_line: int = 0
    openers: int = 0  # "[" and "`" in one paragraph or list item
    openers_line: int = 0
    breaks: int = 0  # headings and rules with no blank line between them
    breaks_line: int = 0

    def note(self, measure: str, value: int, line: int) -> None:
        if value > getattr(self, measure):
            setattr(self, measure, value)
            setattr(self, f"{measure}_line", line)


# A quote marker, or a list marker followed by a space or the end of the line, with the spaces
# before it and the one space after it that belongs to the marker.
_BLOCK_MARKER = re.compile(r"( *)(?:>|(?:[*+-]|\d{1,9}[.)])(?= |$)) ?")
_QUOTE_MARKERS = re.compile(r"[ >]*")
# A list item as Python-Markdown (sane_lists) starts one: group 1 is set for a bulleted list.
_LIST_ITEM = re.compile(r"(?:([*+-])|\d{1,9}\.) ")
# Lines Python-Markdown splits a block at, rescanning the rest: headings, rules, underlines.
_BREAK_LINE = re.compile(r"#|[-*_=][-*_= ]*$")
# A rule or an underline: a block of its own, never read for emphasis.
_RULE_LINE = re.compile(r"([-*_])(?: *\1){2,} *$|=+ *$|-+ *$")
_INLINE_TOKEN = re.compile(r"\\`+|\\.|`+|[\[\]()]|\*+|_+")
_WORD = re.compile(r"\w")


def _block_depth(line: str) -> int:
    """Quote and list markers at the start of the line, plus its indentation in TAB_LENGTH steps.

    Conservative: every marker counts as a level, and so does indentation that Python-Markdown
    might read as a nested list rather than as code.
    """
    depth = indent = position = 0
    while (marker := _BLOCK_MARKER.match(line, position)) and marker.end() > position:
        indent += len(marker.group(1))
        depth += 1
        position = marker.end()
    rest = line[position:]
    content = rest.lstrip(" ")
    if content:
        indent += len(rest) - len(content)
    return depth + indent // TAB_LENGTH


@dataclass
class _InlineRun:
    """One stretch of text Python-Markdown parses inline as a whole: a paragraph or a list item."""

    first_line: int
    list_kind: str  # "ul" or "ol" when the run is a list item, else ""
    openers: int = 0
    brackets: int = 0  # "[" open
    parens: list[bool] = field(default_factory=list)  # per open "(": is it a link target "]("?
    links: int = 0  # link targets open
    emphasis: int = 0  # levels of emphasis possibly open

    def feed(self, line: str, number: int, shape: TextShape) -> None:
        if _RULE_LINE.match(line, _QUOTE_MARKERS.match(line).end()):
            return
        closed_at = -2  # column of the last "]" on this line that closed a bracket
        for token in _INLINE_TOKEN.finditer(line):
            text, start = token.group(), token.start()
            if text[0] == "\\":
                # "\[" is literal; after "\`" the backticks that follow can still open code.
                self.openers += len(text) - 2 if text[1] == "`" else 0
                continue
            if text[0] == "`":
                self.openers += len(text)
            elif text == "[":
                self.openers += 1
                self.brackets += 1
            elif text == "]":
                if self.brackets:
                    self.brackets -= 1
                    closed_at = start
            elif text == "(":
                self.parens.append(closed_at == start - 1)
                self.links += self.parens[-1]
            elif text == ")":
                if self.parens:
                    self.links -= self.parens.pop()
            else:
                self._emphasis(line, token)
                if text[0] == "*":
                    # A run of n may open n levels, and the parser tries it once per star (an
                    # underscore run is tried once: it may not start inside a word).
                    shape.note("inline_nesting", len(text), number)
            shape.note("inline_nesting", self.emphasis + self.brackets + self.links, number)

    def _emphasis(self, line: str, token: re.Match) -> None:
        """Delimiter runs as Python-Markdown classifies them: opening, closing or both."""
        before = line[token.start() - 1] if token.start() else " "
        after = line[token.end()] if token.end() < len(line) else " "
        can_open, can_close = not after.isspace(), not before.isspace()
        if token.group()[0] == "_":  # underscores inside a word are letters, not emphasis
            can_open = can_open and not _WORD.match(before)
            can_close = can_close and not _WORD.match(after)
        size = len(token.group())
        if can_close and self.emphasis:
            self.emphasis -= min(size, self.emphasis)
        elif can_open:
            self.emphasis += size

    def end(self, shape: TextShape) -> None:
        shape.note("openers", self.openers, self.first_line)


def _list_kind(line: str, content: int) -> str:
    item = _LIST_ITEM.match(line, content)
    return "" if item is None else "ul" if item.group(1) else "ol"


def text_shape(text: str) -> TextShape:
    """How deeply `text` nests and how much its paragraphs make the parser rescan, in one pass."""
    shape = TextShape()
    run: _InlineRun | None = None
    block_start = breaks = 0  # the current block (up to a blank line) and its heading/rule lines
    # Line breaks and blank lines as Python-Markdown sees them (a line of spaces is blank).
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for number, raw in enumerate(lines, start=1):
        line = raw.expandtabs(TAB_LENGTH)
        if not line.strip(" "):
            if run:
                run.end(shape)
            shape.note("breaks", breaks, block_start)
            run, breaks = None, 0
            continue
        shape.note("nesting", _block_depth(line), number)
        content = _QUOTE_MARKERS.match(line).end()
        breaks += bool(_BREAK_LINE.match(line, content))
        kind = _list_kind(line, content)
        # Each item of a list is parsed on its own; a paragraph runs on to the next blank line.
        if run is None or (kind and kind == run.list_kind):
            if run:
                run.end(shape)
            else:
                block_start = number
            run = _InlineRun(first_line=number, list_kind=kind)
        run.feed(line, number, shape)
    if run:
        run.end(shape)
    shape.note("breaks", breaks, block_start)
    return shape


def plain_text_problems(text: str) -> list[str]:
    """Why `text` cannot be saved as a plain-text field (a justification, a comment, a reason)."""
    if len(text) > MAX_CHARS:
        return [f"Text is limited to {MAX_CHARS:,} characters; this text has {len(text):,}."]
    return []


def markdown_problems(text: str) -> list[str]:
    """Why `text` cannot be saved as Markdown (a narrative); empty when it is within every limit."""
    too_long = plain_text_problems(text)
    if too_long:
        return too_long  # measuring the rest of an over-long text would be wasted work
    shape = text_shape(text)
    problems = []
    if shape.nesting > MAX_NESTING:
        problems.append(
            f"Nesting is limited to {MAX_NESTING} levels ({NESTING_HELP}); "
            f"this text nests {shape.nesting} levels at line {shape.nesting_line}."
        )
    if shape.inline_nesting > MAX_INLINE_NESTING:
        problems.append(
            f"Formatting is limited to {MAX_INLINE_NESTING} levels ({INLINE_HELP}); "
            f"this text nests {shape.inline_nesting} levels at line {shape.inline_nesting_line}."
        )
    if shape.openers > MAX_OPENERS:
        problems.append(
            f"A paragraph or list item may hold at most {MAX_OPENERS} of the characters “[” and “`” "
            f"(each makes the formatter read the rest of the paragraph again); the one at line "
            f"{shape.openers_line} holds {shape.openers}. Split it with blank lines, or write them "
            "as \\[ and \\`."
        )
    if shape.breaks > MAX_BREAKS:
        problems.append(
            f"A paragraph may hold at most {MAX_BREAKS} headings or rules (lines of #, -, *, _ or =) "
            f"with no blank line between them; the paragraph at line {shape.breaks_line} holds "
            f"{shape.breaks}. Put blank lines between them."
        )
    return problems


def plain_text_check(text: str, *, field: str) -> None:
    """For services saving one plain text: ValidationFailed naming `field` when it is too long."""
    problems = plain_text_problems(text)
    if problems:
        raise ValidationFailed(problems[0], {field: problems})


# --- rendering -----------------------------------------------------------------------------------

_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)")
_VOID_TAGS = {"br", "hr", "img", "wbr", "col", "input", "meta", "link", "source", "area", "embed"}


def html_depth(html: str) -> int:
    """How deeply elements nest in nh3's output (it escapes every "<" that is not a tag)."""
    depth = deepest = 0
    for tag in _TAG.finditer(html):
        if tag.group(2).lower() in _VOID_TAGS:
            continue
        if tag.group(1):
            depth -= 1
        else:
            depth += 1
            deepest = max(deepest, depth)
    return deepest


def plain_text_html(text: str) -> str:
    """`text` escaped, as paragraphs with line breaks: what is shown when Markdown cannot be."""
    return linebreaks(text, autoescape=True)


def _markdown_to_html(text: str) -> str:
    html = md.markdown(text, extensions=["sane_lists", "tables", _SafeMarkdown()])
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener",
        strip_comments=True,
    )


def render_markdown(text: str) -> str:
    """Markdown → sanitised HTML (a string; mark it safe only after this). Never raises."""
    if not text:
        return ""
    problems = markdown_problems(text)
    if problems:
        logger.warning("Markdown shown as plain text, over the limits: %s", problems[0])
        return plain_text_html(text)
    try:
        html = _markdown_to_html(text)
    except Exception as exc:  # noqa: BLE001 - whatever the parser does, the page must still show
        logger.warning("Markdown shown as plain text, rendering failed: %s", type(exc).__name__)
        return plain_text_html(text)
    depth = html_depth(html)
    if depth > MAX_HTML_DEPTH:
        logger.warning("Markdown shown as plain text, its HTML nests %d elements deep", depth)
        return plain_text_html(text)
    return html
