"""The certification page (trainers and admins): grade uploaded transcripts or stored
sessions against an exam, watch the run, open its report and download the files.

Runs belong to the server (:class:`RunRegistry`), so every trainer sees every run; what a
tab is watching lives in its ``gr.State``. Every handler checks the role on the server.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from html import escape

import gradio as gr

from .. import config
from ..certification.sources import session_sources
from ..errors import FileProblems, FrontlineError
from .auth import require_designer
from .cert_runs import UPLOAD_SUFFIXES, RunRegistry, RunView, upload_sources, uploaded_files
from .context import WebContext
from .downloads import write_download

PAGE = "The certification page"
UPLOADS, SESSIONS = "Uploaded transcript files", "Stored practice sessions"
RUN_COLUMNS = [
    "run",
    "exam",
    "started (UTC)",
    "by",
    "inputs",
    "transcripts",
    "graded",
    "malformed",
    "state",
]
POLL_SECONDS = 1.0


def judge_note() -> tuple[bool, str]:
    """Whether an LLM judge can take part, and a line saying why not."""
    from ..llm.config import load_backend_config

    try:
        configured = load_backend_config() is not None
    except FileProblems as exc:
        return False, f"The LLM judge is unavailable: the model configuration is wrong ({exc})."
    if not configured:
        return False, (
            "The LLM judge is unavailable: no model is configured "
            "(`FRONTLINE_LLM_*`), so runs are graded by the rules only."
        )
    return True, "The judge runs only for exams that allow it (`judge.participation`)."


def progress_html(run: RunView | None) -> str:
    """The run's state as a line with data attributes (the browser tests read them)."""
    if run is None:
        return '<div id="fl-cert-progress" data-phase="none">No run selected.</div>'
    c = run.counts
    total, graded = c.get("total", 0), c.get("graded", 0)
    bits = [f"{graded} of {total} graded", f"{c.get('malformed', 0)} malformed"]
    if run.judge:
        bits.append(f"{c.get('judged', 0)} judged, {c.get('needs_review', 0)} for review")
    found = _eligibility(run) if run.complete else None
    if found is not None:  # "graded" alone reads as a success when none could count
        bits.append(f"{found[1]} eligible for the exam")
    pct = 100 if run.complete else int(100 * graded / total) if total else 0
    message = f" — {escape(run.message)}" if run.message else ""
    return (
        f'<div id="fl-cert-progress" class="fl-card" data-run="{escape(run.id)}" '
        f'data-phase="{escape(run.phase)}" data-complete="{str(run.complete).lower()}" '
        f'data-total="{total}" data-graded="{graded}" '
        f'data-eligible="{found[1] if found else ""}"><b>{escape(run.id)}</b> '
        f"({escape(run.exam)}): <b>{escape(run.phase)}</b>{message}<br>{', '.join(bits)}"
        f'<div class="fl-meter-track"><span class="fl-meter-fill" style="width:{pct}%;'
        'background:var(--color-accent)"></span></div></div>'
    )


def _eligibility(run: RunView) -> tuple[int, int, int] | None:
    """(graded, eligible, ineligible) from the cohort section of the run's report.json,
    once there is one (read without loading the candidates)."""
    from ..certification.report import read_cohort

    path = run.reports.get("report.json")
    co = read_cohort(path.parent) if path is not None else None
    if co is None:
        return None
    t = co["transcripts"]
    return t["total"] - t["malformed"], t["eligible"], t["ineligible"]


def _first_ineligible(run: RunView, limit: int) -> list[dict]:
    """The first ``limit`` ineligible transcripts with the reason, streamed from the run's
    results store (judged against the exam the run recorded, not today's file)."""
    from itertools import islice

    from ..certification.cohort import iter_ineligible
    from ..certification.exam import Exam
    from ..certification.results_store import ResultsStore

    with ResultsStore(run.reports["report.json"].parent, readonly=True) as store:
        exam = Exam.model_validate(store.get_meta("exam"))
        return list(islice(iter_ineligible(store, exam), limit))


def eligibility_html(run: RunView, limit: int = 20) -> str:
    """How many graded transcripts the exam accepted, and each other one with the reason."""
    found = _eligibility(run)
    if found is None:
        return ""
    graded, eligible, n_ineligible = found
    ineligible = _first_ineligible(run, limit) if n_ineligible else []
    items = "".join(
        f"<li><b>{escape(row['source'])}</b>: {escape(row['reason'])}</li>" for row in ineligible
    )
    more = (
        f"<li>… and {n_ineligible - limit} more (in report.json)</li>"
        if n_ineligible > limit
        else ""
    )
    none = (
        (
            f"<p><b>No transcript was eligible for exam {escape(run.exam)}, so "
            "there are no candidates.</b></p>"
        )
        if graded and not eligible
        else ""
    )
    return (
        f'<div id="fl-cert-eligibility" class="fl-card" data-eligible="{eligible}" '
        f'data-ineligible="{n_ineligible}">{none}<b>{eligible} of {graded}</b> graded '
        f"transcript{'s' * (graded != 1)} eligible for exam {escape(run.exam)}"
        f"{f'; not eligible:<ul>{items}{more}</ul>' if n_ineligible else '.'}</div>"
    )


def report_frame(run: RunView) -> str:
    """The run's eligibility summary and its HTML report inline, in a sandboxed frame (no
    scripts, its own styles)."""
    path = run.reports.get("report.html")
    if path is None:
        return '<div id="fl-cert-report" data-ready="false">No report yet.</div>'
    page = path.read_text(encoding="utf-8")
    return (
        f"{eligibility_html(run)}"
        f'<div id="fl-cert-report" data-ready="true"><iframe id="fl-cert-report-frame" '
        f'sandbox="" title="Certification report {escape(run.id)}" '
        f'style="width:100%;height:760px;border:1px solid var(--border-color-primary);'
        f'border-radius:8px;background:white" srcdoc="{escape(page, quote=True)}">'
        "</iframe></div>"
    )


def download_copies(run: RunView, owner: str) -> list[str]:
    """The report files copied where the server may hand them out, to ``owner`` only (the
    data folder itself is closed to downloads, as it holds the session database)."""
    files = sorted(run.reports.items())
    stamp = hashlib.sha256(repr([(n, p.stat().st_mtime_ns) for n, p in files]).encode())
    key = f"certify-{run.id}-{stamp.hexdigest()[:12]}"
    return [
        str(write_download(owner, key, name.replace("/", "-"), path.read_bytes()))
        for name, path in files
    ]


def nothing_to_grade(what_to_do: str) -> list:
    """The start event's outputs when there is nothing to grade: a message, nothing else."""
    return [
        None,
        f'<div id="fl-cert-progress" class="fl-card" data-phase="nothing">'
        f"<b>Nothing to grade.</b> {what_to_do}</div>",
        gr.Timer(active=False),
        gr.update(),
        gr.update(),
    ]


def runs_table(runs: list[RunView]) -> list[list]:
    return [
        [
            r.id,
            r.exam,
            r.started,
            r.started_by,
            r.inputs,
            r.counts.get("total", 0),
            r.counts.get("graded", 0),
            r.counts.get("malformed", 0),
            "complete" if r.complete else r.phase,
        ]
        for r in runs
    ]


@dataclass
class CertificationView:
    ctx: WebContext
    registry: RunRegistry = field(default_factory=lambda: RunRegistry(config.data_dir() / "runs"))

    def build(self) -> None:
        self.judge_ok, note = judge_note()
        gr.Markdown(
            "### Certification\nGrade a cohort's transcripts against an exam. Runs "
            "are shared by all trainers; each keeps its own folder on the server."
        )
        with gr.Row():
            # Custom values pass gradio's check; the server looks every exam id up itself.
            exams = self.registry.exams()
            self.exam = gr.Dropdown(
                label="Exam",
                choices=exams,
                scale=3,
                value=exams[0][1] if exams else None,
                allow_custom_value=True,
                elem_id="fl-cert-exam",
            )
            with gr.Column(scale=2):
                self.judge = gr.Checkbox(
                    label="Ask the LLM judge for a second opinion",
                    value=False,
                    interactive=self.judge_ok,
                    elem_id="fl-cert-judge",
                )
                gr.Markdown(note, elem_id="fl-cert-judge-note")
        self.kind = gr.Radio(
            [UPLOADS, SESSIONS], value=UPLOADS, label="Transcripts", elem_id="fl-cert-kind"
        )
        self.files = gr.File(
            label="Transcript files (JSON, JSONL or text)",
            file_count="multiple",
            file_types=list(UPLOAD_SUFFIXES),
            elem_id="fl-cert-upload",
        )
        self.filter = gr.Textbox(
            label="Sessions filter",
            visible=False,
            placeholder="user=alice|bob,mode=exam,since=2026-01-01 (or: all)",
            elem_id="fl-cert-filter",
        )
        with gr.Row():
            self.start = gr.Button("Start the run", variant="primary", elem_id="fl-cert-start")
            self.stop = gr.Button("Stop", elem_id="fl-cert-stop")
        self.progress = gr.HTML(progress_html(None), elem_id="fl-cert-progress-box")
        self.timer = gr.Timer(POLL_SECONDS, active=False)
        self.watching = gr.State(None)
        gr.Markdown("#### Runs")
        with gr.Row():
            self.open = gr.Dropdown(
                label="Open a run",
                choices=[],
                scale=3,
                value=None,
                allow_custom_value=True,
                elem_id="fl-cert-open",
            )
            self.refresh_btn = gr.Button("Refresh", scale=1, elem_id="fl-cert-refresh")
        self.table = gr.Dataframe(
            headers=RUN_COLUMNS, interactive=False, wrap=True, elem_id="fl-cert-runs"
        )
        self.downloads = gr.File(
            label="Report files",
            file_count="multiple",
            interactive=False,
            elem_id="fl-cert-downloads",
        )
        self.report = gr.HTML(elem_id="fl-cert-report-box")

    def wire(self, tab: gr.Tab) -> None:
        listing = [self.exam, self.table, self.open]
        tab.select(self.refresh, [], listing, api_name=False)
        self.refresh_btn.click(self.refresh, [], listing, api_name="certify_runs")
        self.kind.change(
            lambda kind: [gr.File(visible=kind == UPLOADS), gr.Textbox(visible=kind == SESSIONS)],
            [self.kind],
            [self.files, self.filter],
            api_name=False,
        )
        self.start.click(
            self.start_run,
            [self.exam, self.kind, self.files, self.filter, self.judge],
            [self.watching, self.progress, self.timer, self.table, self.open],
            api_name="certify_start",
        )
        shown = [self.progress, self.report, self.downloads]
        self.timer.tick(
            self.poll, [self.watching], [*shown, self.timer, self.table], api_name="certify_status"
        )
        self.open.input(
            self.open_run, [self.open], [self.watching, *shown, self.timer], api_name="certify_open"
        )
        self.stop.click(self.stop_run, [self.watching], [self.progress], api_name="certify_stop")

    # -- handlers ---------------------------------------------------------------------
    def _run(self, run_id: str | None) -> RunView:
        try:
            return self.registry.view(run_id or "")
        except FrontlineError as exc:
            raise gr.Error(str(exc)) from None

    def refresh(self, request: gr.Request) -> list:
        """The exams, and every run on the server, newest first."""
        require_designer(self.ctx, request, PAGE)
        runs = self.registry.runs()
        exams = self.registry.exams()
        return [
            gr.Dropdown(choices=exams, value=exams[0][1] if exams else None),
            runs_table(runs),
            gr.Dropdown(choices=[r.id for r in runs]),
        ]

    def start_run(
        self,
        exam_id: str | None,
        kind: str,
        files: list[str] | None,
        filter_text: str,
        judge: bool,
        request: gr.Request,
    ) -> list:
        """Start grading the uploads (or the stored sessions the filter selects)."""
        who = require_designer(self.ctx, request, PAGE)
        if not exam_id:
            raise gr.Error("Choose an exam first.")
        if judge and not self.judge_ok:
            raise gr.Error(judge_note()[1])
        # Nothing chosen yet is not an error: one message in the progress box says what to
        # do (raising would also put a red "Error" badge on each of the event's outputs).
        if kind != SESSIONS and not files:
            return nothing_to_grade(
                "Choose the transcript files to grade first (or pick "
                f"“{SESSIONS}” and type a filter)."
            )
        if kind == SESSIONS and not (filter_text or "").strip():
            return nothing_to_grade(
                "Type a sessions filter first (for example "
                "<code>user=alice,mode=exam</code>, or <code>all</code>)."
            )
        try:
            if kind == SESSIONS:
                filter_text = (filter_text or "").strip()
                sources = session_sources(filter_text, db_path=self.ctx.store.path)
                inputs = f"sessions: {filter_text}"
            else:
                sources = upload_sources(uploaded_files(files or []))
                inputs = f"{len(files or [])} uploaded file(s)"
            run_id = self.registry.start(exam_id, sources, bool(judge), who.name, inputs)
        except (FrontlineError, OSError) as exc:
            raise gr.Error(str(exc)) from None
        runs = self.registry.runs()
        return [
            run_id,
            progress_html(self._run(run_id)),
            gr.Timer(active=True),
            runs_table(runs),
            gr.Dropdown(choices=[r.id for r in runs], value=run_id),
        ]

    def poll(self, run_id: str | None, request: gr.Request) -> list:
        """The watched run's progress; once it has finished, its report and files."""
        who = require_designer(self.ctx, request, PAGE)
        if not run_id:
            return [
                progress_html(None),
                gr.update(),
                gr.update(),
                gr.Timer(active=False),
                gr.update(),
            ]
        run = self._run(run_id)
        if run.running:
            return [progress_html(run), gr.update(), gr.update(), gr.update(), gr.update()]
        return [
            progress_html(run),
            report_frame(run),
            download_copies(run, who.name),
            gr.Timer(active=False),
            runs_table(self.registry.runs()),
        ]

    def open_run(self, run_id: str | None, request: gr.Request) -> list:
        """Show a run: its progress, and its report and files when there are any."""
        who = require_designer(self.ctx, request, PAGE)
        run = self._run(run_id)
        return [
            run.id,
            progress_html(run),
            report_frame(run),
            download_copies(run, who.name),
            gr.Timer(active=run.running),
        ]

    def stop_run(self, run_id: str | None, request: gr.Request) -> str:
        """Stop the watched run after the work in flight; its results so far stay."""
        require_designer(self.ctx, request, PAGE)
        try:
            self.registry.stop(run_id or "")
        except FrontlineError as exc:
            raise gr.Error(str(exc)) from None
        return progress_html(self._run(run_id))
