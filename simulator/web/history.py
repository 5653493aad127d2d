"""History and progress: a trainee's past sessions (their own only), each scorecard
reopenable, and the per-stage scores over time."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

import gradio as gr

from ..sessions import SessionInfo
from .auth import viewer
from .context import WebContext
from .scorecard_view import ScorecardView

COLUMNS = ["started", "session", "customer", "mode", "rubric", "outcome", "turns", "score",
           "level"]
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
    return [info.created.replace("T", " ")[:16], info.id, info.persona_id, info.mode,
            info.rubric or "", outcome, info.agent_turns, score, level]


def progress_svg(points: list[tuple[str, dict[str, float]]], width: int = 640,
                 height: int = 240) -> str:
    """Per-stage scores (0-100) over graded sessions, oldest first, one line per stage."""
    if not points:
        return ('<div class="fl-card fl-empty" id="fl-progress">No graded sessions yet: '
                'finish a practice session to see your progress.</div>')
    stages: list[str] = []
    for _, scores in points:
        stages += [s for s in scores if s not in stages]
    left, right, top, bottom = 36, 170, 12, 28
    pw, ph = width - left - right, height - top - bottom
    n = max(len(points) - 1, 1)
    out = [f'<div id="fl-progress"><svg xmlns="http://www.w3.org/2000/svg" width="100%" '
           f'style="max-width:{width}px" viewBox="0 0 {width} {height}" role="img" '
           f'aria-label="Stage scores over time">']
    for v in (0, 50, 100):
        y = top + ph * (1 - v / 100)
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ccc"/>'
                   f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="10" text-anchor="end" '
                   f'fill="#666">{v}</text>')
    for i, (label, _) in enumerate(points):
        out.append(f'<text x="{left + pw * i / n:.1f}" y="{height - 8}" font-size="9" '
                   f'text-anchor="middle" fill="#666">{escape(label)}</text>')
    for k, stage in enumerate(stages):
        colour = PALETTE[k % len(PALETTE)]
        pts = [(left + pw * i / n, top + ph * (1 - scores[stage] / 100))
               for i, (_, scores) in enumerate(points) if scores.get(stage) is not None]
        if pts:
            out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="'
                       + " ".join(f"{x:.1f},{y:.1f}" for x, y in pts) + f'" data-stage='
                       f'"{escape(stage)}"/>')
            out += [f'<circle r="3" cx="{x:.1f}" cy="{y:.1f}" fill="{colour}"/>' for x, y in pts]
        out.append(f'<rect x="{left + pw + 12}" y="{top + 6 + 16 * k}" width="12" height="4" '
                   f'fill="{colour}"/><text x="{left + pw + 28}" y="{top + 11 + 16 * k}" '
                   f'font-size="11" fill="#333">{escape(stage)}</text>')
    out.append("</svg></div>")
    return "".join(out)


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
        gr.Markdown("### Your sessions\nOnly your own sessions are listed. Pick one to reopen "
                    "its scorecard.")
        self.refresh = gr.Button("Refresh", size="sm", elem_id="fl-history-refresh")
        self.table = gr.Dataframe(headers=COLUMNS, interactive=False, wrap=True,
                                  elem_id="fl-history-table")
        self.pick = gr.Dropdown(label="Reopen a scorecard", choices=[], value=None,
                                allow_custom_value=True,
                                elem_id="fl-history-pick")
        self.card = ScorecardView(self.ctx, prefix="fl-history")
        self.card.build()
        gr.Markdown("### Progress: score per stage over time")
        self.progress = gr.HTML(elem_id="fl-progress-box")

    def wire(self, tab: gr.Tab) -> None:
        outs = [self.table, self.pick, self.progress]
        tab.select(self.list_sessions, [], outs, api_name=False)
        self.refresh.click(self.list_sessions, [], outs, api_name="history")
        self.pick.change(self.reopen, [self.pick], self.card.outputs(), api_name="scorecard")

    def list_sessions(self, request: gr.Request) -> dict:
        """The viewer's sessions, newest first, and their progress chart."""
        who = viewer(self.ctx, request)
        sessions = self.ctx.store.list_sessions(who.name)
        rows, picks, progress = [], [], []
        for info in sessions:
            card = self.ctx.store.load_scorecard(info.id, who.name)
            rows.append(_row(info, card))
            if info.status != "active":
                picks.append((f"{info.created[:16].replace('T', ' ')} · {info.persona_id} · "
                              f"{info.outcome.value}", info.id))
            if card:
                progress.append(stage_scores(card))
        # Oldest first, numbered in the order they were practised.
        points = [(f"#{i}", scores) for i, scores in enumerate(reversed(progress), 1)]
        return {self.table: rows or [[""] * len(COLUMNS)],
                self.pick: gr.Dropdown(choices=picks, value=None),
                self.progress: progress_svg(points)}

    def reopen(self, session_id: str | None, request: gr.Request) -> dict:
        """Show one of the viewer's scorecards (another user's session is 'not found')."""
        who = viewer(self.ctx, request)
        if not session_id:
            return self.card.clear()
        return self.card.show(session_id, who.name)
