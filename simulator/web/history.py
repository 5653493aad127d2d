"""History and progress: a trainee's past sessions (their own only), each scorecard
reopenable, and the per-stage scores over time."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from ..sessions import SessionInfo
from .auth import viewer
from .context import WebContext
from .scorecard_view import ScorecardView
from .svg import Line, line_chart_svg

COLUMNS = ["started", "session", "customer", "mode", "rubric", "outcome", "turns", "score", "level"]
COLUMN_WIDTHS = ["165px", "165px", "280px", "85px", "170px", "115px", "70px", "70px", "90px"]
PALETTE = ["#2f80c2", "#d64545", "#3c9d5d", "#b7791f", "#7b61ff", "#0f9d9a", "#c2185b"]


def _row(info: SessionInfo, card: dict | None) -> list:
    score = f"{card['overall']:.0f}" if card and card.get("overall") is not None else ""
    level = (card.get("level_label") or card.get("level") or "") if card else ""
    if info.status == "active":
        outcome = "in progress"
    elif info.outcome.value == "ongoing":
        outcome = "ended early"
    else:
        outcome = info.outcome.value
    return [
        info.created.replace("T", " ")[:16],
        info.id,
        info.persona_id,
        info.mode,
        info.rubric or "",
        outcome,
        info.agent_turns,
        score,
        level,
    ]


def progress_svg(
    points: list[tuple[str, dict[str, float]]], width: int = 640, height: int = 240
) -> str:
    """Per-stage scores (0-100) over graded sessions, oldest first, one line per stage."""
    if not points:
        return (
            '<div class="fl-card fl-empty" id="fl-progress">No graded sessions yet: '
            "finish a practice session to see your progress.</div>"
        )
    stages: list[str] = []
    for _, scores in points:
        stages += [s for s in scores if s not in stages]
    lines = [
        Line(stage, PALETTE[k % len(PALETTE)], [scores.get(stage) for _, scores in points])
        for k, stage in enumerate(stages)
    ]
    chart = line_chart_svg(
        [label for label, _ in points],
        lines,
        label="Stage scores over time",
        data_key="stage",
        width=width,
        height=height,
        legend_width=170,
    )
    return f'<div id="fl-progress">{chart}</div>'


def stage_scores(card: dict) -> dict[str, float]:
    """Stage title → score from a scorecard (stages without applicable criteria left out)."""
    scores = {}
    for stage in card.get("stages", []):
        if stage.get("score") is not None:
            scores[stage.get("title") or stage.get("id")] = float(stage["score"])
    return scores


@dataclass
class HistoryView:
    ctx: WebContext

    def build(self) -> None:
        gr.Markdown(
            "### Your sessions\nOnly your own sessions are listed. Pick one to reopen "
            "its scorecard."
        )
        self.refresh = gr.Button("Refresh", size="sm", elem_id="fl-history-refresh")
        # Widths from the headers too: measured from the cells alone, "turns" and "score"
        # got columns narrower than their names, which broke mid-word ("tur ns").
        self.table = gr.Dataframe(
            headers=COLUMNS,
            interactive=False,
            wrap=True,
            column_widths=COLUMN_WIDTHS,
            elem_id="fl-history-table",
        )
        self.pick = gr.Dropdown(
            label="Reopen a scorecard",
            choices=[],
            value=None,
            allow_custom_value=True,
            elem_id="fl-history-pick",
        )
        self.card = ScorecardView(self.ctx, prefix="fl-history")
        self.card.build()
        gr.Markdown("### Progress: score per stage over time")
        self.progress = gr.HTML(elem_id="fl-progress-box")

    def wire(self, tab: gr.Tab) -> None:
        outs = [self.table, self.pick, self.progress]
        tab.select(self.list_sessions, [], outs, api_name=False)
        self.refresh.click(self.list_sessions, [], outs, api_name="history")
        self.pick.change(self.reopen, [self.pick], self.card.outputs(), api_name="scorecard")
        self.card.wire("history_replay")

    def list_sessions(self, request: gr.Request) -> dict:
        """The viewer's sessions, newest first, and their progress chart."""
        who = viewer(self.ctx, request)
        sessions = self.ctx.store.list_sessions(who.name)
        rows, picks, progress = [], [], []
        for info in sessions:
            card = self.ctx.store.load_scorecard(info.id, who.name)
            rows.append(_row(info, card))
            if info.status != "active":
                picks.append(
                    (
                        f"{info.created[:16].replace('T', ' ')} · {info.persona_id} · "
                        f"{info.outcome.value}",
                        info.id,
                    )
                )
            if card:
                progress.append(stage_scores(card))
        # Oldest first, numbered in the order they were practised.
        points = [(f"#{i}", scores) for i, scores in enumerate(reversed(progress), 1)]
        return {
            self.table: rows or [[""] * len(COLUMNS)],
            self.pick: gr.Dropdown(choices=picks, value=None),
            self.progress: progress_svg(points),
        }

    def reopen(self, session_id: str | None, request: gr.Request) -> dict:
        """Show one of the viewer's scorecards (another user's session is 'not found')."""
        who = viewer(self.ctx, request)
        if not session_id:
            return self.card.clear()
        return self.card.show(session_id, who.name)
