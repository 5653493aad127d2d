"""The customer's mood (anger, trust, patience) as a live meter and as a plot over turns.

Both are plain HTML/SVG with inline styles, so the same drawing works inside the app and
in the self-contained scorecard file, with nothing fetched from elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

SCALES = (("anger", "#d64545"), ("trust", "#2f80c2"), ("patience", "#3c9d5d"))


def meter_html(anger: float, trust: float, patience: float,
               previous: tuple[float, float, float] | None = None) -> str:
    """Three bars with the current value and the change since the last turn."""
    values = {"anger": anger, "trust": trust, "patience": patience}
    before = dict(zip(("anger", "trust", "patience"), previous, strict=True)) if previous else {}
    rows = []
    for name, colour in SCALES:
        value = values[name]
        delta = value - before[name] if name in before else 0.0
        change = f"{delta:+.0f}" if round(delta) else ""
        rows.append(
            f'<div class="fl-meter-row" data-scale="{name}" data-value="{value:.1f}">'
            f'<span class="fl-meter-label">{name}</span>'
            f'<span class="fl-meter-track"><span class="fl-meter-fill" style="width:{value:.0f}%;'
            f'background:{colour}"></span></span>'
            f'<span class="fl-meter-value">{value:.0f}</span>'
            f'<span class="fl-meter-delta">{change}</span></div>')
    return (f'<div class="fl-meter" id="fl-mood" data-anger="{anger:.1f}" '
            f'data-trust="{trust:.1f}" data-patience="{patience:.1f}">'
            f'<div class="fl-meter-title">Customer mood</div>{"".join(rows)}</div>')


def mood_plot_svg(points: Sequence[dict], width: int = 560, height: int = 220) -> str:
    """A line plot of the three scales over the turns; ``points`` are trajectory records."""
    left, right, top, bottom = 36, 90, 12, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(len(points) - 1, 1)

    def xy(i: int, v: float) -> str:
        return f"{left + plot_w * i / n:.1f},{top + plot_h * (1 - v / 100):.1f}"

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="fl-mood-plot" role="img" '
             f'viewBox="0 0 {width} {height}" width="100%" style="max-width:{width}px" '
             f'aria-label="Customer mood over the turns">']
    for v in (0, 50, 100):
        y = top + plot_h * (1 - v / 100)
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="#ccc" stroke-width="1"/><text x="{left - 6}" y="{y + 4:.1f}" '
                     f'font-size="10" text-anchor="end" fill="#666">{v}</text>')
    for i, p in enumerate(points):
        parts.append(f'<text x="{left + plot_w * i / n:.1f}" y="{height - 8}" font-size="10" '
                     f'text-anchor="middle" fill="#666">{escape(str(p.get("turn", i)))}</text>')
    parts.append(f'<text x="{left + plot_w / 2:.1f}" y="{height}" font-size="10" '
                 f'text-anchor="middle" fill="#666">turn</text>')
    for k, (name, colour) in enumerate(SCALES):
        coords = " ".join(xy(i, float(p[name])) for i, p in enumerate(points))
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2.5" '
                     f'points="{coords}" data-scale="{name}"/>')
        for i, p in enumerate(points):
            parts.append(f'<circle r="3" fill="{colour}" cx="{xy(i, float(p[name])).split(",")[0]}"'
                         f' cy="{xy(i, float(p[name])).split(",")[1]}"/>')
        parts.append(f'<rect x="{left + plot_w + 12}" y="{top + 8 + 18 * k}" width="12" '
                     f'height="4" fill="{colour}"/><text x="{left + plot_w + 28}" '
                     f'y="{top + 13 + 18 * k}" font-size="11" fill="#333">{name}</text>')
    parts.append("</svg>")
    return "".join(parts)
