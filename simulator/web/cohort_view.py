"""The cohort tab (trainers and admins): every trainee's graded sessions per criterion over
time, filtered, plotted and exportable as CSV. The figures come from :mod:`simulator.cohort`;
this module only draws them. Every handler checks the role on the server."""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from html import escape
from pathlib import Path

import gradio as gr

from ..cohort import Cohort, CohortFilter, CriterionRate, load_cohort, parse_day
from ..errors import FrontlineError
from .auth import require_designer
from .context import WebContext
from .history import PALETTE
from .svg import Line, line_chart_svg

PAGE = "The cohort view"
MODES = ["training", "exam"]
WEAKEST = 5


def _pct(rate: CriterionRate) -> str:
    return f"{rate.rate:.0f}% ({rate.met}/{rate.applicable})" if rate.applicable else "–"


def _short(title: str, limit: int = 34) -> str:
    """A criterion's title cut to fit a legend, at a word."""
    if len(title) <= limit:
        return title
    return title[:limit].rsplit(" ", 1)[0] + "…"


def _table(table_id: str, header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return (
        f'<div class="fl-cohort-scroll"><table class="fl-cohort-table" id="{table_id}">'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )


def summary_html(cohort: Cohort) -> str:
    """Headline, weakest criteria, one row per trainee, progress after practice."""
    if not cohort.attempts:
        return (
            '<div id="fl-cohort" class="fl-card fl-empty" data-sessions="0">No graded '
            "sessions match this filter.</div>"
        )
    weakest = _table(
        "fl-cohort-weakest",
        ["criterion", "stage", "met"],
        [[escape(r.title), escape(r.stage), _pct(r)] for r in cohort.weakest(WEAKEST)],
    )
    trainees = _table(
        "fl-cohort-trainees",
        ["trainee", "sessions", "first", "latest", "change", "mean", "weakest criterion"],
        [
            [
                f'<span data-trainee="{escape(t.trainee)}">{escape(t.trainee)}</span>',
                str(t.sessions),
                f"{t.first:.0f}",
                f"{t.latest:.0f}",
                f"{t.change:+.0f}",
                f"{t.mean:.0f}",
                escape(f"{t.weakest.title} ({t.weakest.rate:.0f}%)") if t.weakest else "–",
            ]
            for t in cohort.by_trainee()
        ],
    )
    progress = cohort.progress()
    progress_part = (
        _table(
            "fl-cohort-progress",
            ["criterion", "earlier attempts", "later attempts", "change"],
            [
                [escape(p.title), _pct(p.before), _pct(p.after), f"{p.change:+.0f} pts"]
                for p in progress
            ],
        )
        if progress
        else "<p>Progress needs trainees with at least two attempts where a criterion applied.</p>"
    )
    n, people = len(cohort.attempts), len(cohort.trainees)
    return (
        f'<div id="fl-cohort" data-sessions="{n}" data-trainees="{people}">'
        f"<p><b>{n} graded session{'s' * (n != 1)}</b> by <b>{people} "
        f"trainee{'s' * (people != 1)}</b>.</p>"
        f"<h4>Weakest criteria</h4>{weakest}"
        f"<h4>Per trainee</h4>{trainees}"
        '<h4>Progress after practice</h4><p class="fl-note">Each criterion in the '
        "earlier half of every trainee's attempts where it applied, against the later "
        f"half; worst change first.</p>{progress_part}</div>"
    )


def plots_html(cohort: Cohort, width: int = 640, height: int = 240) -> str:
    """Score by attempt per trainee; the weakest criteria's met rate week by week."""
    if not cohort.attempts:
        return '<div id="fl-cohort-plots"></div>'
    labels, series = cohort.score_series()
    scores = line_chart_svg(
        labels,
        [
            Line(name, PALETTE[k % len(PALETTE)], values)
            for k, (name, values) in enumerate(series.items())
        ],
        label="Overall score by attempt, per trainee",
        data_key="trainee",
        width=width,
        height=height,
        legend_width=150,
        x_title="attempt",
    )
    weakest = cohort.weakest(WEAKEST)
    weeks, rates = cohort.weekly_rates([r.id for r in weakest])
    titles = {r.id: _short(r.title) for r in weakest}
    criteria = line_chart_svg(
        weeks,
        [
            Line(titles[cid], PALETTE[k % len(PALETTE)], values)
            for k, (cid, values) in enumerate(rates.items())
        ],
        label="Weakest criteria: share met, week by week",
        data_key="criterion",
        width=width,
        height=height,
        legend_width=230,
        x_title="week",
    )
    return (
        f'<div id="fl-cohort-plots"><h4>Score by attempt</h4>{scores}'
        f"<h4>Weakest criteria, % met by week</h4>{criteria}</div>"
    )


def csv_file(cohort: Cohort) -> str | None:
    """The cohort as CSV in a file named by its content (the same export reuses it)."""
    if not cohort.attempts:
        return None
    text = cohort.to_csv()
    folder = (
        Path(tempfile.gettempdir())
        / "frontline-cohort"
        / hashlib.sha256(text.encode()).hexdigest()[:16]
    )
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "cohort.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


@dataclass
class CohortView:
    ctx: WebContext

    # The filters accept any value (a name typed before the choices load); the server only
    # ever matches it against the store, so an unknown one selects nothing.
    def build(self) -> None:
        gr.Markdown(
            "### Cohort\nEvery trainee's graded sessions, per criterion over time. "
            "Leave a filter empty for all."
        )
        with gr.Row():
            self.trainees = gr.Dropdown(
                label="Trainees",
                multiselect=True,
                choices=[],
                allow_custom_value=True,
                elem_id="fl-cohort-trainee",
            )
            self.personas = gr.Dropdown(
                label="Personas",
                multiselect=True,
                choices=[],
                allow_custom_value=True,
                elem_id="fl-cohort-persona",
            )
            self.rubrics = gr.Dropdown(
                label="Rubrics",
                multiselect=True,
                choices=[],
                allow_custom_value=True,
                elem_id="fl-cohort-rubric",
            )
        with gr.Row():
            self.modes = gr.CheckboxGroup(MODES, label="Mode", elem_id="fl-cohort-mode")
            self.since = gr.Textbox(label="From (YYYY-MM-DD)", elem_id="fl-cohort-since")
            self.until = gr.Textbox(label="To (YYYY-MM-DD)", elem_id="fl-cohort-until")
        with gr.Row():
            self.show = gr.Button("Show", variant="primary", elem_id="fl-cohort-show")
            self.export = gr.DownloadButton("Download CSV", visible=False, elem_id="fl-cohort-csv")
        self.summary = gr.HTML(elem_id="fl-cohort-box")
        self.plots = gr.HTML(elem_id="fl-cohort-plots-box")

    def wire(self, tab: gr.Tab) -> None:
        inputs = [self.trainees, self.personas, self.rubrics, self.modes, self.since, self.until]
        outputs = [self.summary, self.plots, self.export]
        tab.select(
            self.choices,
            [],
            [self.trainees, self.personas, self.rubrics],
            api_name="cohort_choices",
        ).then(self.show_cohort, inputs, outputs, api_name=False)
        self.show.click(self.show_cohort, inputs, outputs, api_name="cohort")

    def choices(self, request: gr.Request) -> list:
        """What the filters can choose from: everyone's graded sessions."""
        require_designer(self.ctx, request, PAGE)
        cohort = load_cohort(self.ctx.store)
        return [
            gr.Dropdown(choices=cohort.trainees),
            gr.Dropdown(choices=sorted({a.persona for a in cohort.attempts})),
            gr.Dropdown(choices=sorted({a.rubric for a in cohort.attempts})),
        ]

    def show_cohort(
        self,
        trainees: list[str] | None,
        personas: list[str] | None,
        rubrics: list[str] | None,
        modes: list[str] | None,
        since: str,
        until: str,
        request: gr.Request,
    ) -> list:
        """The filtered cohort: tables, plots and the CSV download."""
        require_designer(self.ctx, request, PAGE)
        try:
            flt = CohortFilter(
                tuple(trainees or ()),
                tuple(personas or ()),
                tuple(rubrics or ()),
                tuple(modes or ()),
                parse_day(since, "From"),
                parse_day(until, "To"),
            )
        except FrontlineError as exc:
            raise gr.Error(str(exc)) from None
        cohort = load_cohort(self.ctx.store, flt)
        path = csv_file(cohort)
        return [
            summary_html(cohort),
            plots_html(cohort),
            gr.DownloadButton(value=path, visible=path is not None),
        ]
