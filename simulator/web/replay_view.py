"""The scorecard's "Replay a turn another way" panel: pick one of your turns, write another
reply, and see beside what happened how the customer would have reacted and how the score
would have moved. The work is in :mod:`simulator.sessions.replay`; this is the page.

Replays are practice: shown as such, saved with the session, never counted anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

import gradio as gr

from ..errors import FrontlineError
from ..sessions.replay import Branch, ReplayResult, replay_turn
from . import grading
from .auth import viewer
from .context import WebContext
from .mood import mood_reasons

INTRO = (
    "### Replay a turn another way\nPick one of your turns, write a different reply, "
    "and see how the customer would have reacted and how your score would change. "
    "Replays are practice: they never count in your history, progress or "
    "certification."
)


def _mood_line(side: Branch, before) -> str:
    parts = []
    for name in ("anger", "trust", "patience"):
        value, was = getattr(side.mood, name), getattr(before, name)
        delta = value - was
        change = f" ({delta:+.0f})" if round(delta) else ""
        parts.append(f"{name} {value:.0f}{change}")
    return " · ".join(parts)


def _side(title: str, key: str, side: Branch, before) -> str:
    why = "; ".join(mood_reasons(side.reasons))
    verdict = "pass" if side.passed else "not yet"
    graded = "the call ends here" if side.ended else "so far"
    return (
        f'<div class="fl-replay-side" data-side="{key}" data-score="{side.score:g}" '
        f'data-anger="{side.mood.anger:.1f}"><h4>{escape(title)}</h4>'
        f'<p class="fl-replay-line"><span class="fl-replay-who">You:</span> '
        f"{escape(side.reply)}</p>"
        f'<p class="fl-replay-line fl-replay-customer"><span class="fl-replay-who">'
        f"Customer:</span> {escape(side.customer or '…')}</p>"
        f'<p class="fl-replay-mood">Mood: {escape(_mood_line(side, before))}</p>'
        + (f'<p class="fl-replay-why">Why: {escape(why)}</p>' if why else "")
        + (
            f'<p class="fl-replay-broke">Phrasing: {escape("; ".join(side.violations))}</p>'
            if side.violations
            else ""
        )
        + f'<p class="fl-replay-score">Score {graded}: <b>{side.score:g}</b>/100 '
        f"({verdict}) · outcome: {escape(side.outcome.value)}</p></div>"
    )


def replay_html(r: ReplayResult) -> str:
    """One replay beside what happened, marked as practice."""
    delta = r.replay.score - r.actual.score
    change = "no change" if not round(delta, 1) else f"{delta:+g}"
    changed = "".join(
        f'<li data-criterion="{escape(c.id)}">{escape(c.title)}: {escape(c.actual)} → '
        f"<b>{escape(c.replay)}</b></li>"
        for c in r.changed
    )
    return (
        f'<div class="fl-replay" data-turn="{r.turn}" data-delta="{delta:g}">'
        f'<span class="fl-replay-tag">REPLAY · practice</span>'
        f"<b>Turn {r.turn}</b> replayed · score {r.actual.score:g} → {r.replay.score:g} "
        f"({change})"
        f'<div class="fl-replay-sides">{_side("What happened", "actual", r.actual, r.before)}'
        f"{_side('Your replay', 'replay', r.replay, r.before)}</div>"
        + (f'<ul class="fl-replay-changed">{changed}</ul>' if changed else "")
        + "</div>"
    )


def saved_html(replays: list[dict], elem_id: str) -> str:
    """Replays of the session, newest first (unreadable ones are skipped)."""
    shown = []
    for data in reversed(replays):
        try:
            shown.append(replay_html(ReplayResult.model_validate(data)))
        except ValueError:
            continue  # a replay saved by a newer version: not worth failing the page
    if not shown:
        return ""
    return (
        f'<div id="{elem_id}" data-count="{len(shown)}"><h4>Your replays of this session '
        f"({len(shown)})</h4>{''.join(shown)}</div>"
    )


@dataclass
class ReplayView:
    """The panel under a scorecard; ``prefix`` keeps element ids apart per page."""

    ctx: WebContext
    prefix: str = "fl"

    def build(self) -> None:
        self.session = gr.State(None)
        with gr.Column(visible=False, elem_id=f"{self.prefix}-replay") as self.box:
            gr.Markdown(INTRO)
            self.turn = gr.Dropdown(
                label="Your turn", choices=[], value=None, elem_id=f"{self.prefix}-replay-turn"
            )
            self.text = gr.Textbox(
                label="Say it another way",
                lines=1,
                max_lines=8,
                elem_id=f"{self.prefix}-replay-text",
                placeholder="Your different reply. Enter replays; Shift+Enter starts a new line.",
            )
            self.go = gr.Button(
                "Replay this turn", variant="primary", elem_id=f"{self.prefix}-replay-go"
            )
            self.result = gr.HTML(elem_id=f"{self.prefix}-replay-result")
            self.saved = gr.HTML(elem_id=f"{self.prefix}-replays-box")

    def outputs(self) -> list:
        return [self.session, self.box, self.turn, self.text, self.result, self.saved]

    def wire(self, api_name: str) -> None:
        args = dict(
            inputs=[self.session, self.turn, self.text],
            outputs=[self.text, self.result, self.saved],
        )
        self.go.click(self.run, api_name=api_name, **args)
        self.text.submit(self.run, api_name=False, **args)

    def _saved(self, session_id: str, user: str, skip_newest: bool = False) -> str:
        replays = self.ctx.store.load_replays(session_id, user)
        return saved_html(replays[:-1] if skip_newest else replays, f"{self.prefix}-replays")

    def show(self, session_id: str, user: str) -> dict:
        """The panel for one of the user's sessions: its turns and earlier replays."""
        turns = [t for t in self.ctx.store.turns(session_id) if t.role == "agent"]
        steps = self.ctx.store.steps(session_id)
        picks = [
            (f"Turn {n}: {t.text[:70]}{'…' if len(t.text) > 70 else ''}", n)
            for n, t in enumerate(turns, 1)
            if n < len(steps) and steps[n - 1].state.outcome.value == "ongoing"
        ]
        return {
            self.session: session_id,
            self.box: gr.Column(visible=bool(picks)),
            self.turn: gr.Dropdown(choices=picks, value=picks[0][1] if picks else None),
            self.text: "",
            self.result: "",
            self.saved: self._saved(session_id, user),
        }

    def clear(self) -> dict:
        return {
            self.session: None,
            self.box: gr.Column(visible=False),
            self.turn: None,
            self.text: "",
            self.result: "",
            self.saved: "",
        }

    def run(self, session_id: str | None, turn, text: str, request: gr.Request) -> list:
        """Replay the chosen turn with the new words, save it, and show it beside the past."""
        who = viewer(self.ctx, request)
        if not session_id:
            raise gr.Error("Open a scorecard first.")
        try:
            number = int(turn)
        except (TypeError, ValueError):
            raise gr.Error("Choose which of your turns to replay.") from None
        try:
            info = self.ctx.store.get(session_id, who.name)
            rubric = grading.rubrics().get(info.rubric)
            result = replay_turn(
                self.ctx.store,
                session_id,
                who.name,
                turn=number,
                reply=text or "",
                personas=self.ctx.library(),
                rubric=rubric,
            )
            self.ctx.store.save_replay(session_id, who.name, result.model_dump(mode="json"))
        except FrontlineError as exc:
            raise gr.Error(str(exc)) from None
        # The new replay is shown on its own; the list under it holds the earlier ones.
        return [text, replay_html(result), self._saved(session_id, who.name, skip_newest=True)]
