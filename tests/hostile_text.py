"""Hostile Markdown for the narrative tests: deep nesting, inputs that make the parser slow or
recursive, and the deepest text the limits still accept. Shared by the page and PDF tests."""

from hypothesis import strategies as st

from commitments.markdown import MAX_NESTING


def deep_nesting(levels: int) -> dict[str, str]:
    """Texts nesting `levels` deep: quotes, bullets, numbers, all three mixed, indented code."""
    return {
        "quotes": ">" * levels + " the deepest quote",
        "bullets": "- " * levels + "the deepest bullet",
        "numbers": "1. " * levels + "the deepest number",
        "mixed": "> - 1. " * (levels // 3) + "the deepest mixture",
        "indented code": "\t" * levels + "deepest_code()",  # a tab is four columns of indentation
    }


# The deepest text the limits accept: lists and quotes MAX_NESTING deep, emphasis and a link
# nested to the inline limit inside a list almost as deep, and a table at the bottom of a list.
DEEPEST_INLINE = "**a __b " * 4 + "[c *d _e deepest e_ d*](https://example.test/)" + " b__ a**" * 4
DEEPEST_ACCEPTED = "\n\n".join(
    [
        "- " * MAX_NESTING + "deepest bullet",
        "> " * MAX_NESTING + "deepest quote",
        "- " * (MAX_NESTING - 1) + DEEPEST_INLINE,
        "- " * (MAX_NESTING - 1) + "list with a table",
        "\n".join(
            "    " * (MAX_NESTING - 1) + row
            for row in ("| a | b |", "|---|---|", f"| {DEEPEST_INLINE} | c |")
        ),
    ]
)

_MARKERS = [">", "> ", "- ", "* ", "+ ", "1. ", "2) ", "    ", "\t", "  "]
# Pieces that once made Python-Markdown recurse or rescan a paragraph for each of them.
_ATOMS = [
    "[", "]", "(", ")", "](", "[a](", "`", "``", "\\`", "*", "**", "_", "__", "\\", "<", "&#", "#",
    "'", '"', "a", " ", "\n", "\n\n", "***\n", "=\n", "-\n", "|", "|-|\n", "<http://", "![", "> ",
    "<script>", "<img src=x onerror=alert(1)>", "javascript:",
]  # fmt: skip

# Markers repeated up to 5,000 levels on one line, then arbitrary text.
nested_markers = st.builds(
    lambda markers, depth, tail: "".join(markers) * depth + tail,
    st.lists(st.sampled_from(_MARKERS), min_size=1, max_size=4),
    st.integers(min_value=0, max_value=5_000),
    st.text(max_size=20),
)
# One line per level, each indented (or quoted) once more than the last.
nested_lines = st.builds(
    lambda marker, indent, depth: "\n".join(indent * level + marker + "x" for level in range(depth)),
    st.sampled_from(["- ", "1. ", "> ", ""]),
    st.sampled_from(["    ", "\t", "  ", "> "]),
    st.integers(min_value=0, max_value=400),
)
# A short motif of pathological pieces repeated, after an arbitrary prefix.
pathological = st.builds(
    lambda prefix, motif, times: prefix + motif * times,
    st.text(max_size=30),
    st.lists(st.sampled_from(_ATOMS), min_size=1, max_size=6).map("".join),
    st.integers(min_value=1, max_value=3_000),
)
hostile_markdown = st.one_of(st.text(), nested_markers, nested_lines, pathological)

# Inline formatting nested inside itself, under a few levels of lists and quotes.
_INLINE_PAIRS = [("*", "*"), ("**", "**"), ("_", "_"), ("__", "__"), ("[", "](https://example.test/)")]
nested_inline = st.recursive(
    st.sampled_from(["x", "a b", "`code`"]),
    lambda inner: (
        st.builds(lambda pair, text: f"{pair[0]}{text}{pair[1]}", st.sampled_from(_INLINE_PAIRS), inner)
        | st.builds(lambda left, right: f"{left} {right}", inner, inner)
    ),
    max_leaves=40,
)
nested_blocks = st.builds(
    lambda markers, depth, inline: "".join(markers) * depth + inline,
    st.lists(st.sampled_from(_MARKERS), min_size=1, max_size=3),
    st.integers(min_value=0, max_value=MAX_NESTING + 5),
    nested_inline,
)

# What a database column can hold (PostgreSQL text refuses NUL; forms refuse it before that).
storable_markdown = hostile_markdown.map(lambda text: text.replace("\x00", ""))
