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
from ..languages.catalogue import Texts
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
from .language_view import texts_for
from .mood import meter_html
from .persona_edit import (
    ENGLISH,
    FORM_FIELDS,
    apply_form,
    file_text,
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
        t = ENGLISH
        self.heading = gr.Markdown(t("designer.heading"))
        with gr.Row():
            self.browse = gr.Dropdown(
                label=t("designer.browse"),
                choices=self.files(t),
                value=None,
                allow_custom_value=True,
                scale=3,
                elem_id="fl-design-browse",
            )
            self.archetype = gr.Dropdown(
                label=t("designer.archetype"),
                choices=self._archetypes(t),
                value=Archetype.AGGRESSIVE.value,
                scale=2,
                elem_id="fl-design-archetype",
            )
            self.new = gr.Button(t("designer.new"), scale=1, elem_id="fl-design-new")
        with gr.Row():
            with gr.Column(scale=3):
                with gr.Tabs():
                    with gr.Tab(t("designer.yaml_tab"), elem_id="fl-design-yaml-tab") as y_tab:
                        # Long phrase lines wrap, so a whole line reads without scrolling.
                        self.editor = gr.Code(
                            language="yaml",
                            lines=24,
                            max_lines=40,
                            label=t("designer.editor"),
                            interactive=True,
                            wrap_lines=True,
                            elem_id="fl-yaml",
                        )
                    with gr.Tab(t("designer.form_tab"), elem_id="fl-design-form-tab") as f_tab:
                        self.form = self._build_form(t)
                        # Shown after the name changes, while the old name is still written
                        # elsewhere in the file (phrases, facts, examples, triggers).
                        self.rename = gr.Button(
                            visible=False, size="sm", elem_id="fl-design-rename"
                        )
                        self.rename_from = gr.State(None)
                self.yaml_tab, self.form_tab = y_tab, f_tab
                # Empty until a draft is loaded (a fixed line here would stay in one language).
                self.problems = gr.HTML("")
                with gr.Row():
                    self.save = gr.Button(
                        t("designer.save"), variant="primary", elem_id="fl-design-save"
                    )
                    self.upload = gr.UploadButton(
                        t("designer.upload"),
                        file_types=[".yaml", ".yml"],
                        elem_id="fl-design-upload",
                    )
                    self.download = gr.DownloadButton(
                        t("designer.download"), visible=False, elem_id="fl-design-download"
                    )
                    self.calibrate = gr.Button(
                        t("designer.calibrate"), elem_id="fl-design-calibrate"
                    )
                self.status = gr.Markdown(elem_id="fl-design-status")
            with gr.Column(scale=2):
                self.try_heading = gr.Markdown(t("designer.try_heading"))
                self.try_chat = gr.Chatbot(
                    label=t("designer.try_chat"),
                    height=320,
                    feedback_options=None,
                    elem_id="fl-design-chat",
                )
                self.try_meter = gr.HTML()
                self.try_text = gr.Textbox(
                    label=t("designer.say"), lines=1, elem_id="fl-design-say"
                )
                with gr.Row():
                    self.try_start = gr.Button(t("designer.try"), elem_id="fl-design-try")
                    self.try_send = gr.Button(t("designer.send"), elem_id="fl-design-send")
                self.try_state = gr.State(None)
        # Full width: the matrix has a dozen columns.
        self.calibration = gr.HTML(elem_id="fl-calibration-box")
        self.matrix = gr.Markdown(elem_id="fl-calibration-matrix")

    @staticmethod
    def _archetypes(t: Texts) -> list[tuple[str, str]]:
        return [(t(f"archetype.{a.value}"), a.value) for a in Archetype]

    def _build_form(self, t: Texts) -> list:
        """The form's fields, in the order of :data:`FORM_FIELDS`."""
        label = {name: t(f"designer.field_{name}") for name, _ in FORM_FIELDS}
        fields = []
        with gr.Row():
            fields.append(gr.Textbox(label=label["id"], elem_id="fl-form-id"))
            fields.append(gr.Textbox(label=label["summary"], scale=3, elem_id="fl-form-summary"))
        with gr.Row():
            fields.append(gr.Dropdown(label=label["archetype"], choices=self._archetypes(t)))
            fields.append(
                gr.Dropdown(
                    label=label["temperament"],
                    choices=[(t(f"temperament.{v.value}"), v.value) for v in Temperament],
                )
            )
            fields.append(gr.Slider(1, 5, step=1, label=label["difficulty"]))
        with gr.Row():
            fields.append(gr.Textbox(label=label["name"], elem_id="fl-form-name"))
            fields.append(gr.Textbox(label=label["company"]))
        fields.append(gr.Textbox(label=label["title"], elem_id="fl-form-title"))
        with gr.Row():
            fields += [
                gr.Slider(0, 100, step=1, label=label[k]) for k in ("anger", "trust", "patience")
            ]
            fields.append(gr.Slider(2, 60, step=1, label=label["max_turns"]))
        return fields

    def label_outputs(self) -> list:
        """The components whose words :meth:`labels` gives."""
        return [
            self.heading,
            self.browse,
            self.archetype,
            self.new,
            self.yaml_tab,
            self.form_tab,
            self.editor,
            self.save,
            self.upload,
            self.download,
            self.calibrate,
            self.try_heading,
            self.try_chat,
            self.try_text,
            self.try_start,
            self.try_send,
            *self.form,
        ]

    def labels(self, t: Texts) -> dict:
        """The page's fixed words in ``t``'s language (at page load and on the picker);
        what the trainer typed (the editor, the form's values) is left as it is."""
        field_labels = [t(f"designer.field_{name}") for name, _ in FORM_FIELDS]
        form = {}
        for field, label in zip(self.form, field_labels, strict=True):
            kind = type(field)
            form[field] = kind(label=label)
        form[self.form[2]] = gr.Dropdown(label=field_labels[2], choices=self._archetypes(t))
        form[self.form[3]] = gr.Dropdown(
            label=field_labels[3],
            choices=[(t(f"temperament.{v.value}"), v.value) for v in Temperament],
        )
        return {
            self.heading: t("designer.heading"),
            self.browse: gr.Dropdown(label=t("designer.browse"), choices=self.files(t)),
            self.archetype: gr.Dropdown(label=t("designer.archetype"), choices=self._archetypes(t)),
            self.new: gr.Button(t("designer.new")),
            self.yaml_tab: gr.Tab(label=t("designer.yaml_tab")),
            self.form_tab: gr.Tab(label=t("designer.form_tab")),
            self.editor: gr.Code(label=t("designer.editor")),
            self.save: gr.Button(t("designer.save")),
            self.upload: gr.UploadButton(t("designer.upload")),
            self.download: gr.DownloadButton(t("designer.download")),
            self.calibrate: gr.Button(t("designer.calibrate")),
            self.try_heading: t("designer.try_heading"),
            self.try_chat: gr.Chatbot(label=t("designer.try_chat")),
            self.try_text: gr.Textbox(label=t("designer.say")),
            self.try_start: gr.Button(t("designer.try")),
            self.try_send: gr.Button(t("designer.send")),
            **form,
        }

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
    def files(self, t: Texts = ENGLISH) -> list[tuple[str, str]]:
        """(label, file name) of every persona file, broken ones included so they can be
        fixed here (opening a link that leads out of the folder says why it is not read)."""
        lib = self.ctx.library()
        broken = {Path(p.file).name for p in lib.problems}
        return [
            (t("designer.has_problems", name=p.name) if p.name in broken else p.name, p.name)
            for p in sorted(self.ctx.personas_dir.glob("*.yaml"))
        ]

    def refresh(self, request: gr.Request) -> gr.Dropdown:
        """The persona files as they are now (another trainer may have saved one)."""
        require_designer(self.ctx, request)
        return gr.Dropdown(choices=self.files(texts_for(self.ctx, request)))

    def _checked(self, text: str, owner: str, t: Texts = ENGLISH) -> tuple[Persona | None, list]:
        persona, problems = validate_text(text)
        ok = t("designer.valid", id=persona.id) if persona else ""
        html = problems_html(problems, ok, t)
        if persona is not None:  # warnings never block saving, but are shown before it
            html += lint_html(persona, text, t)
        download = gr.DownloadButton(visible=False)
        if persona is not None:
            # Named by content: the same draft reuses its file instead of piling up copies.
            digest = hashlib.sha256(text.encode()).hexdigest()[:16]
            path = write_download(
                owner, f"designer-{digest}", f"{persona.id}.yaml", file_text(text)
            )
            download = gr.DownloadButton(value=str(path), visible=True)
        return persona, [html, download]

    def check(self, text: str, request: gr.Request) -> list:
        """Validate the editor text; problems are listed by line and field."""
        who = require_designer(self.ctx, request)
        t = texts_for(self.ctx, request)
        _, shown = self._checked(text, who.name, t)
        return [*shown, *form_values(text)]

    def open(self, file_name: str | None, request: gr.Request) -> list:
        """Load a file of the personas folder (only a name listed there, never a path)."""
        who = require_designer(self.ctx, request)
        t = texts_for(self.ctx, request)
        names = {name for _, name in self.files(t)}
        if not file_name or file_name not in names:
            return [
                gr.Code(),
                *self._checked("", who.name, t)[1],
                *[gr.update()] * len(self.form),
                *[gr.update()] * len(self.fresh()),
            ]
        try:
            folder = self.ctx.personas_dir
            text = read_text(confined(folder / file_name, folder, "personas folder"))
        except FileProblems as exc:
            raise gr.Error(str(exc)) from None
        return [text, *self._checked(text, who.name, t)[1], *form_values(text), *self.fresh()]

    def new_from_template(self, archetype: str, request: gr.Request) -> list:
        who = require_designer(self.ctx, request)
        t = texts_for(self.ctx, request)
        lib = self.ctx.library()
        try:
            text = template_for(archetype, [lib.get(i) for i in lib.ids()])
        except FrontlineError as exc:
            raise gr.Error(str(exc)) from None
        return [text, *self._checked(text, who.name, t)[1], *form_values(text), *self.fresh()]

    def from_form(
        self, request: gr.Request, text: str, renamed_from: str | None, *values: Any
    ) -> list:
        # gradio injects the request only into positional parameters before any *args.
        who = require_designer(self.ctx, request)
        t = texts_for(self.ctx, request)
        new_text = apply_form(text, list(values), t)
        old, new = form_name(text), form_name(new_text)
        # Typing a name fires once per key: remember the name the file had first.
        original = renamed_from or (old if old != new else None)
        return [
            new_text,
            *self._checked(new_text, who.name, t)[1],
            *rename_offer(new_text, original, t),
        ]

    def replace_old_name(self, text: str, renamed_from: str | None, request: gr.Request) -> list:
        """Replace the persona's former name by its new one across the file."""
        who = require_designer(self.ctx, request)
        t = texts_for(self.ctx, request)
        new = form_name(text)
        if not renamed_from or not new:
            raise gr.Error(t("designer.no_rename"))
        new_text, count = replace_name(text, renamed_from, new)
        return [
            new_text,
            *self._checked(new_text, who.name, t)[1],
            gr.Button(visible=False),
            None,
            t("designer.renamed", old=escape(renamed_from), new=escape(new), count=count),
        ]

    def save_text(self, text: str, request: gr.Request) -> list:
        """Save a valid persona as ``<id>.yaml`` in the personas folder."""
        who = require_designer(self.ctx, request)
        t = texts_for(self.ctx, request)
        persona, shown = self._checked(text, who.name, t)
        if persona is None:
            return [
                t("designer.not_saved_problems"),
                *shown,
                gr.update(),
            ]
        lib = self.ctx.library()
        try:
            path = write_persona(self.ctx.personas_dir, persona, text, lib.paths)
        except (FrontlineError, OSError) as exc:
            return [t("designer.not_saved", problem=escape(str(exc))), *shown, gr.update()]
        return [
            t("designer.saved", id=persona.id, file=path.name, user=who.name),
            *shown,
            gr.Dropdown(choices=self.files(t), value=path.name),
        ]

    def load_upload(self, file: str | None, request: gr.Request) -> list:
        who = require_designer(self.ctx, request)
        t = texts_for(self.ctx, request)
        if not file:
            return [
                gr.update(),
                *self._checked("", who.name, t)[1],
                *[gr.update()] * len(self.form),
                *self.fresh(),
            ]
        try:
            path = uploaded_files([file])[0]
        except FrontlineError as exc:
            raise gr.Error(str(exc)) from None
        if path.stat().st_size > MAX_FILE_BYTES:
            raise gr.Error(t("designer.too_large", limit=MAX_FILE_BYTES))
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            raise gr.Error(t("designer.not_utf8")) from None
        return [text, *self._checked(text, who.name, t)[1], *form_values(text), *self.fresh()]

    def calibrate_text(self, text: str, request: gr.Request) -> tuple[str, str]:
        """The calibration matrix, failed DOMAIN expectations and linter warnings for the
        draft, against the personas of the folder (an invalid draft gives its problems)."""
        require_designer(self.ctx, request)
        lib = self.ctx.library()
        t = texts_for(self.ctx, request)
        return calibrate_draft(text, [lib.get(i) for i in lib.ids()], t)

    # -- the test chat ----------------------------------------------------------------
    def try_it(self, text: str, request: gr.Request) -> tuple:
        who = require_designer(self.ctx, request)
        t = texts_for(self.ctx, request)
        persona, problems = validate_text(text)
        if persona is None:
            raise gr.Error(t("designer.draft_problems", count=len(problems)))
        conv = Conversation.start(
            persona, store=self.scratch, renderer=self.ctx.renderer, user=f"designer:{who.name}"
        )
        "".join(conv.opening())
        return conv, chat_messages(conv.turns), _meter(conv, t)

    def try_reply(self, text: str, conv: Conversation | None, request: gr.Request) -> tuple:
        require_designer(self.ctx, request)
        t = texts_for(self.ctx, request)
        if conv is None:
            raise gr.Error(t("designer.try_first"))
        try:
            "".join(conv.reply(text))
        except FrontlineError as exc:
            raise gr.Error(str(exc)) from None
        return conv, chat_messages(conv.turns), _meter(conv, t), ""


def _meter(conv: Conversation, t: Texts) -> str:
    """The draft's mood now, with the last turn's reasons, and its outcome once it ended."""
    s, steps = conv.state, conv.steps
    before = steps[-2].state if len(steps) > 1 else None
    previous = (before.anger, before.trust, before.patience) if before else None
    reasons = [c.reason for c in steps[-1].changes] if steps else []
    outcome = escape(t(f"outcome.{conv.outcome.value}"))
    note = "" if not conv.finished else f"<p>{t('designer.outcome', outcome=outcome)}</p>"
    return meter_html(s.anger, s.trust, s.patience, previous, reasons, t) + note
