"""No served template holds code or styles inline (issue 10, item 6).

The Content-Security-Policy refuses inline scripts, event-handler attributes, style="" attributes,
<style> blocks and javascript: URLs, so any of them in a template would be silently broken in the
browser. This scan fails first, naming the file and line. Templates under pdf/ (rendered to PDF
by WeasyPrint on the server) and emails/ (sent, never served as a page) are not pages and are
not scanned.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings

NOT_SERVED = {"pdf", "emails"}
PROJECT_APPS = ("accounts", "commitments", "reports")

# What the policy refuses, as it would be written in a template. Attributes count only inside a tag.
_IN_TAG = r"<[a-z][^>]*?\s"
INLINE_CODE = {
    "inline <script> (no src)": re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>", re.IGNORECASE),
    "event-handler attribute": re.compile(_IN_TAG + r"on[a-z]+\s*=", re.IGNORECASE),
    "htmx inline handler (hx-on)": re.compile(_IN_TAG + r"(?:data-)?hx-on\b", re.IGNORECASE),
    "style attribute": re.compile(_IN_TAG + r"style\s*=", re.IGNORECASE),
    "<style> block": re.compile(r"<style\b", re.IGNORECASE),
    "javascript: URL or js: expression": re.compile(r"=\s*[\"']?\s*(?:javascript|js)\s*:", re.IGNORECASE),
}
# Django template comments are never sent to the browser ({# #} ends on its own line).
TEMPLATE_COMMENT = re.compile(r"\{#[^\n]*?#\}|\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}", re.DOTALL)


def served_templates() -> list[Path]:
    root = Path(settings.BASE_DIR)
    folders = [root / "templates", *(root / app / "templates" for app in PROJECT_APPS)]
    return sorted(
        path
        for folder in folders
        if folder.is_dir()
        for path in folder.rglob("*.html")
        if path.relative_to(folder).parts[0] not in NOT_SERVED
    )


def inline_code(text: str) -> list[tuple[int, str, str]]:
    """(line, kind, excerpt) for every piece of inline code in a template's text."""
    # Blank out comments but keep their newlines, so that line numbers still match the file.
    text = TEMPLATE_COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text)
    found = []
    for kind, pattern in INLINE_CODE.items():
        for match in pattern.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.append((line, kind, text[match.start() : match.end() + 40].strip()))
    return sorted(found)


TEMPLATES = served_templates()


def test_the_scan_covers_the_served_templates():
    names = {path.relative_to(settings.BASE_DIR).as_posix() for path in TEMPLATES}
    assert "templates/base.html" in names
    assert "templates/workspace/report_edit.html" in names
    assert not any("/pdf/" in name or "/emails/" in name for name in names)
    assert len(names) >= 40


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda path: path.relative_to(settings.BASE_DIR).as_posix())
def test_a_served_template_holds_no_inline_code(path):
    problems = [f"line {line}: {kind}: {excerpt}" for line, kind, excerpt in inline_code(path.read_text())]
    assert problems == [], f"{path.relative_to(settings.BASE_DIR)}:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    "snippet,kind",
    [
        ("<script>alert(1)</script>", "inline <script> (no src)"),
        ('<SCRIPT type="module">import "x"</SCRIPT>', "inline <script> (no src)"),
        ('<select name="period" onchange="this.form.requestSubmit()">', "event-handler attribute"),
        ("<img src=x OnError=alert(1)>", "event-handler attribute"),
        ('<button hx-on:click="alert(1)">', "htmx inline handler (hx-on)"),
        ('<div data-hx-on--after-request="go()">', "htmx inline handler (hx-on)"),
        ('<span style="width: 40%">', "style attribute"),
        ("<p\nstyle='margin:0'>", "style attribute"),
        ("<style>\n  .x { color: red }\n</style>", "<style> block"),
        ('<a href="javascript:void(0)">', "javascript: URL or js: expression"),
        ("<form hx-vals='js:{a: b()}'>", "javascript: URL or js: expression"),
    ],
)
def test_the_scan_finds_each_kind_of_inline_code(snippet, kind):
    assert kind in {found_kind for _, found_kind, _ in inline_code(f"<div>\n{snippet}\n</div>")}


def test_the_scan_lets_static_files_and_comments_through():
    text = """{% load static %}
<script src="{% static 'js/autosubmit.js' %}" defer></script>
<link rel="stylesheet" href="{% static 'css/app.css' %}">
{# a <style> block or style="" attribute here is only a comment #}
{% comment %}<script>not sent</script>{% endcomment %}
<p class="flush">Someone = one=two, and a stylesheet.</p>
<progress class="progress" max="3" value="1" aria-label="Items answered"></progress>"""
    assert inline_code(text) == []
