import pytest

from commitments.markdown import render_markdown
from commitments.templatetags.pledgeproof import markdown_filter


def test_it_renders_ordinary_markdown():
    html = render_markdown("# Policy\n\nWe **hash-match** uploads.\n\n- one\n- two")

    assert "<h3>Policy</h3>" in html
    assert "<strong>hash-match</strong>" in html
    assert "<li>one</li>" in html


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "Hello <script src=https://evil.test/x.js></script>",
        "<div><script>alert(1)</script></div>",
    ],
)
def test_it_never_outputs_script_tags(text):
    assert "<script" not in render_markdown(text).lower()


@pytest.mark.parametrize(
    "text",
    [
        "![a picture](https://example.test/a.png)",
        '<img src="https://example.test/a.png">',
        "<IMG SRC=x onerror=alert(1)>",
    ],
)
def test_it_never_outputs_images(text):
    assert "<img" not in render_markdown(text).lower()


def test_javascript_links_lose_their_target():
    html = render_markdown("[click](javascript:alert(1)) and <a href='javascript:alert(2)'>raw</a>")

    assert 'href="javascript' not in html
    assert '<a rel="nofollow noopener">click</a>' in html


def test_links_get_nofollow_noopener():
    html = render_markdown("[policy](https://example.test/policy)")

    assert '<a href="https://example.test/policy" rel="nofollow noopener">policy</a>' in html


def test_raw_html_is_shown_as_text_not_passed_through():
    html = render_markdown('<iframe src="https://evil.test"></iframe> <b onclick="x()">bold</b>')

    assert "<iframe" not in html
    assert "<b onclick" not in html
    assert "&lt;iframe" in html


def test_the_template_filter_marks_only_sanitised_output_safe():
    html = markdown_filter("<script>alert(1)</script>")

    assert "<script" not in html
    assert html == render_markdown("<script>alert(1)</script>")
