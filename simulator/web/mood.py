"""The customer's mood (anger, trust, patience) as a live meter and as a plot over turns.

Both are plain HTML/SVG with inline styles, so the same drawing works inside the app and
in the self-contained scorecard file, with nothing fetched from elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from ..customer.reason_words import reasons_in
from ..customer.state import reasons_once
from ..languages.catalogue import Texts
from .svg import Line, line_chart_svg

ENGLISH = Texts("en")

SCALES = (("anger", "#d64545"), ("trust", "#2f80c2"), ("patience", "#3c9d5d"))


# The reasons the mood moved, each once: shared with the terminal and the replays.
mood_reasons = reasons_once


def meter_html(
    anger: float,
    trust: float,
    patience: float,
    previous: tuple[float, float, float] | None = None,
    reasons: Sequence[str] = (),
    t: Texts = ENGLISH,
) -> str:
    """Three bars with the current value, the change since the last turn, and why it moved.

    Each bar is an ARIA ``meter`` (0-100) whose text says the value and the change, so a
    screen reader reads what the colours show. Words are ``t``'s; the reasons, recorded
    in the effects tables' wording, are shown in its language too (:mod:`reason_words`).
    """
    values = {"anger": anger, "trust": trust, "patience": patience}
    before = dict(zip(("anger", "trust", "patience"), previous, strict=True)) if previous else {}
    rows = []
    for name, colour in SCALES:
        value = values[name]
        delta = value - before[name] if name in before else 0.0
        change = f"{delta:+.0f}" if round(delta) else ""
        label, shown_value = t(f"mood.{name}"), f"{value:.0f}"
        if not change:
            said = t("mood.said", scale=label, value=shown_value)
        else:
            way = "mood.said_up" if delta > 0 else "mood.said_down"
            said = t(way, scale=label, value=shown_value, change=f"{abs(delta):.0f}")
        rows.append(
            f'<div class="fl-meter-row" data-scale="{name}" data-value="{value:.1f}" '
            f'role="meter" aria-label="{escape(label)}" aria-valuemin="0" aria-valuemax="100" '
            f'aria-valuenow="{value:.1f}" aria-valuetext="{escape(said)}">'
            f'<span class="fl-meter-label">{escape(label)}</span>'
            f'<span class="fl-meter-track"><span class="fl-meter-fill" style="width:{value:.0f}%;'
            f'background:{colour}"></span></span>'
            f'<span class="fl-meter-value">{value:.0f}</span>'
            f'<span class="fl-meter-delta">{change}</span></div>'
        )
    shown = reasons_in(mood_reasons(reasons), t)
    why = (
        f'<div class="fl-meter-why" id="fl-mood-why">'
        f"{escape(t('mood.why', reasons='; '.join(shown)))}</div>"
        if shown
        else ""
    )
    return (
        f'<div class="fl-meter" id="fl-mood" data-anger="{anger:.1f}" '
        f'data-trust="{trust:.1f}" data-patience="{patience:.1f}">'
        f'<div class="fl-meter-title">{escape(t("mood.title"))}</div>{"".join(rows)}{why}</div>'
    )


def mood_plot_svg(
    points: Sequence[dict], width: int = 560, height: int = 220, t: Texts = ENGLISH
) -> str:
    """A line plot of the three scales over the turns; ``points`` are trajectory records.
    The legend and titles are in ``t``'s language; ``data-scale`` keeps the scale's id."""
    lines = [
        Line(name, colour, [float(p[name]) for p in points], t(f"mood.{name}"))
        for name, colour in SCALES
    ]
    return line_chart_svg(
        [str(p.get("turn", i)) for i, p in enumerate(points)],
        lines,
        label=t("mood.plot"),
        data_key="scale",
        width=width,
        height=height,
        legend_width=90,
        css_class="fl-mood-plot",
        x_title=t("mood.turn_axis"),
    )
