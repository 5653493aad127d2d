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
from ..languages.catalogue import Texts
from .auth import require_designer
from .context import WebContext
from .history import PALETTE
from .language_view import texts_for
from .svg import Line, line_chart_svg

PAGE = "page.cohort"  # the catalogue key of the page's name (for "trainers only")
MODES = ["training", "exam"]
ENGLISH = Texts("en")  # the words before a page's language is known
WEAKEST = 5


def _pct(rate: CriterionRate) -> str:
    return f"{rate.rate:.0f}% ({rate.met}/{rate.applicable})" if rate.applicable else "–"


def _short(title: str, limit: int = 34) -> str:
    """A criterion's title cut to fit a legend, at a word."""
    if len(title) <= limit:
        return title
    return title[:limit].rsplit(" ", 1)[0] + "…"


def _table(table_id: str, header: list[str], rows: list[list[str]], t: Texts) -> str:
    head = "".join(f"<th>{escape(t(f'cohort.col_{h}'))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return (
        f'<div class="fl-cohort-scroll"><table class="fl-cohort-table" id="{table_id}">'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )


def summary_html(cohort: Cohort, t: Texts = ENGLISH) -> str:
    """Headline, weakest criteria, one row per trainee, progress after practice."""
    if not cohort.attempts:
        return (
            '<div id="fl-cohort" class="fl-card fl-empty" data-sessions="0">'
            f"{escape(t('cohort.empty'))}</div>"
        )
    weakest = _table(
        "fl-cohort-weakest",
        ["criterion", "stage", "met"],
        [[escape(r.title), escape(r.stage), _pct(r)] for r in cohort.weakest(WEAKEST)],
        t,
    )
    trainees = _table(
        "fl-cohort-trainees",
        ["trainee", "sessions", "first", "latest", "change", "mean", "weakest"],
        [
            [
                f'<span data-trainee="{escape(row.trainee)}">{escape(row.trainee)}</span>',
                str(row.sessions),
                f"{row.first:.0f}",
                f"{row.latest:.0f}",
                f"{row.change:+.0f}",
                f"{row.mean:.0f}",
                escape(f"{row.weakest.title} ({row.weakest.rate:.0f}%)") if row.weakest else "–",
            ]
            for row in cohort.by_trainee()
        ],
        t,
    )
    progress = cohort.progress()
    progress_part = (
        _table(
            "fl-cohort-progress",
            ["criterion", "earlier", "later", "change"],
            [
                [
                    escape(p.title),
                    _pct(p.before),
                    _pct(p.after),
                    escape(t("cohort.points", change=f"{p.change:+.0f}")),
                ]
                for p in progress
            ],
            t,
        )
        if progress
        else f"<p>{escape(t('cohort.progress_none'))}</p>"
    )
    n, people = len(cohort.attempts), len(cohort.trainees)

    def h4(key: str) -> str:
        return f"<h4>{escape(t(key))}</h4>"

    return (
        f'<div id="fl-cohort" data-sessions="{n}" data-trainees="{people}">'
        f"<p>{t('cohort.count', sessions=n, trainees=people)}</p>"
        f"{h4('cohort.weakest')}{weakest}{h4('cohort.per_trainee')}{trainees}"
        f'{h4("cohort.progress")}<p class="fl-note">{escape(t("cohort.progress_note"))}</p>'
        f"{progress_part}</div>"
    )


def plots_html(cohort: Cohort, width: int = 640, height: int = 240, t: Texts = ENGLISH) -> str:
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
        label=t("cohort.score_plot_label"),
        data_key="trainee",
        width=width,
        height=height,
        legend_width=150,
        x_title=t("cohort.attempt_axis"),
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
        label=t("cohort.criteria_plot_label"),
        data_key="criterion",
        width=width,
        height=height,
        legend_width=230,
        x_title=t("cohort.week_axis"),
    )
    return (
        f'<div id="fl-cohort-plots"><h4>{escape(t("cohort.score_plot"))}</h4>{scores}'
        f"<h4>{escape(t('cohort.criteria_plot'))}</h4>{criteria}</div>"
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
        t = ENGLISH
        self.heading = gr.Markdown(t("cohort.heading"))
        with gr.Row():
            self.trainees = gr.Dropdown(
                label=t("cohort.trainees"),
                multiselect=True,
                choices=[],
                allow_custom_value=True,
                elem_id="fl-cohort-trainee",
            )
            self.personas = gr.Dropdown(
                label=t("cohort.personas"),
                multiselect=True,
                choices=[],
                allow_custom_value=True,
                elem_id="fl-cohort-persona",
            )
            self.rubrics = gr.Dropdown(
                label=t("cohort.rubrics"),
                multiselect=True,
                choices=[],
                allow_custom_value=True,
                elem_id="fl-cohort-rubric",
            )
        with gr.Row():
            self.modes = gr.CheckboxGroup(
                self._modes(t), label=t("cohort.mode"), elem_id="fl-cohort-mode"
            )
            self.since = gr.Textbox(label=t("cohort.since"), elem_id="fl-cohort-since")
            self.until = gr.Textbox(label=t("cohort.until"), elem_id="fl-cohort-until")
        with gr.Row():
            self.show = gr.Button(t("cohort.show"), variant="primary", elem_id="fl-cohort-show")
            self.export = gr.DownloadButton(t("cohort.csv"), visible=False, elem_id="fl-cohort-csv")
        self.summary = gr.HTML(elem_id="fl-cohort-box")
        self.plots = gr.HTML(elem_id="fl-cohort-plots-box")

    @staticmethod
    def _modes(t: Texts) -> list[tuple[str, str]]:
        return [(t(f"practice.mode_name_{mode}"), mode) for mode in MODES]

    def label_outputs(self) -> list:
        """The components whose words :meth:`labels` gives."""
        return [
            self.heading,
            self.trainees,
            self.personas,
            self.rubrics,
            self.modes,
            self.since,
            self.until,
            self.show,
            self.export,
        ]

    def labels(self, t: Texts) -> dict:
        """The page's fixed words in ``t``'s language (at page load and on the picker)."""
        return {
            self.heading: t("cohort.heading"),
            self.trainees: gr.Dropdown(label=t("cohort.trainees")),
            self.personas: gr.Dropdown(label=t("cohort.personas")),
            self.rubrics: gr.Dropdown(label=t("cohort.rubrics")),
            self.modes: gr.CheckboxGroup(choices=self._modes(t), label=t("cohort.mode")),
            self.since: gr.Textbox(label=t("cohort.since")),
            self.until: gr.Textbox(label=t("cohort.until")),
            self.show: gr.Button(t("cohort.show")),
            self.export: gr.DownloadButton(t("cohort.csv")),
        }

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
        t = texts_for(self.ctx, request)
        try:
            flt = CohortFilter(
                tuple(trainees or ()),
                tuple(personas or ()),
                tuple(rubrics or ()),
                tuple(modes or ()),
                parse_day(since, t("cohort.since")),
                parse_day(until, t("cohort.until")),
            )
        except FrontlineError as exc:
            raise gr.Error(str(exc)) from None
        cohort = load_cohort(self.ctx.store, flt)
        path = csv_file(cohort)
        return [
            summary_html(cohort, t),
            plots_html(cohort, t=t),
            gr.DownloadButton(value=path, visible=path is not None),
        ]
