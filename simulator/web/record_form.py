"""The complaint record form on the practice page, shown after the call (DOMAIN §3.10).

The trainee fills in the record (topic, customer details, date, details, resolution, next
step and deadline, source 001); saving it keeps it with the session and regrades the
scorecard, which then shows each field met or missed with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr
from pydantic import ValidationError

from ..complaint_record import RECORD_FIELDS, ComplaintRecord
from ..errors import FrontlineError
from .context import WebContext


@dataclass
class RecordForm:
    """The form's components; the practice page wires its save button."""

    ctx: WebContext

    def build(self) -> None:
        with gr.Accordion(
            "Record the complaint (§3.10)", open=True, elem_id="fl-record"
        ) as self.box:
            gr.Markdown(
                "Before you move on, record the complaint as your team would find it: "
                "what it is about, who, when, what they told you, what was agreed and how "
                "they took it, and what happens next by when. It is graded against the case."
            )
            self.fields = [
                gr.Textbox(
                    label=label,
                    placeholder=what,
                    lines=2 if name in ("details", "resolution") else 1,
                    max_length=2000,
                    elem_id=f"fl-record-{name.replace('_', '-')}",
                )
                for name, label, what in RECORD_FIELDS
            ]
            self.save = gr.Button("Save the record", elem_id="fl-record-save")
            self.status = gr.HTML(elem_id="fl-record-status")

    def cleared(self) -> dict:
        """Empty fields and status (a new session)."""
        return {**{f: "" for f in self.fields}, self.status: ""}

    def save_record(self, session_id: str | None, user: str, values: list[str]) -> str:
        """Keep the record with ``session_id``; the status line to show."""
        if not session_id:
            raise gr.Error("There is no finished session to record.")
        data = {name: (v or "") for (name, _, _), v in zip(RECORD_FIELDS, values, strict=True)}
        try:
            record = ComplaintRecord(**data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise gr.Error(f"The record's {where}: {first['msg']}") from None
        if record.is_empty():
            raise gr.Error("The record is empty; fill in at least the topic.")
        try:
            self.ctx.store.save_record(session_id, user, record)
        except FrontlineError as exc:
            raise gr.Error(str(exc)) from None
        return (
            '<span class="fl-status" role="status" data-record="saved">Record saved; the '
            "scorecard below grades it field by field.</span>"
        )
