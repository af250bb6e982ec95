"""Narrative limits (commitments.markdown): what is refused when saved, and rendering that never raises."""

import logging
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from commitments import markdown as markdown_module
from commitments.markdown import (
    MAX_CHARS,
    MAX_HTML_DEPTH,
    MAX_NESTING,
    html_depth,
    markdown_problems,
    plain_text_problems,
    render_markdown,
)
from tests.hostile_text import DEEPEST_ACCEPTED, deep_nesting, hostile_markdown, nested_blocks

FRAMEWORKS = Path(__file__).resolve().parents[2] / "commitments" / "frameworks"
EVENT_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)


def assert_safe_html(html: str) -> None:
    lowered = html.lower()
    assert "<script" not in lowered
    assert "<img" not in lowered
    assert "<iframe" not in lowered
    assert not EVENT_HANDLER.search(html)
    assert html_depth(html) <= MAX_HTML_DEPTH


# --- what is refused ------------------------------------------------------------------------------


@pytest.mark.parametrize("levels", [300, 5_000])
@pytest.mark.parametrize("kind", list(deep_nesting(1)))
def test_it_refuses_deep_nesting_naming_the_limit_the_depth_and_the_line(kind, levels):
    text = "An ordinary first line.\n\n" + deep_nesting(levels)[kind]

    problems = markdown_problems(text)

    assert len(problems) == 1
    assert problems[0].startswith(f"Nesting is limited to {MAX_NESTING} levels (lists inside lists")
    assert re.search(r"this text nests \d{3,4} levels at line 3\.$", problems[0])


def test_it_counts_nesting_built_line_by_line_with_indentation():
    text = "\n".join("    " * level + "- item" for level in range(MAX_NESTING + 1))

    assert markdown_problems(text) == [
        f"Nesting is limited to {MAX_NESTING} levels (lists inside lists, quotes inside quotes, "
        f"indented blocks); this text nests {MAX_NESTING + 1} levels at line {MAX_NESTING + 1}."
    ]


def test_it_refuses_text_over_the_length_limit_in_characters():
    assert markdown_problems("a" * (MAX_CHARS + 1)) == [
        "Text is limited to 20,000 characters; this text has 20,001."
    ]
    assert markdown_problems("a" * MAX_CHARS) == []


def test_it_refuses_emphasis_and_links_nested_too_deeply():
    text = "*a _b " * 30 + "x" + " b_ a*" * 30

    (problem,) = markdown_problems(text)

    assert problem.startswith("Formatting is limited to 20 levels (emphasis and links inside one another)")


@pytest.mark.parametrize(
    "text",
    [
        "[" * 5_000,  # each "[" makes the link parser read to the end of the paragraph
        "[](" * 2_000,
        "[a " * 300 + "x" + "](https://example.test/)" * 300,
        "``]``" * 4_000,  # backtick runs that never pair
        "\\``x" * 5_000,
    ],
)
def test_it_refuses_paragraphs_the_parser_would_rescan_once_per_bracket(text):
    problems = markdown_problems(text)

    assert any("may hold at most 32 of the characters “[” and “`”" in p for p in problems)


def test_it_refuses_thousands_of_rules_and_headings_without_blank_lines():
    (problem,) = markdown_problems("***\n" * 2_000)

    assert problem.startswith("A paragraph may hold at most 50 headings or rules")


def test_it_refuses_a_very_long_run_of_stars_inside_a_paragraph():
    assert markdown_problems("word " + "*" * 5_000 + " word")


def test_literal_brackets_written_with_a_backslash_do_not_count():
    assert markdown_problems("\\[" * 1_000 + "\\`" * 1_000) == []


def test_a_list_of_many_links_is_fine_because_each_item_is_parsed_on_its_own():
    text = "\n".join(f"- [Policy {n}](https://example.test/{n}) with `code {n}`" for n in range(200))

    assert markdown_problems(text) == []


def test_a_rule_made_of_many_stars_is_not_emphasis():
    assert markdown_problems("Above\n\n" + "*" * 500 + "\n\nBelow") == []


def test_ordinary_rich_narratives_are_within_every_limit():
    text = (
        "## Scope\n\nWe hash-match **every** upload against [NCMEC](https://example.test/ncmec "
        '"hash lists") and *industry* lists, see `pdq_match()` and snake_case_names.\n\n'
        "- Images\n    - Stills\n        - Thumbnails\n            - Cached copies\n- Video\n\n"
        "1. First\n2. Second\n\n> Quoted *policy* text, with a [link](https://example.test/).\n\n"
        "| Surface | Coverage |\n|---|---|\n| Upload | 100% |\n\n---\n\nIt's 5*3*2 = 30, isn't it?"
    )

    assert markdown_problems(text) == []
    html = render_markdown(text)
    assert "<ul>" in html and "<table>" in html and "<strong>every</strong>" in html


def test_the_deepest_accepted_text_is_accepted_and_really_is_deep():
    assert markdown_problems(DEEPEST_ACCEPTED) == []
    html = render_markdown(DEEPEST_ACCEPTED)
    assert "<table>" in html
    assert 50 <= html_depth(html) <= MAX_HTML_DEPTH


def test_the_guidance_shipped_in_the_framework_files_is_within_the_same_limits():
    texts = []
    for path in sorted(FRAMEWORKS.glob("*.yaml")):
        for node in yaml.safe_load(path.read_text())["nodes"]:
            texts += [value for value in node.values() if isinstance(value, str)]

    assert len(texts) > 100
    assert [t for t in texts if markdown_problems(t)] == []


def test_plain_text_fields_have_the_length_limit_only():
    assert plain_text_problems(">" * 5_000) == []
    assert plain_text_problems("a" * (MAX_CHARS + 5)) == [
        "Text is limited to 20,000 characters; this text has 20,005."
    ]


# --- rendering never raises ----------------------------------------------------------------------


@pytest.mark.parametrize("levels", [300, 5_000])
@pytest.mark.parametrize("kind", list(deep_nesting(1)))
def test_stored_deep_nesting_renders_as_escaped_plain_text_with_a_warning(kind, levels, caplog):
    text = deep_nesting(levels)[kind] + "\n\n<script>alert(1)</script>"

    with caplog.at_level(logging.WARNING, logger="commitments.markdown"):
        html = render_markdown(text)

    assert html.startswith("<p>")
    assert "<blockquote>" not in html and "<li>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "the deepest" in html or "deepest_code()" in html
    assert "Markdown shown as plain text, over the limits: Nesting is limited" in caplog.text


def test_stored_text_over_the_length_limit_renders_in_full_as_plain_text():
    text = "A *long* narrative.\n" + "x" * (2 * MAX_CHARS)

    html = render_markdown(text)

    assert html == "<p>A *long* narrative.<br>" + "x" * (2 * MAX_CHARS) + "</p>"


def test_quadratic_inputs_are_shown_as_plain_text_without_running_the_parser(monkeypatch):
    def parser_must_not_run(text):
        raise AssertionError("the parser ran on text over the limits")

    monkeypatch.setattr(markdown_module, "_markdown_to_html", parser_must_not_run)

    for text in ["[" * 8_000, "``]``" * 4_000, "***\n" * 5_000, "a " + "*" * 20_000]:
        assert render_markdown(text).startswith("<p>")


def test_a_parser_failure_is_shown_as_plain_text_with_a_warning(monkeypatch, caplog):
    def failing_parser(text, **options):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(markdown_module.md, "markdown", failing_parser)

    with caplog.at_level(logging.WARNING, logger="commitments.markdown"):
        html = render_markdown("# Title\n\nA <b>bold</b> claim\nsecond line")

    assert html == "<p># Title</p>\n\n<p>A &lt;b&gt;bold&lt;/b&gt; claim<br>second line</p>"
    assert "rendering failed: RecursionError" in caplog.text


def test_html_nested_deeper_than_a_pdf_can_lay_out_is_shown_as_plain_text(monkeypatch, caplog):
    monkeypatch.setattr(markdown_module, "MAX_HTML_DEPTH", 5)

    with caplog.at_level(logging.WARNING, logger="commitments.markdown"):
        html = render_markdown("- - - - x")

    assert html == "<p>- - - - x</p>"
    assert "its HTML nests 8 elements deep" in caplog.text


def test_html_depth_ignores_angle_brackets_in_escaped_text_and_void_elements():
    assert html_depth("<p>a &lt;b&gt; <br> c<em>d</em></p><hr>") == 2


# --- properties ---------------------------------------------------------------------------------------


@settings(max_examples=150)
@given(st.text())
def test_any_text_renders_to_safe_html(text):
    assert_safe_html(render_markdown(text))


@settings(max_examples=60)
@given(hostile_markdown)
def test_deep_or_pathological_markdown_renders_to_safe_html(text):
    markdown_problems(text)  # measuring never raises either
    assert_safe_html(render_markdown(text))


@settings(max_examples=80)
@given(nested_blocks)
def test_text_within_the_limits_renders_as_markdown_never_as_the_fallback(text):
    assume(not markdown_problems(text))
    html = render_markdown(text)
    assert html == markdown_module._markdown_to_html(text)
    assert html_depth(html) <= MAX_HTML_DEPTH


def test_blanks_to_fill_in_written_with_underscores_are_fine():
    assert markdown_problems("Signed: " + "_" * 60 + "  Date: " + "_" * 30) == []
