"""The certification runs the web UI starts, shared by every trainer of one server.

Each run gets its own folder under ``<data folder>/runs/<run id>``; the server names it,
never the user. How far a run has got is read from its results store (``run_status``), so
runs started before a restart are listed too; while this process runs one, its handle adds
the phase and any error. Uploaded transcripts are held in memory as sources.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..certification.exam import ExamLibrary
from ..certification.plan import plan_run
from ..certification.results_store import Source
from ..certification.runner import RunHandle, run_status, start_run
from ..certification.sources import JSONL_SUFFIXES
from ..confined import is_inside
from ..errors import FrontlineError, NotFound
from ..yamlfile import MAX_FILE_BYTES
from .downloads import downloads_root

RUN_META = "web-run.json"
UPLOAD_SUFFIXES = (".json", ".txt", *JSONL_SUFFIXES)
# What the server names a run: <UTC date>-<time>-<exam id>-<random>.
RUN_ID = re.compile(r"^\d{8}-\d{6}-[a-z0-9][a-z0-9-]*-[0-9a-f]{6}$")


def uploaded_files(paths: list[str | Path], folder: str | Path | None = None) -> list[Path]:
    """The paths, if every one is a file gradio received as an upload (in its upload folder,
    ``folder`` by default ``GRADIO_TEMP_DIR``, and not one of the downloads kept there); else
    :class:`FrontlineError`. A caller of the API could otherwise name any file on the server
    and have it graded and stored."""
    if folder is None:
        from gradio.utils import get_upload_folder

        folder = get_upload_folder()
    for path in map(Path, paths):
        if not is_inside(path, folder) or is_inside(path, downloads_root()) or not path.is_file():
            raise FrontlineError(
                f"{path.name}: not read: only files uploaded with the form can be graded"
            )
    return [Path(p) for p in paths]


def upload_sources(paths: list[str | Path]) -> list[Source]:
    """Uploaded files as sources named by their file name; each JSONL line is its own
    transcript. Unreadable files become malformed sources, reported like any other."""
    sources: list[Source] = []
    for path in map(Path, paths):
        name = path.name
        if path.suffix.lower() not in UPLOAD_SUFFIXES:
            raise FrontlineError(
                f"{name}: not a transcript file; upload {', '.join(UPLOAD_SUFFIXES)} files"
            )
        raw = path.read_bytes()
        if len(raw) > MAX_FILE_BYTES:
            sources.append(
                Source(
                    name,
                    "",
                    f"{name}: file is {len(raw)} bytes; the limit is {MAX_FILE_BYTES}",
                    f"upload:{name}:{len(raw)}",
                )
            )
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            sources.append(
                Source(
                    name,
                    "",
                    f"{name}: not UTF-8 text (byte {exc.start})",
                    f"upload:{name}:{len(raw)}",
                )
            )
            continue
        lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
        if path.suffix.lower() in JSONL_SUFFIXES and lines:
            sources += [Source(f"{name}:{n}", line) for n, line in lines]
        else:
            sources.append(Source(name, text))
    return sources


@dataclass(frozen=True)
class RunView:
    """One run as the page lists it."""

    id: str
    exam: str
    started: str
    started_by: str
    inputs: str
    judge: bool
    phase: str  # starting, grading, judging, reports, done, failed, stopped
    message: str
    counts: dict
    complete: bool
    reports: dict[str, Path]

    @property
    def running(self) -> bool:
        return self.phase not in ("done", "failed", "stopped")


@dataclass
class RunRegistry:
    """Runs under ``folder``; thread-safe, one per app."""

    folder: Path
    _handles: dict[str, RunHandle] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def exams(self, language: str | None = None) -> list[tuple[str, str]]:
        """(label, id) of every exam that loads, titled in ``language`` where the exam
        has a title in it."""
        lib = ExamLibrary()
        return [(f"{lib.get(i).texts(language).title} ({i})", i) for i in lib.ids()]

    def path(self, run_id: str) -> Path:
        """The folder of an existing run; only a name the server gave, never a path."""
        if (
            not isinstance(run_id, str)
            or not RUN_ID.match(run_id)
            or not (self.folder / run_id / RUN_META).is_file()
        ):
            raise NotFound(f"no certification run {run_id!r}")
        return self.folder / run_id

    def start(
        self, exam_id: str, sources: list[Source], use_judge: bool, who: str, inputs: str
    ) -> str:
        """Plan and start a run in a new folder; returns its id. FrontlineError if the run
        cannot start (unknown exam, judge refused or not configured, no transcripts)."""
        if not sources:
            raise FrontlineError("there are no transcripts to grade")
        exam = ExamLibrary().get(exam_id)
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
        run_id = f"{stamp}-{exam.id}-{secrets.token_hex(3)}"
        out = self.folder / run_id
        plan = plan_run(exam, out, use_judge=use_judge)
        out.mkdir(parents=True)
        meta = {
            "exam": exam.id,
            "started_by": who,
            "inputs": inputs,
            "judge": use_judge,
            "started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        }
        (out / RUN_META).write_text(json.dumps(meta, indent=2), encoding="utf-8")
        with self._lock:
            self._handles[run_id] = start_run(plan, sources)
        return run_id

    def stop(self, run_id: str) -> None:
        """Ask a run of this server to stop; what is graded stays stored."""
        self.path(run_id)
        with self._lock:
            handle = self._handles.get(run_id)
        if handle is not None:
            handle.stop()

    def view(self, run_id: str) -> RunView:
        """The run's state: the store's counts, and the handle's phase while it runs."""
        out = self.path(run_id)
        meta = json.loads((out / RUN_META).read_text(encoding="utf-8"))
        with self._lock:
            handle = self._handles.get(run_id)
        status = run_status(out)
        if handle is not None and (handle.running or handle.error):
            phase, message = handle.latest.phase, handle.error or handle.latest.message
            if not handle.running and handle.cancel.is_set():
                phase = "stopped"
        elif status["complete"]:
            phase, message = "done", ""
        else:  # started by an earlier server process, or stopped before the end
            phase, message = "stopped", "not finished; its results so far are stored"
        return RunView(
            run_id,
            meta.get("exam", "?"),
            meta.get("started", ""),
            meta.get("started_by", ""),
            meta.get("inputs", ""),
            bool(meta.get("judge")),
            phase,
            message,
            status["counts"],
            status["complete"],
            status["reports"],
        )

    def runs(self) -> list[RunView]:
        """Every run in the folder, newest first."""
        if not self.folder.is_dir():
            return []
        ids = sorted(
            (
                p.name
                for p in self.folder.iterdir()
                if RUN_ID.match(p.name) and (p / RUN_META).is_file()
            ),
            reverse=True,
        )
        return [self.view(i) for i in ids]
