"""SVG charts that only the PDFs use (the shared grouped-bar chart lives in reports.svg).

Same rules as reports.svg: ElementTree escapes every text, and series differ by fill pattern and
printed numbers, never by colour alone.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from commitments.vocabulary import AssuranceLevel, ImplementationStatus
from reports.svg import svg_root


@dataclass(frozen=True)
class Segment:
    word: ImplementationStatus | AssuranceLevel
    fill: str
    stroke: str
    pattern: str  # "solid", "hatch", "dots", "cross", "empty", "dashed"

    @property
    def key(self) -> str:
        return self.word.value

    @property
    def label(self) -> str:
        return self.word.label


# Strongest first: a bar reads left to right from done to not reported.
STATUS_SEGMENTS = [
    Segment(ImplementationStatus.IMPLEMENTED, "#0b5cad", "#0b5cad", "solid"),
    Segment(ImplementationStatus.IN_PROGRESS, "#4f8fd1", "#0b5cad", "hatch"),
    Segment(ImplementationStatus.PLANNED, "#b7d3f0", "#0b5cad", "dots"),
    Segment(ImplementationStatus.NOT_STARTED, "#ffffff", "#57606a", "cross"),
    Segment(ImplementationStatus.NOT_APPLICABLE, "#d0d7de", "#57606a", "solid"),
    Segment(AssuranceLevel.NOT_REPORTED, "#ffffff", "#a40e26", "dashed"),
]


@dataclass(frozen=True)
class StackedRow:
    label: str
    counts: dict[str, int]  # segment key → count


def _patterns(defs: ET.Element, chart_id: str) -> None:
    hatch = ET.SubElement(
        defs, "pattern",
        {"id": f"{chart_id}-hatch", "width": "6", "height": "6", "patternUnits": "userSpaceOnUse",
         "patternTransform": "rotate(45)"},
    )  # fmt: skip
    ET.SubElement(hatch, "rect", {"width": "6", "height": "6", "fill": "#ffffff"})
    ET.SubElement(hatch, "rect", {"width": "3", "height": "6", "fill": "#4f8fd1"})
    dots = ET.SubElement(
        defs, "pattern",
        {"id": f"{chart_id}-dots", "width": "5", "height": "5", "patternUnits": "userSpaceOnUse"},
    )  # fmt: skip
    ET.SubElement(dots, "rect", {"width": "5", "height": "5", "fill": "#e3eefa"})
    ET.SubElement(dots, "circle", {"cx": "2.5", "cy": "2.5", "r": "1.2", "fill": "#0b5cad"})
    cross = ET.SubElement(
        defs, "pattern",
        {"id": f"{chart_id}-cross", "width": "6", "height": "6", "patternUnits": "userSpaceOnUse"},
    )  # fmt: skip
    ET.SubElement(cross, "rect", {"width": "6", "height": "6", "fill": "#ffffff"})
    ET.SubElement(cross, "path", {"d": "M0 0L6 6M6 0L0 6", "stroke": "#8c959f", "stroke-width": "0.8"})


def _fill(segment: Segment, chart_id: str) -> str:
    if segment.pattern in ("hatch", "dots", "cross"):
        return f"url(#{chart_id}-{segment.pattern})"
    return segment.fill


def stacked_status_chart(
    rows: list[StackedRow], *, title: str, description: str, chart_id: str = "status"
) -> str:
    """One 100% horizontal bar per row, split by implementation status, with counts printed."""
    label_w, bar_w, row_h, bar_h, top = 64, 560, 18, 13, 8
    legend_cols, legend_col_w, legend_row_h = 3, 190, 16
    legend_h = 12 + legend_row_h * -(-len(STATUS_SEGMENTS) // legend_cols)
    width = label_w + bar_w + 12
    height = top + len(rows) * row_h + legend_h
    svg = svg_root(width, height, title=title, description=description, chart_id=chart_id, css="status-chart")
    _patterns(ET.SubElement(svg, "defs"), chart_id)

    for index, row in enumerate(rows):
        y = top + index * row_h
        ET.SubElement(
            svg, "text", {"x": str(label_w - 6), "y": f"{y + bar_h - 3}", "text-anchor": "end",
                          "font-size": "10", "fill": "#1b1f24"}
        ).text = row.label  # fmt: skip
        total = sum(row.counts.get(s.key, 0) for s in STATUS_SEGMENTS)
        x = float(label_w)
        for segment in STATUS_SEGMENTS:
            count = row.counts.get(segment.key, 0)
            if not count or not total:
                continue
            w = bar_w * count / total
            attrs = {
                "x": f"{x:.1f}",
                "y": str(y),
                "width": f"{w:.1f}",
                "height": str(bar_h),
                "fill": _fill(segment, chart_id),
                "stroke": segment.stroke,
                "stroke-width": "0.6",
            }
            if segment.pattern == "dashed":
                attrs["stroke-dasharray"] = "3 2"
            rect = ET.SubElement(svg, "rect", attrs)
            ET.SubElement(rect, "title").text = f"{row.label}: {count} {segment.label.lower()}"
            if w >= 14:
                dark = segment.word == ImplementationStatus.IMPLEMENTED
                ET.SubElement(
                    svg, "text", {"x": f"{x + w / 2:.1f}", "y": f"{y + bar_h - 3}", "text-anchor": "middle",
                                  "font-size": "9", "fill": "#ffffff" if dark else "#1b1f24"}
                ).text = str(count)  # fmt: skip
            x += w

    # Legend: swatch and name per status, in rows of three under the bars.
    for index, segment in enumerate(STATUS_SEGMENTS):
        x = label_w + (index % legend_cols) * legend_col_w
        y = top + len(rows) * row_h + 10 + (index // legend_cols) * legend_row_h
        attrs = {
            "x": str(x),
            "y": str(y),
            "width": "12",
            "height": "12",
            "fill": _fill(segment, chart_id),
            "stroke": segment.stroke,
            "stroke-width": "0.8",
        }
        if segment.pattern == "dashed":
            attrs["stroke-dasharray"] = "3 2"
        ET.SubElement(svg, "rect", attrs)
        ET.SubElement(
            svg, "text", {"x": str(x + 17), "y": str(y + 10), "font-size": "10", "fill": "#1b1f24"}
        ).text = segment.label  # fmt: skip
    return ET.tostring(svg, encoding="unicode", short_empty_elements=True)
