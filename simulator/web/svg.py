"""A small line chart on a 0-100 scale (stage scores, customer mood), as inline SVG.

Plain SVG with inline styles, so the same drawing works inside the app and in a
self-contained HTML file, with nothing fetched from elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

LEFT, TOP, BOTTOM = 36, 12, 28


@dataclass(frozen=True)
class Line:
    """One line of the chart: its name (its id in ``data-*``), colour, and one value
    (0-100) per x label, a None value leaving that point out; ``legend`` is the name as
    the reader's language writes it (the name itself when not given)."""

    name: str
    colour: str
    values: Sequence[float | None]
    legend: str = ""


def line_chart_svg(
    x_labels: Sequence[str],
    lines: Sequence[Line],
    *,
    label: str,
    data_key: str,
    width: int,
    height: int,
    legend_width: int,
    css_class: str = "",
    x_title: str = "",
) -> str:
    """Lines over ``x_labels`` with grid lines at 0/50/100 and a legend on the right.

    ``label`` is the chart's aria-label; each polyline carries ``data-<data_key>="name"``
    so tests and scripts can find a line by name.
    """
    plot_w, plot_h = width - LEFT - legend_width, height - TOP - BOTTOM
    n = max(len(x_labels) - 1, 1)

    def x(i: int) -> float:
        return LEFT + plot_w * i / n

    def y(v: float) -> float:
        return TOP + plot_h * (1 - v / 100)

    css = f' class="{css_class}"' if css_class else ""
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg"{css} role="img" '
        f'viewBox="0 0 {width} {height}" width="100%" style="max-width:{width}px" '
        f'aria-label="{escape(label)}">'
    ]
    for v in (0, 50, 100):
        out.append(
            f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
            f'stroke="#ccc" stroke-width="1"/><text x="{LEFT - 6}" y="{y(v) + 4:.1f}" '
            f'font-size="10" text-anchor="end" fill="#666">{v}</text>'
        )
    for i, text in enumerate(x_labels):
        out.append(
            f'<text x="{x(i):.1f}" y="{height - 8}" font-size="10" '
            f'text-anchor="middle" fill="#666">{escape(text)}</text>'
        )
    if x_title:
        out.append(
            f'<text x="{LEFT + plot_w / 2:.1f}" y="{height}" font-size="10" '
            f'text-anchor="middle" fill="#666">{escape(x_title)}</text>'
        )
    for k, line in enumerate(lines):
        points = [(x(i), y(v)) for i, v in enumerate(line.values) if v is not None]
        if points:
            coords = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
            out.append(
                f'<polyline fill="none" stroke="{line.colour}" stroke-width="2" '
                f'points="{coords}" data-{data_key}="{escape(line.name)}"/>'
            )
            out += [
                f'<circle r="3" cx="{px:.1f}" cy="{py:.1f}" fill="{line.colour}"/>'
                for px, py in points
            ]
        out.append(
            f'<rect x="{LEFT + plot_w + 12}" y="{TOP + 8 + 18 * k}" width="12" '
            f'height="4" fill="{line.colour}"/><text x="{LEFT + plot_w + 28}" '
            f'y="{TOP + 13 + 18 * k}" font-size="11" fill="#333">'
            f"{escape(line.legend or line.name)}</text>"
        )
    out.append("</svg>")
    return "".join(out)
