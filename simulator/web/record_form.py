"""The complaint record form on the practice page, shown after the call (DOMAIN §3.10).

The trainee fills in the record (topic, customer details, date, details, resolution, next
step and deadline, source 001); saving it keeps it with the session and regrades the
scorecard, which then shows each field met or missed with the reason. The form's words
come from the page language's catalogue (``record.*`` keys in languages/<code>/ui.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr
from pydantic import ValidationError

from ..complaint_record import RECORD_FIELDS, ComplaintRecord
from ..errors import FrontlineError
from ..languages.catalogue import Texts
from .context import WebContext


def _label(t: Texts, name: str) -> str:
    return t(f"record.field_{name}")


def _placeholder(t: Texts, name: str) -> str:
    return t(f"record.hint_{name}")


@dataclass
class RecordForm:
    """The form's components; the practice page wires its save button."""

    ctx: WebContext

    def build(self, t: Texts) -> None:
        """The form, its words in ``t``'s language (relabelled by :meth:`labels`)."""
        with gr.Accordion(t("record.heading"), open=True, elem_id="fl-record") as self.box:
            self.intro = gr.Markdown(t("record.intro"))
            self.fields = [
                gr.Textbox(
                    label=_label(t, name),
                    placeholder=_placeholder(t, name),
                    lines=2 if name in ("details", "resolution") else 1,
                    max_length=2000,
                    elem_id=f"fl-record-{name.replace('_', '-')}",
                )
                for name, _, _ in RECORD_FIELDS
            ]
            self.save = gr.Button(t("record.save"), elem_id="fl-record-save")
            self.status = gr.HTML(elem_id="fl-record-status")

    def label_outputs(self) -> list:
        """The components whose words change with the page's language."""
        return [self.box, self.intro, *self.fields, self.save]

    def labels(self, t: Texts, view: dict | None = None) -> dict:
        """The form's words in ``t``'s language; a field's value in ``view`` is kept."""
        view = view or {}
        return {
            self.box: gr.Accordion(label=t("record.heading")),
            self.intro: t("record.intro"),
            **{
                field: gr.Textbox(
                    label=_label(t, name),
                    placeholder=_placeholder(t, name),
                    **({"value": view[field]} if field in view else {}),
                )
                for field, (name, _, _) in zip(self.fields, RECORD_FIELDS, strict=True)
            },
            self.save: gr.Button(t("record.save")),
        }

    def cleared(self) -> dict:
        """Empty fields and status (a new session)."""
        return {**{f: "" for f in self.fields}, self.status: ""}

    def save_record(self, session_id: str | None, user: str, values: list[str], t: Texts) -> str:
        """Keep the record with ``session_id``; the status line to show."""
        if not session_id:
            raise gr.Error(t("error.no_record_session"))
        data = {name: (v or "") for (name, _, _), v in zip(RECORD_FIELDS, values, strict=True)}
        try:
            record = ComplaintRecord(**data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise gr.Error(t("error.record_field", field=where, problem=first["msg"])) from None
        if record.is_empty():
            raise gr.Error(t("error.record_empty"))
        try:
            self.ctx.store.save_record(session_id, user, record)
        except FrontlineError as exc:
            raise gr.Error(str(exc)) from None
        text = t("record.saved")
        return f'<span class="fl-status" role="status" data-record="saved">{text}</span>'
