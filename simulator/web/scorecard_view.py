"""A scorecard on the page: the graded session and its two downloads (transcript JSON and
a self-contained, printable HTML scorecard). Used after practice and in the history."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from ..errors import FrontlineError
from . import grading
from .context import WebContext
from .downloads import safe_name, write_download
from .replay_view import ReplayView
from .scorecard_html import scorecard_document, scorecard_fragment


@dataclass
class ScorecardView:
    ctx: WebContext
    prefix: str = "fl"

    def build(self) -> None:
        self.html = gr.HTML(elem_id=f"{self.prefix}-scorecard")
        with gr.Row(visible=False) as self.downloads:
            self.transcript_file = gr.DownloadButton(
                "Download transcript (JSON)", size="md", elem_id=f"{self.prefix}-dl-transcript"
            )
            self.scorecard_file = gr.DownloadButton(
                "Download scorecard (HTML)", size="md", elem_id=f"{self.prefix}-dl-scorecard"
            )
        self.replay = ReplayView(self.ctx, self.prefix)
        self.replay.build()

    def outputs(self) -> list:
        return [
            self.html,
            self.downloads,
            self.transcript_file,
            self.scorecard_file,
            *self.replay.outputs(),
        ]

    def wire(self, replay_api: str) -> None:
        """Attach the replay panel's events (API name ``replay_api``)."""
        self.replay.wire(replay_api)

    def show(self, session_id: str, user: str) -> dict:
        """Grade the session if it has no scorecard yet, and show it with its downloads."""
        try:
            transcript = self.ctx.store.transcript(session_id, user)
            card = grading.scorecard_for(
                self.ctx.store, session_id, user, transcript, self.ctx.library()
            )
        except FrontlineError as exc:
            raise gr.Error(str(exc)) from None
        # The viewer's own files (served to nobody else), one folder per session, rewritten
        # on each view: downloads do not pile up.
        sid = safe_name(session_id)
        tpath = write_download(
            user, sid, f"transcript-{sid}.json", self.ctx.store.export_json(session_id, user)
        )
        customer = self._customer(transcript)
        spath = write_download(
            user, sid, f"scorecard-{sid}.html", scorecard_document(card, transcript, customer)
        )
        # Plain values and a Row toggle: cheaper for gradio than component updates.
        return {
            self.html: scorecard_fragment(card, transcript, customer),
            self.downloads: gr.Row(visible=True),
            self.transcript_file: str(tpath),
            self.scorecard_file: str(spath),
            **self.replay.show(session_id, user),
        }

    def _customer(self, transcript) -> str | None:
        """'Name (persona-id)' when the persona is still in the folder."""
        pid = transcript.persona.id if transcript.persona else None
        lib = self.ctx.library()
        if pid in lib.personas:
            return f"{lib.get(pid).identity.name} ({pid})"
        return pid

    def clear(self) -> dict:
        return {
            self.html: "",
            self.downloads: gr.Row(visible=False),
            self.transcript_file: None,
            self.scorecard_file: None,
            **self.replay.clear(),
        }
