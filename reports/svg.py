"""Server-rendered SVG charts: no JavaScript, so they also work in PDFs and printed pages.

Built with ElementTree, which escapes every text, so organisation-supplied labels cannot break
out of the markup. Series differ by fill pattern and by a printed value, never by colour alone.
"""

import xml.etree.ElementTree as ET
from dataclasses import dataclass

SVG_NS = "http://www.w3.org/2000/svg"


@dataclass(frozen=True)
class BarPoint:
    label: str
    implemented_pct: int | None  # None: no published report for the period
    verified_pct: int | None


def svg_root(width: int, height: int, *, title: str, description: str, chart_id: str, css: str) -> ET.Element:
    """An accessible <svg> element: role img, labelled by its own <title> and <desc>."""
    svg = ET.Element(
        "svg",
        {
            "xmlns": SVG_NS,
            "viewBox": f"0 0 {width} {height}",
            "width": str(width),
            "height": str(height),
            "role": "img",
            "aria-labelledby": f"{chart_id}-title {chart_id}-desc",
            "class": css,
        },
    )
    ET.SubElement(svg, "title", {"id": f"{chart_id}-title"}).text = title
    ET.SubElement(svg, "desc", {"id": f"{chart_id}-desc"}).text = description
    return svg


def progress_chart(points: list[BarPoint], *, title: str, description: str, chart_id: str = "chart") -> str:
    """Grouped bars per period: share of applicable items implemented, share of items verified."""
    left, top, plot_h, bottom = 44, 28, 160, 44
    group_w, bar_w = 96, 30
    width = left + max(1, len(points)) * group_w + 16
    height = top + plot_h + bottom

    svg = svg_root(
        width, height, title=title, description=description, chart_id=chart_id, css="progress-chart"
    )
    defs = ET.SubElement(svg, "defs")
    pattern = ET.SubElement(
        defs,
        "pattern",
        {"id": f"{chart_id}-hatch", "width": "6", "height": "6", "patternUnits": "userSpaceOnUse",
         "patternTransform": "rotate(45)"},
    )  # fmt: skip
    ET.SubElement(pattern, "rect", {"width": "6", "height": "6", "fill": "#dafbe1"})
    ET.SubElement(
        pattern,
        "line",
        {"x1": "0", "y1": "0", "x2": "0", "y2": "6", "stroke": "#1a7f37", "stroke-width": "3"},
    )

    for pct in (0, 25, 50, 75, 100):
        y = top + plot_h - plot_h * pct / 100
        ET.SubElement(
            svg, "line", {"x1": str(left), "x2": str(width - 8), "y1": f"{y:.1f}", "y2": f"{y:.1f}",
                          "stroke": "#d0d7de", "stroke-width": "1"}
        )  # fmt: skip
        axis = ET.SubElement(
            svg, "text", {"x": str(left - 6), "y": f"{y + 4:.1f}", "text-anchor": "end", "font-size": "11",
                          "fill": "#57606a"}
        )  # fmt: skip
        axis.text = f"{pct}%"

    for index, point in enumerate(points):
        x0 = left + index * group_w + 14
        label = ET.SubElement(
            svg, "text", {"x": f"{x0 + bar_w:.0f}", "y": str(top + plot_h + 18), "text-anchor": "middle",
                          "font-size": "12", "fill": "#1b1f24"}
        )  # fmt: skip
        label.text = point.label
        if point.implemented_pct is None:
            note = ET.SubElement(
                svg, "text", {"x": f"{x0 + bar_w:.0f}", "y": str(top + plot_h - 8), "text-anchor": "middle",
                              "font-size": "11", "fill": "#a40e26"}
            )  # fmt: skip
            note.text = "not reported"
            continue
        series = (
            ("implemented", point.implemented_pct, "#0b5cad", "#0b5cad"),
            ("verified", point.verified_pct or 0, f"url(#{chart_id}-hatch)", "#1a7f37"),
        )
        for offset, (name, pct, fill, stroke) in enumerate(series):
            h = plot_h * pct / 100
            x = x0 + offset * (bar_w + 4)
            bar = ET.SubElement(
                svg, "rect", {"x": str(x), "y": f"{top + plot_h - h:.1f}", "width": str(bar_w),
                              "height": f"{max(h, 0.5):.1f}", "fill": fill, "stroke": stroke}
            )  # fmt: skip
            ET.SubElement(bar, "title").text = f"{point.label}: {pct}% {name}"
            value = ET.SubElement(
                svg, "text", {"x": f"{x + bar_w / 2:.0f}", "y": f"{top + plot_h - h - 4:.1f}",
                              "text-anchor": "middle", "font-size": "11", "fill": "#1b1f24"}
            )  # fmt: skip
            value.text = f"{pct}%"

    # Legend: a solid and a hatched swatch, each with its name.
    legend_y = height - 14
    ET.SubElement(svg, "rect", {"x": str(left), "y": str(legend_y - 10), "width": "12", "height": "12",
                                "fill": "#0b5cad"})  # fmt: skip
    ET.SubElement(
        svg, "text", {"x": str(left + 16), "y": str(legend_y), "font-size": "11"}
    ).text = "Implemented (share of applicable items)"
    ET.SubElement(svg, "rect", {"x": str(left + 250), "y": str(legend_y - 10), "width": "12", "height": "12",
                                "fill": f"url(#{chart_id}-hatch)", "stroke": "#1a7f37"})  # fmt: skip
    ET.SubElement(
        svg, "text", {"x": str(left + 266), "y": str(legend_y), "font-size": "11"}
    ).text = "Reviewer-verified (share of items)"
    # The legend needs room even with a single period.
    needed = left + 266 + 210
    if width < needed:
        svg.set("viewBox", f"0 0 {needed} {height}")
        svg.set("width", str(needed))
    return ET.tostring(svg, encoding="unicode", short_empty_elements=True)
