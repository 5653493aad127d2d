"""The persona designer (trainers and admins): browse, start from an archetype template, edit
as YAML or in a form with errors shown by field while typing, try the customer at once in
a test chat, save into the personas folder, upload and download persona files.

Every handler checks the role on the server: hiding the tab is only a convenience.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

import gradio as gr

from ..confined import confined
from ..errors import FileProblems, FrontlineError
from ..persona.model import Archetype, Persona, Temperament
from ..persona.name_check import replace_name
from ..sessions import Conversation, SessionStore
from ..yamlfile import MAX_FILE_BYTES, read_text
from .auth import require_designer
from .calibrate_view import calibrate_draft, lint_html
from .cert_runs import uploaded_files
from .chat_view import chat_messages
from .context import WebContext
from .downloads import write_download
from .mood import meter_html
from .persona_edit import (
    apply_form,
    form_name,
    form_values,
    problems_html,
    rename_offer,
    template_for,
    validate_text,
    write_persona,
)


@dataclass
class DesignerView:
    ctx: WebContext

    def __post_init__(self) -> None:
        # Test chats are practice with a draft persona: kept apart from real sessions.
        self.scratch = SessionStore(":memory:")

    def build(self) -> None:
        gr.Markdown(
            "### Persona designer\nBrowse the personas, or start a new one from an "
            "archetype. Problems are listed by field as you type; save when there "
            "are none."
        )
        with gr.Row():
            self.browse = gr.Dropdown(
                label="Open a persona file",
                choices=self.files(),
                value=None,
                allow_custom_value=True,
                scale=3,
                elem_id="fl-design-browse",
            )
            self.archetype = gr.Dropdown(
                label="New from archetype template",
                choices=[a.value for a in Archetype],
                value=Archetype.AGGRESSIVE.value,
                scale=2,
                elem_id="fl-design-archetype",
            )
            self.new = gr.Button("New persona", scale=1, elem_id="fl-design-new")
        with gr.Row():
            with gr.Column(scale=3):
                with gr.Tabs():
                    with gr.Tab("YAML", elem_id="fl-design-yaml-tab"):
                        # Long phrase lines wrap, so a whole line reads without scrolling.
                        self.editor = gr.Code(
                            language="yaml",
                            lines=24,
                            max_lines=40,
                            label="Persona file",
                            interactive=True,
                            wrap_lines=True,
                            elem_id="fl-yaml",
                        )
                    with gr.Tab("Form", elem_id="fl-design-form-tab"):
                        self.form = self._build_form()
                        # Shown after the name changes, while the old name is still written
                        # elsewhere in the file (phrases, facts, examples, triggers).
                        self.rename = gr.Button(
                            visible=False, size="sm", elem_id="fl-design-rename"
                        )
                        self.rename_from = gr.State(None)
                self.problems = gr.HTML(problems_html([], "nothing loaded yet"))
                with gr.Row():
                    self.save = gr.Button(
                        "Save to personas folder", variant="primary", elem_id="fl-design-save"
                    )
                    self.upload = gr.UploadButton(
                        "Upload a persona file",
                        file_types=[".yaml", ".yml"],
                        elem_id="fl-design-upload",
                    )
                    self.download = gr.DownloadButton(
                        "Download this file", visible=False, elem_id="fl-design-download"
                    )
                    self.calibrate = gr.Button("Calibrate", elem_id="fl-design-calibrate")
                self.status = gr.Markdown(elem_id="fl-design-status")
            with gr.Column(scale=2):
                gr.Markdown(
                    "#### Test chat\nTalk to the draft as it is in the editor. "
                    "Test chats are not saved."
                )
                self.try_chat = gr.Chatbot(
                    label="Test chat", height=320, feedback_options=None, elem_id="fl-design-chat"
                )
                self.try_meter = gr.HTML()
                self.try_text = gr.Textbox(label="Say", lines=1, elem_id="fl-design-say")
                with gr.Row():
                    self.try_start = gr.Button("Try it", elem_id="fl-design-try")
                    self.try_send = gr.Button("Send", elem_id="fl-design-send")
                self.try_state = gr.State(None)
        # Full width: the matrix has a dozen columns.
        self.calibration = gr.HTML(elem_id="fl-calibration-box")
        self.matrix = gr.Markdown(elem_id="fl-calibration-matrix")

    def _build_form(self) -> list:
        fields = []
        with gr.Row():
            fields.append(gr.Textbox(label="id", elem_id="fl-form-id"))
            fields.append(
                gr.Textbox(label="summary (one line)", scale=3, elem_id="fl-form-summary")
            )
        with gr.Row():
            fields.append(gr.Dropdown(label="archetype", choices=[a.value for a in Archetype]))
            fields.append(gr.Dropdown(label="temperament", choices=[t.value for t in Temperament]))
            fields.append(gr.Slider(1, 5, step=1, label="difficulty"))
        with gr.Row():
            fields.append(gr.Textbox(label="name", elem_id="fl-form-name"))
            fields.append(gr.Textbox(label="company"))
        fields.append(gr.Textbox(label="case title", elem_id="fl-form-title"))
        with gr.Row():
            fields += [
                gr.Slider(0, 100, step=1, label=f"starting {k}")
                for k in ("anger", "trust", "patience")
            ]
            fields.append(gr.Slider(2, 60, step=1, label="max turns"))
        return fields

    def fresh_outputs(self) -> list:
        """What belongs to the draft that was in the editor before: cleared on a new one."""
        return [
            self.calibration,
            self.matrix,
            self.try_state,
            self.try_chat,
            self.try_meter,
            self.rename,
            self.rename_from,
        ]

    @staticmethod
    def fresh() -> list:
        """Values for :meth:`fresh_outputs`: no calibration, no test chat, no rename."""
        return ["", "", None, [], "", gr.Button(visible=False), None]

    def wire(self) -> None:
        check = [self.problems, self.download]
        fresh = self.fresh_outputs()
        self.browse.change(
            self.open,
            [self.browse],
            [self.editor, *check, *self.form, *fresh],
            api_name="designer_open",
        )
        self.new.click(
            self.new_from_template,
            [self.archetype],
            [self.editor, *check, *self.form, *fresh],
            api_name="designer_new",
        )
        self.editor.input(
            self.check,
            [self.editor],
            [*check, *self.form],
            api_name="designer_check",
            trigger_mode="always_last",
        )
        for field in self.form:
            field.input(
                self.from_form,
                [self.editor, self.rename_from, *self.form],
                [self.editor, *check, self.rename, self.rename_from],
                api_name=False,
                trigger_mode="always_last",
            )
        self.rename.click(
            self.replace_old_name,
            [self.editor, self.rename_from],
            [self.editor, *check, self.rename, self.rename_from, self.status],
            api_name="designer_rename",
        )
        self.save.click(
            self.save_text,
            [self.editor],
            [self.status, *check, self.browse],
            api_name="designer_save",
        )
        self.calibrate.click(
            self.calibrate_text,
            [self.editor],
            [self.calibration, self.matrix],
            api_name="designer_calibrate",
        )
        self.upload.upload(
            self.load_upload,
            [self.upload],
            [self.editor, *check, *self.form, *fresh],
            api_name=False,
        )
        self.try_start.click(
            self.try_it,
            [self.editor],
            [self.try_state, self.try_chat, self.try_meter],
            api_name=False,
        )
        send = dict(
            inputs=[self.try_text, self.try_state],
            outputs=[self.try_state, self.try_chat, self.try_meter, self.try_text],
            api_name=False,
        )
        self.try_send.click(self.try_reply, **send)
        self.try_text.submit(self.try_reply, **send)

    # -- handlers ---------------------------------------------------------------------
    def files(self) -> list[tuple[str, str]]:
        """(label, file name) of every persona file, broken ones included so they can be
        fixed here (opening a link that leads out of the folder says why it is not read)."""
        lib = self.ctx.library()
        broken = {Path(p.file).name for p in lib.problems}
        return [
            (f"{p.name} — has problems" if p.name in broken else p.name, p.name)
            for p in sorted(self.ctx.personas_dir.glob("*.yaml"))
        ]

    def refresh(self, request: gr.Request) -> gr.Dropdown:
        """The persona files as they are now (another trainer may have saved one)."""
        require_designer(self.ctx, request)
        return gr.Dropdown(choices=self.files())

    def _checked(self, text: str, owner: str) -> tuple[Persona | None, list]:
        persona, problems = validate_text(text)
        html = problems_html(problems, f"valid persona {persona.id}" if persona else "")
        if persona is not None:  # warnings never block saving, but are shown before it
            html += lint_html(persona, text)
        download = gr.DownloadButton(visible=False)
        if persona is not None:
            # Named by content: the same draft reuses its file instead of piling up copies.
            digest = hashlib.sha256(text.encode()).hexdigest()[:16]
            path = write_download(owner, f"designer-{digest}", f"{persona.id}.yaml", text)
            download = gr.DownloadButton(value=str(path), visible=True)
        return persona, [html, download]

    def check(self, text: str, request: gr.Request) -> list:
        """Validate the editor text; problems are listed by line and field."""
        who = require_designer(self.ctx, request)
        _, shown = self._checked(text, who.name)
        return [*shown, *form_values(text)]

    def open(self, file_name: str | None, request: gr.Request) -> list:
        """Load a file of the personas folder (only a name listed there, never a path)."""
        who = require_designer(self.ctx, request)
        names = {name for _, name in self.files()}
        if not file_name or file_name not in names:
            return [
                gr.Code(),
                *self._checked("", who.name)[1],
                *[gr.update()] * len(self.form),
                *[gr.update()] * len(self.fresh()),
            ]
        try:
            folder = self.ctx.personas_dir
            text = read_text(confined(folder / file_name, folder, "personas folder"))
        except FileProblems as exc:
            raise gr.Error(str(exc)) from None
        return [text, *self._checked(text, who.name)[1], *form_values(text), *self.fresh()]

    def new_from_template(self, archetype: str, request: gr.Request) -> list:
        who = require_designer(self.ctx, request)
        lib = self.ctx.library()
        try:
            text = template_for(archetype, [lib.get(i) for i in lib.ids()])
        except FrontlineError as exc:
            raise gr.Error(str(exc)) from None
        return [text, *self._checked(text, who.name)[1], *form_values(text), *self.fresh()]

    def from_form(
        self, request: gr.Request, text: str, renamed_from: str | None, *values: Any
    ) -> list:
        # gradio injects the request only into positional parameters before any *args.
        who = require_designer(self.ctx, request)
        new_text = apply_form(text, list(values))
        old, new = form_name(text), form_name(new_text)
        # Typing a name fires once per key: remember the name the file had first.
        original = renamed_from or (old if old != new else None)
        return [new_text, *self._checked(new_text, who.name)[1], *rename_offer(new_text, original)]

    def replace_old_name(self, text: str, renamed_from: str | None, request: gr.Request) -> list:
        """Replace the persona's former name by its new one across the file."""
        who = require_designer(self.ctx, request)
        new = form_name(text)
        if not renamed_from or not new:
            raise gr.Error("There is no renamed customer to replace.")
        new_text, count = replace_name(text, renamed_from, new)
        return [
            new_text,
            *self._checked(new_text, who.name)[1],
            gr.Button(visible=False),
            None,
            f"Replaced the former name **{escape(renamed_from)}** with "
            f"**{escape(new)}** in {count} place(s). Check the lines, then save.",
        ]

    def save_text(self, text: str, request: gr.Request) -> list:
        """Save a valid persona as ``<id>.yaml`` in the personas folder."""
        who = require_designer(self.ctx, request)
        persona, shown = self._checked(text, who.name)
        if persona is None:
            return [
                "**Not saved**: first fix the problems listed under the editor.",
                *shown,
                gr.update(),
            ]
        lib = self.ctx.library()
        try:
            path = write_persona(self.ctx.personas_dir, persona, text, lib.paths)
        except (FrontlineError, OSError) as exc:
            return [f"**Not saved**: {escape(str(exc))}", *shown, gr.update()]
        return [
            f"Saved **{persona.id}** to `{path.name}` (by {who.name}). Trainees see it on "
            "the practice page from their next page load.",
            *shown,
            gr.Dropdown(choices=self.files(), value=path.name),
        ]

    def load_upload(self, file: str | None, request: gr.Request) -> list:
        who = require_designer(self.ctx, request)
        if not file:
            return [
                gr.update(),
                *self._checked("", who.name)[1],
                *[gr.update()] * len(self.form),
                *self.fresh(),
            ]
        try:
            path = uploaded_files([file])[0]
        except FrontlineError as exc:
            raise gr.Error(str(exc)) from None
        if path.stat().st_size > MAX_FILE_BYTES:
            raise gr.Error(f"That file is larger than {MAX_FILE_BYTES} bytes.")
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            raise gr.Error("That file is not UTF-8 text.") from None
        return [text, *self._checked(text, who.name)[1], *form_values(text), *self.fresh()]

    def calibrate_text(self, text: str, request: gr.Request) -> tuple[str, str]:
        """The calibration matrix, failed DOMAIN expectations and linter warnings for the
        draft, against the personas of the folder (an invalid draft gives its problems)."""
        require_designer(self.ctx, request)
        lib = self.ctx.library()
        return calibrate_draft(text, [lib.get(i) for i in lib.ids()])

    # -- the test chat ----------------------------------------------------------------
    def try_it(self, text: str, request: gr.Request) -> tuple:
        who = require_designer(self.ctx, request)
        persona, problems = validate_text(text)
        if persona is None:
            raise gr.Error(f"The draft has {len(problems)} problem(s); fix them to try it.")
        conv = Conversation.start(
            persona, store=self.scratch, renderer=self.ctx.renderer, user=f"designer:{who.name}"
        )
        "".join(conv.opening())
        return conv, chat_messages(conv.turns), _meter(conv)

    def try_reply(self, text: str, conv: Conversation | None, request: gr.Request) -> tuple:
        require_designer(self.ctx, request)
        if conv is None:
            raise gr.Error("Press 'Try it' first.")
        try:
            "".join(conv.reply(text))
        except FrontlineError as exc:
            raise gr.Error(str(exc)) from None
        return conv, chat_messages(conv.turns), _meter(conv), ""


def _meter(conv: Conversation) -> str:
    s = conv.state
    note = "" if not conv.finished else f"<p>The customer's outcome: <b>{conv.outcome.value}</b>"
    return meter_html(s.anger, s.trust, s.patience) + note
