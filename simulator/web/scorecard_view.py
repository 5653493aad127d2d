"""A scorecard on the page: the graded session and its two downloads (transcript JSON and
a self-contained, printable HTML scorecard). Used after practice and in the history."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from ..errors import FrontlineError
from ..languages.catalogue import Texts
from . import grading
from .context import WebContext
from .downloads import safe_name, write_download
from .replay_view import ReplayView
from .scorecard_html import scorecard_document, scorecard_fragment

ENGLISH = Texts("en")  # the words before a page's language is known


@dataclass
class ScorecardView:
    ctx: WebContext
    prefix: str = "fl"

    def build(self) -> None:
        t = ENGLISH
        self.html = gr.HTML(elem_id=f"{self.prefix}-scorecard")
        with gr.Row(visible=False) as self.downloads:
            self.transcript_file = gr.DownloadButton(
                t("scorecard.download_transcript"),
                size="md",
                elem_id=f"{self.prefix}-dl-transcript",
            )
            self.scorecard_file = gr.DownloadButton(
                t("scorecard.download_scorecard"),
                size="md",
                elem_id=f"{self.prefix}-dl-scorecard",
            )
        self.replay = ReplayView(self.ctx, self.prefix)
        self.replay.build()

    def label_outputs(self) -> list:
        """The components whose words :meth:`labels` gives (the replay panel's too)."""
        return [self.transcript_file, self.scorecard_file, *self.replay.label_outputs()]

    def labels(self, t: Texts) -> dict:
        """The download buttons' and the replay panel's words in ``t``'s language (at page
        load and on the picker; the scorecard itself is in its transcript's language)."""
        return {
            self.transcript_file: gr.DownloadButton(label=t("scorecard.download_transcript")),
            self.scorecard_file: gr.DownloadButton(label=t("scorecard.download_scorecard")),
            **self.replay.labels(t),
        }

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

    def show(self, session_id: str, user: str, t: Texts | None = None) -> dict:
        """Grade the session if it has no scorecard yet, and show it with its downloads;
        the replay panel's choices are in ``t``'s language (the page's)."""
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
            **self.replay.show(session_id, user, t),
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
