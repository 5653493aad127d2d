"""History and progress: a trainee's past sessions (their own only), each scorecard
reopenable, and the per-stage scores over time."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

import gradio as gr

from ..errors import FrontlineError
from ..languages.catalogue import Texts
from ..sessions import SessionInfo
from . import grading
from .auth import viewer
from .context import WebContext
from .language_view import texts_for
from .locale import format_date
from .scorecard_view import ScorecardView
from .svg import Line, line_chart_svg

COLUMNS = ["started", "session", "customer", "mode", "rubric", "outcome", "turns", "score", "level"]
ENGLISH = Texts("en")  # the words before a page's language is known
COLUMN_WIDTHS = ["165px", "165px", "280px", "85px", "170px", "115px", "70px", "70px", "90px"]
PALETTE = ["#2f80c2", "#d64545", "#3c9d5d", "#b7791f", "#7b61ff", "#0f9d9a", "#c2185b"]


def headers(t: Texts) -> list[str]:
    """The table's column names in ``t``'s language."""
    return [t(f"history.col_{column}") for column in COLUMNS]


def outcome_words(info: SessionInfo, t: Texts) -> str:
    """How a session ended, in ``t``'s language (one left open reads 'in progress')."""
    if info.status == "active":
        return t("history.in_progress")
    if info.outcome.value == "ongoing":
        return t("history.ended_early")
    return t(f"outcome.{info.outcome.value}")


def _row(info: SessionInfo, card: dict | None, t: Texts) -> list:
    score = f"{card['overall']:.0f}" if card and card.get("overall") is not None else ""
    level = (card.get("level_label") or card.get("level") or "") if card else ""
    mode = t(f"practice.mode_name_{info.mode}") if info.mode in ("training", "exam") else info.mode
    return [
        format_date(info.created, t.language),
        info.id,
        info.persona_id,
        mode,
        info.rubric or "",
        outcome_words(info, t),
        info.agent_turns,
        score,
        level,
    ]


def progress_svg(
    points: list[tuple[str, dict[str, float]]],
    width: int = 640,
    height: int = 240,
    t: Texts = ENGLISH,
    titles: dict[str, str] | None = None,
) -> str:
    """Per-stage scores (0-100) over graded sessions, oldest first, one line per stage;
    ``titles`` names each stage in the legend (the stage's key where it has none)."""
    titles = titles or {}
    if not points:
        return (
            f'<div class="fl-card fl-empty" id="fl-progress">'
            f"{escape(t('history.no_progress'))}</div>"
        )
    stages: list[str] = []
    for _, scores in points:
        stages += [s for s in scores if s not in stages]
    lines = [
        Line(
            stage,
            PALETTE[k % len(PALETTE)],
            [scores.get(stage) for _, scores in points],
            titles.get(stage, ""),
        )
        for k, stage in enumerate(stages)
    ]
    chart = line_chart_svg(
        [label for label, _ in points],
        lines,
        label=t("history.progress_chart"),
        data_key="stage",
        width=width,
        height=height,
        legend_width=170,
    )
    return f'<div id="fl-progress">{chart}</div>'


def stage_scores(card: dict) -> dict[str, float]:
    """Stage id → score from a scorecard (stages without applicable criteria left out)."""
    scores = {}
    for stage in card.get("stages", []):
        if stage.get("score") is not None:
            scores[stage.get("id") or stage.get("title")] = float(stage["score"])
    return scores


def stage_titles(cards: list[dict], t: Texts) -> dict[str, str]:
    """Stage id → its title in ``t``'s language, from the rubric's overlay for it (the
    title the scorecard was graded with when the rubric is gone or lacks the language)."""
    titles: dict[str, str] = {}
    library = grading.rubrics()
    for card in cards:
        rubric_id = (card.get("rubric") or {}).get("id")
        try:
            rubric = library.get(rubric_id).in_language(t.language) if rubric_id else None
        except FrontlineError:
            rubric = None
        own = {s.id: s.title for s in rubric.stages} if rubric is not None else {}
        for stage in card.get("stages", []):
            sid = stage.get("id") or stage.get("title")
            titles.setdefault(sid, own.get(sid) or stage.get("title") or sid)
    return titles


@dataclass
class HistoryView:
    ctx: WebContext

    def build(self) -> None:
        t = ENGLISH
        self.heading = gr.Markdown(t("history.heading"))
        self.refresh = gr.Button(t("history.refresh"), size="sm", elem_id="fl-history-refresh")
        # Widths from the headers too: measured from the cells alone, "turns" and "score"
        # got columns narrower than their names, which broke mid-word ("tur ns").
        self.table = gr.Dataframe(
            headers=headers(t),
            interactive=False,
            wrap=True,
            column_widths=COLUMN_WIDTHS,
            elem_id="fl-history-table",
        )
        self.pick = gr.Dropdown(
            label=t("history.reopen"),
            choices=[],
            value=None,
            allow_custom_value=True,
            elem_id="fl-history-pick",
        )
        self.card = ScorecardView(self.ctx, prefix="fl-history")
        self.card.build()
        self.progress_heading = gr.Markdown(t("history.progress_heading"))
        self.progress = gr.HTML(elem_id="fl-progress-box")

    def label_outputs(self) -> list:
        """The components whose words :meth:`labels` gives."""
        return [self.heading, self.refresh, self.pick, self.progress_heading]

    def labels(self, t: Texts) -> dict:
        """The page's fixed words in ``t``'s language (at page load and on the picker)."""
        return {
            self.heading: t("history.heading"),
            self.refresh: gr.Button(t("history.refresh")),
            self.pick: gr.Dropdown(label=t("history.reopen")),
            self.progress_heading: t("history.progress_heading"),
        }

    def wire(self, tab: gr.Tab) -> None:
        outs = [self.table, self.pick, self.progress]
        tab.select(self.list_sessions, [], outs, api_name=False)
        self.refresh.click(self.list_sessions, [], outs, api_name="history")
        self.pick.change(self.reopen, [self.pick], self.card.outputs(), api_name="scorecard")
        self.card.wire("history_replay")

    def list_sessions(self, request: gr.Request) -> dict:
        """The viewer's sessions, newest first, and their progress chart."""
        who = viewer(self.ctx, request)
        t = texts_for(self.ctx, request)
        sessions = self.ctx.store.list_sessions(who.name)
        rows, picks, progress, cards = [], [], [], []
        for info in sessions:
            card = self.ctx.store.load_scorecard(info.id, who.name)
            rows.append(_row(info, card, t))
            if info.status != "active":
                when = format_date(info.created, t.language)
                picks.append((f"{when} · {info.persona_id} · {outcome_words(info, t)}", info.id))
            if card:
                progress.append(stage_scores(card))
                cards.append(card)
        # Oldest first, numbered in the order they were practised.
        points = [(f"#{i}", scores) for i, scores in enumerate(reversed(progress), 1)]
        return {
            # A plain value (the API returns it as it is) that names its columns.
            self.table: {"headers": headers(t), "data": rows or [[""] * len(COLUMNS)]},
            self.pick: gr.Dropdown(choices=picks, value=None),
            self.progress: progress_svg(points, t=t, titles=stage_titles(cards, t)),
        }

    def reopen(self, session_id: str | None, request: gr.Request) -> dict:
        """Show one of the viewer's scorecards (another user's session is 'not found')."""
        who = viewer(self.ctx, request)
        if not session_id:
            return self.card.clear()
        return self.card.show(session_id, who.name, texts_for(self.ctx, request))
