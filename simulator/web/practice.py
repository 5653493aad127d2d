"""The practice page: choose a customer, talk to them, end, and read the scorecard.

What a tab is doing lives in its own ``gr.State`` (a :class:`Conversation`); everything a
turn changes is saved in the store first, so a reload resumes the session from there.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from html import escape

import gradio as gr

from ..customer.state import Outcome
from ..errors import FrontlineError
from ..languages.catalogue import Texts
from ..render.offline import OfflineRenderer
from ..sessions import Conversation
from ..sessions.follow_up import start_follow_up
from . import grading
from .auth import viewer
from .chat_view import brief_panel, chat_messages, persona_card, persona_label, session_meter
from .context import WebContext
from .language_view import in_language, language_note, texts_for
from .locale import format_date, ui_languages
from .record_form import RecordForm
from .scorecard_view import ScorecardView

ENGLISH = Texts("en")  # what the components say before the page's language is known


def modes(t: Texts) -> list[tuple[str, str]]:
    """The mode choices in the page's language."""
    return [(t("practice.mode_training"), "training"), (t("practice.mode_exam"), "exam")]


NO_HINT = ""
STREAM_INTERVAL = 0.08  # seconds between streamed updates of the customer's reply


def _answering(t: Texts) -> str:
    text = escape(t("practice.answering"))
    return f'<span class="fl-status" data-turns="pending" role="status">{text}</span>'


def _your_turn(conv: Conversation, t: Texts) -> str:
    """The status line after a turn; once the customer accepted, it asks for the closing."""
    if conv.closing_open:
        # The catalogue's text may hold <b>; only the customer's name is the persona's.
        text = t("practice.accepted", name=escape(conv.persona.identity.name))
        return (
            f'<span class="fl-status" data-turns="{len(conv.turns)}" data-closing="true" '
            f'role="status">{text}</span>'
        )
    text = escape(t("practice.your_turn"))
    return f'<span class="fl-status" data-turns="{len(conv.turns)}" role="status">{text}</span>'


@dataclass
class PracticeView:
    """The practice page's components and its event handlers."""

    ctx: WebContext

    def build(self) -> None:
        """Create the components inside the current Blocks context."""
        self.live = gr.State(None)
        t = ENGLISH
        with gr.Column(visible=True, elem_id="fl-setup") as self.setup:
            self.language = gr.Dropdown(
                label=t("practice.language"),
                choices=ui_languages(),
                value="en",
                elem_id="fl-language",
                interactive=True,
            )
            self.intro = gr.Markdown(t("practice.choose"), elem_id="fl-intro")
            cards, rubrics = self._choice_lists(t)
            self.persona = gr.Radio(
                label=t("practice.customer"),
                choices=cards,
                elem_id="fl-persona-cards",
                elem_classes=["fl-cards"],
            )
            self.card = gr.HTML(persona_card(None, t))
            self.language_note = gr.HTML(elem_id="fl-language-note")
            with gr.Row():
                self.rubric = gr.Dropdown(
                    label=t("practice.rubric"),
                    choices=rubrics,
                    elem_id="fl-rubric",
                    value=rubrics[0][1] if rubrics else None,
                )
                self.mode = gr.Radio(
                    label=t("practice.mode"), choices=modes(t), value="training", elem_id="fl-mode"
                )
                self.hints = gr.Checkbox(
                    label=t("practice.hints"),
                    value=True,
                    elem_id="fl-hints",
                )
            self.start = gr.Button(t("practice.start"), variant="primary", elem_id="fl-start")
        with gr.Column(visible=False, elem_id="fl-session") as self.session:
            self.title = gr.Markdown(elem_id="fl-session-title")
            # Says when a turn is complete (for people using screen readers, and for tests).
            self.status = gr.HTML(elem_id="fl-status")
            with gr.Row():
                with gr.Column(scale=3):
                    self.chat = gr.Chatbot(
                        label=t("practice.conversation"),
                        height=430,
                        elem_id="fl-chat",
                        buttons=[],
                        feedback_options=None,
                        placeholder=t("practice.about_to_speak"),
                    )
                with gr.Column(scale=1, min_width=220):
                    # The trainee's brief, in every mode: what the company allows (§3.9).
                    self.brief = gr.HTML(elem_id="fl-brief")
                    # Shown or hidden as columns: toggling a layout block is cheap for
                    # gradio; toggling a component rebuilds that component's whole config.
                    with gr.Column() as self.coach:
                        self.meter = gr.HTML(elem_id="fl-meter")
                        with gr.Column() as self.hint_box:
                            self.hint = gr.Markdown(NO_HINT, elem_id="fl-hint")
            with gr.Row(elem_id="fl-reply-row"):
                # One line that grows: gradio sends on Enter only for lines=1; Shift+Enter
                # then breaks the line, as chat tools do.
                self.text = gr.Textbox(
                    label=t("practice.reply"),
                    lines=1,
                    max_lines=8,
                    scale=4,
                    elem_id="fl-reply",
                    placeholder=t("practice.reply_placeholder"),
                )
                with gr.Column(scale=1, min_width=140, elem_id="fl-reply-buttons"):
                    self.send = gr.Button(t("practice.send"), variant="primary", elem_id="fl-send")
                    self.end = gr.Button(t("practice.end"), variant="stop", elem_id="fl-end")
        with gr.Column(visible=False, elem_id="fl-result") as self.result:
            # The session the result panel shows (its record and follow-up act on it).
            self.finished = gr.State(None)
            self.record = RecordForm(self.ctx)
            self.record.build(t)
            with gr.Row(visible=False, elem_id="fl-follow-up-row") as self.follow_row:
                self.follow_text = gr.Markdown(t("practice.follow_up_intro"))
                self.follow = gr.Button(t("practice.follow_up"), elem_id="fl-follow-up")
            self.scorecard = ScorecardView(self.ctx)
            self.scorecard.build()
            self.again = gr.Button(t("practice.again"), variant="primary", elem_id="fl-again")

    # -- wiring -----------------------------------------------------------------------
    # Every handler returns a value for each of its outputs. Gradio treats a missing one
    # as an empty update and rebuilds that component's config (JSON schemas included),
    # which costs far more than a turn; plain values and layout toggles are cheap.
    def turn_outputs(self) -> list:
        """What a turn may change (send, end); the API returns the non-layout ones as
        status, chat, meter, hint, reply box, scorecard, transcript file, scorecard file."""
        return [
            self.live,
            self.setup,
            self.session,
            self.result,
            self.status,
            self.chat,
            self.meter,
            self.hint,
            self.text,
            *self.scorecard.outputs(),
            self.finished,
            self.follow_row,
        ]

    def start_outputs(self) -> list:
        """A turn's outputs plus the session panel's layout, title and brief (start)."""
        return [*self.turn_outputs(), self.coach, self.hint_box, self.title, self.brief]

    def outputs(self) -> list:
        """Everything, choices of customer and rubric included (page load, practise again)."""
        return [*self.start_outputs(), self.persona, self.rubric, *self.record_outputs()]

    def record_outputs(self) -> list:
        """The record form's fields and status (cleared for a new session)."""
        return [*self.record.fields, self.record.status]

    def wire(self) -> None:
        """Attach the event handlers (call inside the Blocks context, after build)."""
        self.persona.change(
            self.show_card, [self.persona], [self.card, self.language_note], api_name=False
        )
        self.start.click(
            self.start_session,
            [self.persona, self.rubric, self.mode, self.hints],
            self.start_outputs(),
            api_name="start",
        )
        send_args = dict(inputs=[self.text, self.live, self.hints], outputs=self.turn_outputs())
        self.send.click(self.send_turn, api_name="send", **send_args)
        self.text.submit(self.send_turn, api_name=False, **send_args)
        self.end.click(self.end_session, [self.live], self.turn_outputs(), api_name="end")
        self.again.click(self.practise_again, [], self.outputs(), api_name=False)
        self.record.save.click(
            self.save_record,
            [self.finished, *self.record.fields],
            [self.record.status, *self.scorecard.outputs()],
            api_name="save_record",
        )
        self.follow.click(
            self.start_follow_up,
            [self.finished, self.hints],
            [*self.start_outputs(), *self.record_outputs()],
            api_name="follow_up",
        )
        self.scorecard.wire("replay")

    @staticmethod
    def _emit(view: dict, outputs: list) -> list:
        """The view as a list in the order of ``outputs``; every output must be given."""
        missing = [o for o in outputs if o not in view]
        if missing:  # a programming error: say which, rather than pay for a silent rebuild
            raise RuntimeError(f"view lacks outputs {[type(m).__name__ for m in missing]}")
        return [view[o] for o in outputs]

    def _choice_lists(self, t: Texts) -> tuple[list, list]:
        lib = self.ctx.library()
        return [(persona_label(lib.get(i), t), i) for i in lib.ids()], grading.rubric_choices()

    def choices(self, t: Texts) -> dict:
        """Fresh persona cards and rubrics (the persona folder may have changed)."""
        cards, rubrics = self._choice_lists(t)
        return {
            self.persona: gr.Radio(choices=cards, label=t("practice.customer")),
            self.rubric: gr.Dropdown(
                choices=rubrics,
                value=rubrics[0][1] if rubrics else None,
                label=t("practice.rubric"),
            ),
        }

    def label_outputs(self) -> list:
        """The components whose words change with the page's language (not the choices
        of customer and rubric, which :meth:`choices` relabels with their lists)."""
        return [
            self.language,
            self.intro,
            self.card,
            self.mode,
            self.hints,
            self.start,
            self.chat,
            self.text,
            self.send,
            self.end,
            self.again,
            self.follow_text,
            self.follow,
            *self.record.label_outputs(),
        ]

    def labels(self, t: Texts, view: dict | None = None) -> dict:
        """Every fixed word of the page in ``t``'s language (see :meth:`label_outputs`);
        where ``view`` gives a component's value too (a page load), the update keeps it."""
        view = view or {}
        values = {c: {"value": view[c]} for c in (self.chat, self.text) if c in view}
        return {
            self.language: gr.Dropdown(label=t("practice.language"), value=t.language),
            self.intro: t("practice.choose"),
            self.card: persona_card(None, t),
            self.mode: gr.Radio(label=t("practice.mode"), choices=modes(t)),
            self.hints: gr.Checkbox(label=t("practice.hints")),
            self.start: gr.Button(t("practice.start")),
            self.chat: gr.Chatbot(
                label=t("practice.conversation"),
                placeholder=t("practice.about_to_speak"),
                **values.get(self.chat, {}),
            ),
            self.text: gr.Textbox(
                label=t("practice.reply"),
                placeholder=t("practice.reply_placeholder"),
                **values.get(self.text, {}),
            ),
            self.send: gr.Button(t("practice.send")),
            self.end: gr.Button(t("practice.end")),
            self.again: gr.Button(t("practice.again")),
            self.follow_text: t("practice.follow_up_intro"),
            self.follow: gr.Button(t("practice.follow_up")),
            **self.record.labels(t, view),
        }

    def _persona(self, persona_id: str | None):
        if not persona_id:
            return None
        try:
            return self.ctx.library().get(persona_id)
        except FrontlineError:
            return None

    def show_card(self, persona_id: str | None, request: gr.Request) -> tuple[str, str]:
        """The chosen customer's card, and what the picker says about their language."""
        persona, t = self._persona(persona_id), texts_for(self.ctx, request)
        return persona_card(persona, t), language_note(persona, t)

    # -- the views --------------------------------------------------------------------
    def _panels(self, showing: str) -> dict:
        return {
            self.setup: gr.Column(visible=showing == "setup"),
            self.session: gr.Column(visible=showing == "session"),
            self.result: gr.Column(visible=showing == "result"),
        }

    def _setup_view(self, t: Texts) -> dict:
        return {
            self.live: None,
            **self._panels("setup"),
            self.status: "",
            self.chat: [],
            self.meter: "",
            self.hint: NO_HINT,
            self.text: "",
            **self.scorecard.clear(),
            self.coach: gr.Column(),
            self.hint_box: gr.Column(),
            self.title: "",
            self.brief: "",
            **self.choices(t),
            **self.record.cleared(),
            self.finished: None,
            self.follow_row: gr.Row(visible=False),
        }

    def _session_view(self, conv: Conversation, hints: bool, t: Texts) -> dict:
        """Everything the session panel shows, including which parts are visible."""
        p = conv.persona
        training = conv.info.mode == "training"
        line = t(
            "practice.session_line",
            mode=t(f"practice.mode_name_{'training' if training else 'exam'}"),
            rubric=conv.info.rubric,
            session=conv.session_id,
            started=format_date(conv.info.created, t.language),
        )
        call = ""
        if conv.info.follow_up_of:
            days = p.case.follow_up.days_later if p.case.follow_up else 0
            call = " — " + t("practice.follow_up_title", days=days)
        title = f"### {escape(p.identity.name)} — {escape(p.case.title)}{call}\n{line}"
        return {
            **self._turn_view(conv, hints, t),
            self.coach: gr.Column(visible=training),
            self.hint_box: gr.Column(visible=training and hints),
            self.title: title,
            self.brief: brief_panel(p, t),
        }

    def _turn_view(
        self,
        conv: Conversation,
        hints: bool,
        t: Texts,
        chat: list | None = None,
        status: str | None = None,
    ) -> dict:
        """The session panel after a turn (or, with ``chat``/``status``, while answering)."""
        training = conv.info.mode == "training"
        return {
            self.live: conv,
            **self._panels("session"),
            self.status: status or _your_turn(conv, t),
            self.chat: chat if chat is not None else chat_messages(conv.turns),
            self.meter: session_meter(conv, t) if training else "",
            self.hint: self._hint(conv, t) if training and hints else NO_HINT,
            self.text: "",
            **self.scorecard.clear(),
            self.finished: None,
            self.follow_row: gr.Row(visible=False),
        }

    def _hint(self, conv: Conversation, t: Texts) -> str:
        stage = grading.next_stage(conv)
        return t("practice.hint", stage=stage) if stage else NO_HINT

    def _result_view(self, conv: Conversation, user: str, t: Texts) -> dict:
        return {
            self.live: None,
            **self._panels("result"),
            self.status: "",
            self.chat: chat_messages(conv.turns),
            self.meter: "",
            self.hint: NO_HINT,
            self.text: "",
            **self.scorecard.show(conv.session_id, user, t),
            self.finished: conv.session_id,
            # §3.11: a resolved first call can be followed up days later.
            self.follow_row: gr.Row(
                visible=conv.outcome is Outcome.RESOLVED
                and not conv.info.follow_up_of
                and conv.persona.case.follow_up is not None
            ),
        }

    # -- handlers ---------------------------------------------------------------------
    def start_session(
        self,
        persona_id: str | None,
        rubric: str | None,
        mode: str,
        hints: bool,
        request: gr.Request,
    ) -> Iterator[list]:
        """Start a session and stream the customer's opening complaint."""
        who = viewer(self.ctx, request)
        t = texts_for(self.ctx, request)
        if not persona_id:
            raise gr.Error(t("error.choose_customer"))
        try:
            # The session speaks the page's language when the customer is written in it.
            persona = in_language(self.ctx.library().get(persona_id), t.language)
            rubric_id = grading.check_rubric(rubric)
            # One session in progress per trainee: one left open (a closed tab) is ended,
            # so it shows in the history as ended early and its scorecard can be opened.
            for info in self.ctx.store.list_sessions(who.name):
                if info.status == "active":
                    self.ctx.store.set_status(info.id, "ended")
            conv = Conversation.start(
                persona,
                store=self.ctx.store,
                renderer=self.ctx.renderer,
                user=who.name,
                rubric=rubric_id,
                mode=mode or "training",
            )
            if (detector := self.ctx.detector(persona.language)) is not None:
                conv.read_with(detector)
        except FrontlineError as exc:
            raise gr.Error(str(exc)) from None
        out = self.start_outputs()
        layout = self._session_view(conv, hints, t)
        for view in self._stream(conv, conv.opening(), [], hints, who.name, t):
            yield self._emit({**layout, **view}, out)

    def send_turn(
        self, text: str, conv: Conversation | None, hints: bool, request: gr.Request
    ) -> Iterator[list]:
        """Send the trainee's reply and stream the customer's answer."""
        who = viewer(self.ctx, request)
        t = texts_for(self.ctx, request)
        conv = conv or self._resume(who.name)
        if conv is None:
            raise gr.Error(t("error.no_session"))
        keep = ""
        try:
            if conv.owes_reply:
                # The customer's last answer failed (e.g. the model's server dropped out):
                # try it again first, and leave what was typed in the box for the next turn.
                stream, keep = conv.pending_reply(), text or ""
            elif not (text or "").strip():
                raise gr.Error(t("error.type_reply"))
            else:
                stream = conv.reply(text)
        except FrontlineError as exc:
            raise gr.Error(str(exc)) from None
        history = chat_messages(conv.turns)
        for view in self._stream(conv, stream, history, hints, who.name, t):
            if keep and self.text in view and view.get(self.live) is conv:
                view[self.text] = keep
            yield self._emit(view, self.turn_outputs())

    def _stream(
        self,
        conv: Conversation,
        stream: Iterator[str],
        history: list[dict],
        hints: bool,
        user: str,
        t: Texts,
    ) -> Iterator[dict]:
        """Views while the customer answers, then the turn view (or the scorecard)."""
        if not isinstance(self.ctx.renderer, OfflineRenderer):
            # A model takes a moment: show the trainee's words and a waiting customer now.
            yield self._turn_view(
                conv, hints, t, history + [{"role": "assistant", "content": "…"}], _answering(t)
            )
        words, shown_at = "", time.monotonic()
        try:
            for chunk in stream:
                words += chunk
                # Pushing every chunk would cost a page update each; a few per second reads
                # as live typing. The offline engine answers at once, so it sends none here.
                if time.monotonic() - shown_at >= STREAM_INTERVAL:
                    shown_at = time.monotonic()
                    yield self._turn_view(
                        conv,
                        hints,
                        t,
                        history + [{"role": "assistant", "content": words}],
                        _answering(t),
                    )
        except FrontlineError as exc:
            raise gr.Error(t("error.customer_failed", problem=exc)) from None
        if not conv.accepts_input:
            # The customer escalated or left, or the call was closed after they accepted:
            # the session ends by itself.
            yield self._result_view(conv, user, t)
            return
        yield self._turn_view(conv, hints, t)

    def end_session(self, conv: Conversation | None, request: gr.Request) -> list:
        """The trainee ends the session: grade it and show the scorecard."""
        who = viewer(self.ctx, request)
        conv = conv or self._resume(who.name)
        if conv is None:
            raise gr.Error(texts_for(self.ctx, request)("error.no_session"))
        if conv.owes_reply:
            # The customer's reply was cut off (reload mid-stream): finish it for the record.
            for _ in conv.pending_reply():
                pass
        conv.end()
        t = texts_for(self.ctx, request)
        return self._emit(self._result_view(conv, who.name, t), self.turn_outputs())

    def save_record(
        self,
        session_id: str | None,
        topic: str,
        customer: str,
        date: str,
        details: str,
        resolution: str,
        next_step: str,
        deadline: str,
        request: gr.Request,
    ) -> list:
        """Keep the complaint record with the finished session and regrade it (§3.10); the
        fields come in the order of RECORD_FIELDS."""
        who = viewer(self.ctx, request)
        values = [topic, customer, date, details, resolution, next_step, deadline]
        t = texts_for(self.ctx, request)
        status = self.record.save_record(session_id, who.name, values, t)
        view = {self.record.status: status, **self.scorecard.show(session_id, who.name, t)}
        return self._emit(view, [self.record.status, *self.scorecard.outputs()])

    def start_follow_up(
        self, session_id: str | None, hints: bool, request: gr.Request
    ) -> Iterator[list]:
        """Start the follow-up call to the finished session and stream the customer's first
        words: they remember whether the promise was kept (§3.11)."""
        who = viewer(self.ctx, request)
        t = texts_for(self.ctx, request)
        if not session_id:
            raise gr.Error(t("error.no_follow_up"))
        try:
            for info in self.ctx.store.list_sessions(who.name):
                if info.status == "active":
                    self.ctx.store.set_status(info.id, "ended")
            conv = start_follow_up(
                self.ctx.store,
                session_id,
                self.ctx.library(),
                user=who.name,
                renderer=self.ctx.renderer,
            )
            if (detector := self.ctx.detector(conv.persona.language)) is not None:
                conv.read_with(detector)
        except FrontlineError as exc:
            raise gr.Error(str(exc)) from None
        out = [*self.start_outputs(), *self.record_outputs()]
        layout = {**self._session_view(conv, hints, t), **self.record.cleared()}
        for view in self._stream(conv, conv.opening(), [], hints, who.name, t):
            yield self._emit({**layout, **view}, out)

    def practise_again(self, request: gr.Request) -> list:
        return self._emit(self._setup_view(texts_for(self.ctx, request)), self.outputs())

    # -- resuming after a reload ------------------------------------------------------
    def _resume(self, user: str) -> Conversation | None:
        """The user's newest active session, rebuilt from the store; None if there is none."""
        active = [s for s in self.ctx.store.list_sessions(user) if s.status == "active"]
        if not active:
            return None
        info = active[0]
        try:
            conv = Conversation.resume(
                self.ctx.store, info.id, self.ctx.library(), user=user, renderer=self.ctx.renderer
            )
            if (detector := self.ctx.detector(conv.persona.language)) is not None:
                conv.read_with(detector)
        except FrontlineError:
            # The persona was changed or removed since: that session cannot go on.
            self.ctx.store.set_status(info.id, "ended")
            return None
        if conv.owes_reply:
            for _ in conv.pending_reply():
                pass
        return conv

    def on_load(self, hints: bool, request: gr.Request) -> dict:
        """Page (re)load: resume the session in progress, else show the choice of customer.
        Returns a view over :meth:`outputs` (the caller adds its own outputs)."""
        who = viewer(self.ctx, request)
        t = texts_for(self.ctx, request)
        conv = self._resume(who.name)
        if conv is None:
            return self._setup_view(t)
        return {**self._session_view(conv, hints, t), **self.choices(t), **self.record.cleared()}
