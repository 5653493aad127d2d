"""The scorecard's "Replay a turn another way" panel: pick one of your turns, write another
reply, and see beside what happened how the customer would have reacted and how the score
would have moved. The work is in :mod:`simulator.sessions.replay`; this is the page.

Replays are practice: shown as such, saved with the session, never counted anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

import gradio as gr

from ..customer.reason_words import reasons_in
from ..errors import FrontlineError
from ..languages.catalogue import Texts
from ..languages.formatting import number
from ..sessions.replay import Branch, ReplayResult, replay_turn
from . import grading
from .auth import viewer
from .context import WebContext
from .language_view import texts_for
from .mood import mood_reasons

ENGLISH = Texts("en")  # the words before a page's language is known


def _mood_line(side: Branch, before, t: Texts) -> str:
    parts = []
    for name in ("anger", "trust", "patience"):
        value, was = getattr(side.mood, name), getattr(before, name)
        delta = value - was
        change = f" ({delta:+.0f})" if round(delta) else ""
        parts.append(f"{t(f'mood.{name}')} {value:.0f}{change}")
    return " · ".join(parts)


def _side(title: str, key: str, side: Branch, before, t: Texts) -> str:
    why = "; ".join(reasons_in(mood_reasons(side.reasons), t))
    verdict = t("replay.pass") if side.passed else t("replay.not_yet")
    score = t(
        "replay.score_ended" if side.ended else "replay.score_so_far",
        score=number(side.score, t.language),
        verdict=escape(verdict),
        outcome=escape(t(f"outcome.{side.outcome.value}")),
    )
    return (
        f'<div class="fl-replay-side" data-side="{key}" data-score="{side.score:g}" '
        f'data-anger="{side.mood.anger:.1f}"><h4>{escape(title)}</h4>'
        f'<p class="fl-replay-line"><span class="fl-replay-who">{escape(t("replay.you"))}</span> '
        f"{escape(side.reply)}</p>"
        f'<p class="fl-replay-line fl-replay-customer"><span class="fl-replay-who">'
        f"{escape(t('replay.customer'))}</span> {escape(side.customer or '…')}</p>"
        f'<p class="fl-replay-mood">'
        f"{escape(t('replay.mood', mood=_mood_line(side, before, t)))}</p>"
        + (f'<p class="fl-replay-why">{escape(t("replay.why", reasons=why))}</p>' if why else "")
        + (
            f'<p class="fl-replay-broke">'
            f"{escape(t('replay.phrasing', rules='; '.join(side.violations)))}</p>"
            if side.violations
            else ""
        )
        + f'<p class="fl-replay-score">{score}</p></div>'
    )


def _verdict(verdict: str, t: Texts) -> str:
    """A criterion's verdict ('met', 'missed') as ``t``'s language writes it."""
    known = verdict in ("met", "missed", "not_applicable")
    return t(f"scorecard.word_{verdict}") if known else verdict


def replay_html(r: ReplayResult, t: Texts = ENGLISH) -> str:
    """One replay beside what happened, marked as practice, in ``t``'s language."""
    delta = r.replay.score - r.actual.score
    sign = "+" if delta > 0 else "-"
    change = t("replay.no_change") if not round(delta, 1) else sign + number(abs(delta), t.language)
    changed = "".join(
        f'<li data-criterion="{escape(c.id)}">{escape(c.title)}: '
        f"{escape(_verdict(c.actual, t))} → <b>{escape(_verdict(c.replay, t))}</b></li>"
        for c in r.changed
    )
    summary = t(
        "replay.summary",
        turn=r.turn,
        before=number(r.actual.score, t.language),
        after=number(r.replay.score, t.language),
        change=escape(change),
    )
    actual = _side(t("replay.actual"), "actual", r.actual, r.before, t)
    mine = _side(t("replay.yours"), "replay", r.replay, r.before, t)
    return (
        f'<div class="fl-replay" data-turn="{r.turn}" data-delta="{delta:g}">'
        f'<span class="fl-replay-tag">{escape(t("replay.tag"))}</span>{summary}'
        f'<div class="fl-replay-sides">{actual}{mine}</div>'
        + (f'<ul class="fl-replay-changed">{changed}</ul>' if changed else "")
        + "</div>"
    )


def saved_html(replays: list[dict], elem_id: str, t: Texts = ENGLISH) -> str:
    """Replays of the session, newest first (unreadable ones are skipped)."""
    shown = []
    for data in reversed(replays):
        try:
            shown.append(replay_html(ReplayResult.model_validate(data), t))
        except ValueError:
            continue  # a replay saved by a newer version: not worth failing the page
    if not shown:
        return ""
    heading = escape(t("replay.saved", count=len(shown)))
    return f'<div id="{elem_id}" data-count="{len(shown)}"><h4>{heading}</h4>{"".join(shown)}</div>'


@dataclass
class ReplayView:
    """The panel under a scorecard; ``prefix`` keeps element ids apart per page."""

    ctx: WebContext
    prefix: str = "fl"

    def build(self) -> None:
        self.session = gr.State(None)
        t = ENGLISH
        with gr.Column(visible=False, elem_id=f"{self.prefix}-replay") as self.box:
            self.intro = gr.Markdown(t("replay.intro"))
            self.turn = gr.Dropdown(
                label=t("replay.turn"), choices=[], value=None, elem_id=f"{self.prefix}-replay-turn"
            )
            self.text = gr.Textbox(
                label=t("replay.text"),
                lines=1,
                max_lines=8,
                elem_id=f"{self.prefix}-replay-text",
                placeholder=t("replay.placeholder"),
            )
            self.go = gr.Button(
                t("replay.go"), variant="primary", elem_id=f"{self.prefix}-replay-go"
            )
            self.result = gr.HTML(elem_id=f"{self.prefix}-replay-result")
            self.saved = gr.HTML(elem_id=f"{self.prefix}-replays-box")

    def outputs(self) -> list:
        return [self.session, self.box, self.turn, self.text, self.result, self.saved]

    def label_outputs(self) -> list:
        """The components whose words :meth:`labels` gives."""
        return [self.intro, self.turn, self.text, self.go]

    def labels(self, t: Texts) -> dict:
        """The panel's fixed words in ``t``'s language (at page load and on the picker;
        the reply box keeps what is typed in it: only its label and placeholder change)."""
        return {
            self.intro: t("replay.intro"),
            self.turn: gr.Dropdown(label=t("replay.turn")),
            self.text: gr.Textbox(label=t("replay.text"), placeholder=t("replay.placeholder")),
            self.go: gr.Button(t("replay.go")),
        }

    def wire(self, api_name: str) -> None:
        args = dict(
            inputs=[self.session, self.turn, self.text],
            outputs=[self.text, self.result, self.saved],
        )
        self.go.click(self.run, api_name=api_name, **args)
        self.text.submit(self.run, api_name=False, **args)

    def _saved(self, session_id: str, user: str, t: Texts, skip_newest: bool = False) -> str:
        replays = self.ctx.store.load_replays(session_id, user)
        shown = replays[:-1] if skip_newest else replays
        return saved_html(shown, f"{self.prefix}-replays", t)

    def show(self, session_id: str, user: str, t: Texts | None = None) -> dict:
        """The panel for one of the user's sessions: its turns and earlier replays, in
        ``t``'s language (given, the reply box is relabelled too; else English words and
        the box's labels as the page last set them)."""
        words = t or ENGLISH
        turns = [turn for turn in self.ctx.store.turns(session_id) if turn.role == "agent"]
        steps = self.ctx.store.steps(session_id)
        picks = [
            (
                words(
                    "replay.pick", number=n, text=f"{a.text[:70]}{'…' if len(a.text) > 70 else ''}"
                ),
                n,
            )
            for n, a in enumerate(turns, 1)
            if n < len(steps) and steps[n - 1].state.outcome.value == "ongoing"
        ]
        return {
            self.session: session_id,
            self.box: gr.Column(visible=bool(picks)),
            self.turn: gr.Dropdown(choices=picks, value=picks[0][1] if picks else None),
            self.text: ""
            if t is None
            else gr.Textbox(value="", label=t("replay.text"), placeholder=t("replay.placeholder")),
            self.result: "",
            self.saved: self._saved(session_id, user, words),
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
        t = texts_for(self.ctx, request)
        if not session_id:
            raise gr.Error(t("replay.need_scorecard"))
        try:
            number = int(turn)
        except (TypeError, ValueError):
            raise gr.Error(t("replay.need_turn")) from None
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
        saved = self._saved(session_id, who.name, t, skip_newest=True)
        return [text, replay_html(result, t), saved]
