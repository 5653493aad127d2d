"""The certification page (trainers and admins): grade uploaded transcripts or stored
sessions against an exam, watch the run, open its report and download the files.

Runs belong to the server (:class:`RunRegistry`), so every trainer sees every run; what a
tab is watching lives in its ``gr.State``. Every handler checks the role on the server.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from html import escape

import gradio as gr

from .. import config
from ..certification.sources import session_sources
from ..errors import FileProblems, FrontlineError
from ..languages.catalogue import Texts
from .auth import require_designer
from .cert_runs import UPLOAD_SUFFIXES, RunRegistry, RunView, upload_sources, uploaded_files
from .context import WebContext
from .downloads import write_download
from .language_view import texts_for
from .theme import REPORT_FONTS, font_css

PAGE = "page.certification"  # the catalogue key of the page's name (for "trainers only")
ENGLISH = Texts("en")  # the words before a page's language is known
# The transcripts' source: these values are the API's (stable), the labels the page's.
UPLOADS, SESSIONS = "Uploaded transcript files", "Stored practice sessions"
RUN_COLUMNS = [
    "run",
    "exam",
    "started",
    "by",
    "inputs",
    "transcripts",
    "graded",
    "malformed",
    "state",
]
PHASES = ("starting", "grading", "judging", "reports", "done", "failed", "stopped")
POLL_SECONDS = 1.0


def judge_note(t: Texts = ENGLISH) -> tuple[bool, str]:
    """Whether an LLM judge can take part, and a line saying why not."""
    from ..llm.config import load_backend_config

    try:
        configured = load_backend_config() is not None
    except FileProblems as exc:
        return False, t("cert.judge_broken", problem=exc)
    if not configured:
        return False, t("cert.judge_none")
    return True, t("cert.judge_ok")


def phase_words(phase: str, t: Texts) -> str:
    """A run's phase in ``t``'s language (an unknown one as it is)."""
    return t(f"cert.phase_{phase}") if phase in PHASES else phase


def progress_html(run: RunView | None, t: Texts = ENGLISH) -> str:
    """The run's state as a line with data attributes (the browser tests read them)."""
    if run is None:
        return f'<div id="fl-cert-progress" data-phase="none">{escape(t("cert.no_run"))}</div>'
    c = run.counts
    total, graded = c.get("total", 0), c.get("graded", 0)
    bits = [t("cert.graded_of", graded=graded, total=total)]
    bits.append(t("cert.malformed", count=c.get("malformed", 0)))
    if run.judge:
        bits.append(t("cert.judged", judged=c.get("judged", 0), review=c.get("needs_review", 0)))
    found = _eligibility(run) if run.complete else None
    if found is not None:  # "graded" alone reads as a success when none could count
        bits.append(t("cert.eligible_count", count=found[1]))
    pct = 100 if run.complete else int(100 * graded / total) if total else 0
    message = f" — {escape(run.message)}" if run.message else ""
    return (
        f'<div id="fl-cert-progress" class="fl-card" data-run="{escape(run.id)}" '
        f'data-phase="{escape(run.phase)}" data-complete="{str(run.complete).lower()}" '
        f'data-total="{total}" data-graded="{graded}" '
        f'data-eligible="{found[1] if found else ""}"><b>{escape(run.id)}</b> '
        f"({escape(run.exam)}): <b>{escape(phase_words(run.phase, t))}</b>{message}<br>"
        f"{escape(', '.join(bits))}"
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


def _first_ineligible(run: RunView, limit: int, language: str) -> list[dict]:
    """The first ``limit`` ineligible transcripts with the reason, streamed from the run's
    results store (judged against the exam the run recorded, not today's file)."""
    from itertools import islice

    from ..certification.cohort import iter_ineligible
    from ..certification.exam import Exam
    from ..certification.results_store import ResultsStore

    with ResultsStore(run.reports["report.json"].parent, readonly=True) as store:
        exam = Exam.model_validate(store.get_meta("exam"))
        return list(islice(iter_ineligible(store, exam, Texts(language)), limit))


def eligibility_html(run: RunView, limit: int = 20, t: Texts = ENGLISH) -> str:
    """How many graded transcripts the exam accepted, and each other one with the reason."""
    found = _eligibility(run)
    if found is None:
        return ""
    graded, eligible, n_ineligible = found
    ineligible = _first_ineligible(run, limit, t.language) if n_ineligible else []
    items = "".join(
        f"<li><b>{escape(row['source'])}</b>: {escape(row['reason'])}</li>" for row in ineligible
    )
    more = (
        f"<li>{escape(t('cert.more', count=n_ineligible - limit))}</li>"
        if n_ineligible > limit
        else ""
    )
    none = (
        f"<p><b>{escape(t('cert.none_eligible', exam=run.exam))}</b></p>"
        if graded and not eligible
        else ""
    )
    # The catalogue's text holds <b>; the exam id is the only outside value in it.
    summary = t("cert.eligible_of", eligible=eligible, graded=graded, exam=escape(run.exam))
    listed = f"; {escape(t('cert.not_eligible'))}<ul>{items}{more}</ul>" if n_ineligible else "."
    return (
        f'<div id="fl-cert-eligibility" class="fl-card" data-eligible="{eligible}" '
        f'data-ineligible="{n_ineligible}">{none}{summary}{listed}</div>'
    )


def report_frame(run: RunView, t: Texts = ENGLISH) -> str:
    """The run's eligibility summary and its HTML report inline, in a sandboxed frame (no
    scripts, its own styles)."""
    path = run.reports.get("report.html")
    if path is None:
        return f'<div id="fl-cert-report" data-ready="false">{escape(t("cert.no_report"))}</div>'
    # The report is a file people download and open anywhere, so it names only system
    # fonts; shown here, it gets the fonts this page ships (a machine without Chinese fonts
    # showed boxes). "allow-same-origin" lets the frame load them from this server; scripts
    # stay forbidden, so the report can still run nothing.
    fonts = f"<style>{font_css()}body{{font-family:{REPORT_FONTS}}}</style>"
    page = path.read_text(encoding="utf-8")
    # After the report's own styles, so that its system-font stack gives way to these.
    page = page.replace("</head>", fonts + "</head>", 1) if "</head>" in page else fonts + page
    title = escape(t("cert.report_title", run=run.id), quote=True)
    return (
        f"{eligibility_html(run, t=t)}"
        f'<div id="fl-cert-report" data-ready="true"><iframe id="fl-cert-report-frame" '
        f'sandbox="allow-same-origin" title="{title}" '
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


def nothing_to_grade(what_to_do: str, t: Texts = ENGLISH) -> list:
    """The start event's outputs when there is nothing to grade: a message, nothing else
    (``what_to_do`` is the catalogue's HTML)."""
    return [
        None,
        f'<div id="fl-cert-progress" class="fl-card" data-phase="nothing">'
        f"<b>{escape(t('cert.nothing'))}</b> {what_to_do}</div>",
        gr.Timer(active=False),
        gr.update(),
        gr.update(),
    ]


def run_headers(t: Texts) -> list[str]:
    """The runs table's column names in ``t``'s language."""
    return [t(f"cert.col_{column}") for column in RUN_COLUMNS]


# How a run's inputs are recorded in its meta.json (language-neutral, as every run was).
UPLOADS_RECORD = re.compile(r"^(\d+) uploaded file\(s\)$")
SESSIONS_RECORD = "sessions: "


def inputs_record(kind: str, files: list | None, filter_text: str) -> str:
    """What a run was started on, as its meta.json records it."""
    if kind == SESSIONS:
        return f"{SESSIONS_RECORD}{filter_text}"
    return f"{len(files or [])} uploaded file(s)"


def inputs_words(record: str, t: Texts) -> str:
    """A run's recorded inputs in ``t``'s language (a record of another form as it is)."""
    uploads = UPLOADS_RECORD.match(record)
    if uploads:
        return t("cert.inputs_uploads", count=uploads[1])
    if record.startswith(SESSIONS_RECORD):
        return t("cert.inputs_sessions", filter=record.removeprefix(SESSIONS_RECORD))
    return record


def runs_table(runs: list[RunView], t: Texts = ENGLISH) -> dict:
    """Every run as a row, under column names in ``t``'s language (a plain value: the API
    returns it as it is)."""
    rows = [
        [
            r.id,
            r.exam,
            r.started,
            r.started_by,
            inputs_words(r.inputs, t),
            r.counts.get("total", 0),
            r.counts.get("graded", 0),
            r.counts.get("malformed", 0),
            t("cert.complete") if r.complete else phase_words(r.phase, t),
        ]
        for r in runs
    ]
    return {"headers": run_headers(t), "data": rows}


@dataclass
class CertificationView:
    ctx: WebContext
    registry: RunRegistry = field(default_factory=lambda: RunRegistry(config.data_dir() / "runs"))

    def build(self) -> None:
        t = ENGLISH
        self.judge_ok, note = judge_note(t)
        self.heading = gr.Markdown(t("cert.heading"))
        with gr.Row():
            # Custom values pass gradio's check; the server looks every exam id up itself.
            exams = self.registry.exams()
            self.exam = gr.Dropdown(
                label=t("cert.exam"),
                choices=exams,
                scale=3,
                value=exams[0][1] if exams else None,
                allow_custom_value=True,
                elem_id="fl-cert-exam",
            )
            with gr.Column(scale=2):
                self.judge = gr.Checkbox(
                    label=t("cert.judge"),
                    value=False,
                    interactive=self.judge_ok,
                    elem_id="fl-cert-judge",
                )
                self.judge_note = gr.Markdown(note, elem_id="fl-cert-judge-note")
        self.kind = gr.Radio(
            self._kinds(t), value=UPLOADS, label=t("cert.kind"), elem_id="fl-cert-kind"
        )
        self.files = gr.File(
            label=t("cert.files"),
            file_count="multiple",
            file_types=list(UPLOAD_SUFFIXES),
            elem_id="fl-cert-upload",
        )
        self.filter = gr.Textbox(
            label=t("cert.filter"),
            visible=False,
            placeholder=t("cert.filter_placeholder"),
            elem_id="fl-cert-filter",
        )
        with gr.Row():
            self.start = gr.Button(t("cert.start"), variant="primary", elem_id="fl-cert-start")
            self.stop = gr.Button(t("cert.stop"), elem_id="fl-cert-stop")
        self.progress = gr.HTML(progress_html(None, t), elem_id="fl-cert-progress-box")
        self.timer = gr.Timer(POLL_SECONDS, active=False)
        self.watching = gr.State(None)
        self.runs_heading = gr.Markdown(t("cert.runs"))
        with gr.Row():
            self.open = gr.Dropdown(
                label=t("cert.open"),
                choices=[],
                scale=3,
                value=None,
                allow_custom_value=True,
                elem_id="fl-cert-open",
            )
            self.refresh_btn = gr.Button(t("cert.refresh"), scale=1, elem_id="fl-cert-refresh")
        self.table = gr.Dataframe(
            headers=run_headers(t), interactive=False, wrap=True, elem_id="fl-cert-runs"
        )
        self.downloads = gr.File(
            label=t("cert.reports"),
            file_count="multiple",
            interactive=False,
            elem_id="fl-cert-downloads",
        )
        self.report = gr.HTML(elem_id="fl-cert-report-box")

    @staticmethod
    def _kinds(t: Texts) -> list[tuple[str, str]]:
        return [(t("cert.uploads"), UPLOADS), (t("cert.sessions"), SESSIONS)]

    def label_outputs(self) -> list:
        """The components whose words :meth:`labels` gives."""
        return [
            self.heading,
            self.exam,
            self.judge,
            self.judge_note,
            self.kind,
            self.files,
            self.filter,
            self.start,
            self.stop,
            self.progress,
            self.runs_heading,
            self.open,
            self.refresh_btn,
            self.table,
            self.downloads,
        ]

    def labels(self, t: Texts) -> dict:
        """The page's fixed words in ``t``'s language (at page load and on the picker)."""
        return {
            self.heading: t("cert.heading"),
            self.exam: gr.Dropdown(label=t("cert.exam")),
            self.judge: gr.Checkbox(label=t("cert.judge")),
            self.judge_note: judge_note(t)[1],
            self.kind: gr.Radio(choices=self._kinds(t), label=t("cert.kind")),
            self.files: gr.File(label=t("cert.files")),
            self.filter: gr.Textbox(
                label=t("cert.filter"), placeholder=t("cert.filter_placeholder")
            ),
            self.start: gr.Button(t("cert.start")),
            self.stop: gr.Button(t("cert.stop")),
            self.progress: progress_html(None, t),
            self.runs_heading: t("cert.runs"),
            self.open: gr.Dropdown(label=t("cert.open")),
            self.refresh_btn: gr.Button(t("cert.refresh")),
            self.table: gr.Dataframe(headers=run_headers(t)),
            self.downloads: gr.File(label=t("cert.reports")),
        }

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
        t = texts_for(self.ctx, request)
        runs = self.registry.runs()
        exams = self.registry.exams(t.language)
        return [
            gr.Dropdown(choices=exams, value=exams[0][1] if exams else None),
            runs_table(runs, t),
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
        t = texts_for(self.ctx, request)
        if not exam_id:
            raise gr.Error(t("cert.need_exam"))
        if judge and not self.judge_ok:
            raise gr.Error(judge_note(t)[1])
        # Nothing chosen yet is not an error: one message in the progress box says what to
        # do (raising would also put a red "Error" badge on each of the event's outputs).
        if kind != SESSIONS and not files:
            what = t("cert.need_files", sessions=t("cert.sessions"))
            return nothing_to_grade(escape(what), t)
        if kind == SESSIONS and not (filter_text or "").strip():
            return nothing_to_grade(t("cert.need_filter"), t)
        try:
            if kind == SESSIONS:
                filter_text = (filter_text or "").strip()
                sources = session_sources(filter_text, db_path=self.ctx.store.path)
                inputs = inputs_record(kind, None, filter_text)
            else:
                sources = upload_sources(uploaded_files(files or []))
                inputs = inputs_record(kind, files, "")
            run_id = self.registry.start(exam_id, sources, bool(judge), who.name, inputs)
        except (FrontlineError, OSError) as exc:
            raise gr.Error(str(exc)) from None
        runs = self.registry.runs()
        return [
            run_id,
            progress_html(self._run(run_id), t),
            gr.Timer(active=True),
            runs_table(runs, t),
            gr.Dropdown(choices=[r.id for r in runs], value=run_id),
        ]

    def poll(self, run_id: str | None, request: gr.Request) -> list:
        """The watched run's progress; once it has finished, its report and files."""
        who = require_designer(self.ctx, request, PAGE)
        t = texts_for(self.ctx, request)
        if not run_id:
            return [
                progress_html(None, t),
                gr.update(),
                gr.update(),
                gr.Timer(active=False),
                gr.update(),
            ]
        run = self._run(run_id)
        if run.running:
            return [progress_html(run, t), gr.update(), gr.update(), gr.update(), gr.update()]
        return [
            progress_html(run, t),
            report_frame(run, t),
            download_copies(run, who.name),
            gr.Timer(active=False),
            runs_table(self.registry.runs(), t),
        ]

    def open_run(self, run_id: str | None, request: gr.Request) -> list:
        """Show a run: its progress, and its report and files when there are any."""
        who = require_designer(self.ctx, request, PAGE)
        t = texts_for(self.ctx, request)
        run = self._run(run_id)
        return [
            run.id,
            progress_html(run, t),
            report_frame(run, t),
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
        return progress_html(self._run(run_id), texts_for(self.ctx, request))
