"""Running a certification: grade every transcript, store each result as it lands, report.

The run is a pipeline over the :class:`ResultsStore` in the output folder:

1. every input is registered under its content hash (so a rerun knows what it has seen);
2. transcripts without a rule result are parsed and rule-graded in chunks across all
   cores (a process pool); each finished chunk is committed at once;
3. when the judge takes part, graded transcripts without a judgement are sent to the
   judge by a pool of N threads (N calls in flight); each judgement is committed at once;
4. the reports are written from the store, so an interrupted-and-resumed run and an
   uninterrupted one write the same files.

For the web UI, :func:`start_run` runs this in a background thread and reports progress
through a callback; :func:`run_status` reads how far any run in a folder has got.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from ..errors import FrontlineError
from ..worker_start import worker_context
from .exam import Exam
from .results_store import (
    JUDGED,
    NEEDS_REVIEW,
    PackedChunk,
    ResultsStore,
    Source,
    pack_chunk,
    pack_result,
)
from .stamps import Stamp

# (source name, text) -> (status, record). Must be picklable: it runs in worker processes.
TextGrader = Callable[[str, str], tuple[str, dict]]
# (source name, text, rule record) -> (status, record). Called from worker threads.
JudgeFn = Callable[[str, str, dict], tuple[str, dict]]
T = TypeVar("T")


@dataclass(frozen=True)
class Progress:
    """One progress report: ``phase`` is 'grading', 'judging', 'reports' or 'done'."""

    phase: str
    done: int
    total: int
    message: str = ""


ProgressFn = Callable[[Progress], None]


@dataclass
class RunPlan:
    """Everything a run needs; build one with :func:`simulator.certification.plan.plan_run`."""

    exam: Exam
    out_dir: Path
    grader: TextGrader
    stamp: Stamp
    judge: JudgeFn | None = None
    judge_concurrency: int = 8
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    chunk_size: int = 64
    # Replaces the thread-pool judge with a whole phase of its own (the Batch API path).
    judge_phase: Callable[[ResultsStore, ProgressFn, threading.Event], int] | None = None
    # Called with the finished store to write the reports; returns the files written.
    write_reports: Callable[[ResultsStore, Exam, Stamp], list[Path]] | None = None


@dataclass(frozen=True)
class RunSummary:
    """What a run did: counts as stored, and whether anything was new."""

    out_dir: Path
    counts: dict[str, int]
    newly_graded: int
    newly_judged: int
    reports: list[Path]

    @property
    def did_nothing(self) -> bool:
        return self.newly_graded == 0 and self.newly_judged == 0 and not self.reports


class Cancelled(FrontlineError):
    """The run was asked to stop; everything finished so far is stored."""


def _check_stamp(store: ResultsStore, plan: RunPlan) -> None:
    recorded = store.get_meta("stamp")
    if recorded is None:
        store.set_meta("stamp", plan.stamp.model_dump(mode="json"))
        store.set_meta("exam", plan.exam.model_dump(mode="json"))
        return
    diffs = plan.stamp.differences(Stamp.model_validate(recorded))
    if diffs:
        raise FrontlineError(
            f"{plan.out_dir} holds a run graded differently; resume it only "
            "with the same exam, rubric, personas and judge, or use a new "
            "--out folder:\n  " + "\n  ".join(diffs)
        )


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def in_flight(
    items: Iterator[T], submit: Callable[[T], Future], limit: int, cancel: threading.Event
) -> Iterator[Future]:
    """Submit ``items`` with at most ``limit`` futures in flight, yielding each future as it
    finishes. Once ``cancel`` is set nothing more is submitted; those in flight still finish."""
    pending: set[Future] = set()
    while True:
        while len(pending) < limit and not cancel.is_set():
            item = next(items, None)
            if item is None:
                break
            pending.add(submit(item))
        if not pending:
            return
        finished, pending = wait_futures(pending, return_when=FIRST_COMPLETED)
        yield from finished


# What a grading worker keeps between chunks: the grader and its own read-only
# connection to the store, from which it reads the texts of the chunks it is given.
_worker: dict = {}


def _init_worker(grader: TextGrader, out_dir: Path | None) -> None:
    _worker.clear()
    _worker["grader"] = grader
    _worker["dir"] = out_dir


def _grade_items(items: list[tuple[int, str, str]]) -> PackedChunk:
    grader = _worker["grader"]
    return pack_chunk(pack_result(seq, *grader(name, text)) for seq, name, text in items)


def _grade_chunk(seqs: list[int]) -> PackedChunk:
    """In a worker: read a chunk's texts from the store, grade them, pack the results."""
    if "store" not in _worker:
        _worker["store"] = ResultsStore(_worker["dir"], readonly=True)
    return _grade_items(_worker["store"].texts_by_seq(seqs))


def _grade_all(
    store: ResultsStore, plan: RunPlan, progress: ProgressFn, cancel: threading.Event
) -> int:
    total, done = store.count_ungraded(), 0
    progress(Progress("grading", 0, total))
    if not total:
        return 0
    # Sequence numbers are read a page at a time (results are written in between), so
    # the chunks to do never sit in memory all at once.
    chunks = _chunks(store.iter_ungraded(), plan.chunk_size)
    if plan.workers <= 1 or total <= plan.chunk_size:
        _init_worker(plan.grader, None)
        for chunk in chunks:
            if cancel.is_set():
                raise Cancelled("stopped; the results so far are stored")
            packed = _grade_items(store.texts_by_seq(chunk))
            store.save_packed(packed)
            done += len(packed.rows)
            progress(Progress("grading", done, total))
        return done
    context = worker_context()  # never forked: see simulator/worker_start.py
    # The workers read the texts and send back packed results; this process only hands
    # out chunk numbers and writes. A few chunks per worker in flight keep them busy.
    with ProcessPoolExecutor(
        plan.workers,
        mp_context=context,
        initializer=_init_worker,
        initargs=(plan.grader, plan.out_dir),
    ) as pool:
        for fut in in_flight(
            chunks, lambda chunk: pool.submit(_grade_chunk, chunk), plan.workers * 3, cancel
        ):
            packed = fut.result()
            store.save_packed(packed)
            done += len(packed.rows)
            progress(Progress("grading", done, total))
        if cancel.is_set():
            raise Cancelled("stopped; the results so far are stored")
    return done


def _judge_all(
    store: ResultsStore, plan: RunPlan, progress: ProgressFn, cancel: threading.Event
) -> int:
    assert plan.judge is not None
    judge = plan.judge
    total, done = store.count_unjudged(), 0
    progress(Progress("judging", 0, total))
    if not total:
        return 0

    def task(key: str, name: str, text: str, rules: dict) -> tuple[str, str, dict]:
        try:
            status, record = judge(name, text, rules)
        except Exception as exc:  # noqa: BLE001 - a broken judge means review, never a fail
            status, record = NEEDS_REVIEW, {"reason": f"judge error: {exc}"}
        return key, status, record

    # Read here, in this thread, as the pool asks for more (the store is single-threaded).
    items = ((row.key, row.source, text, row.record or {}) for row, text in store.iter_unjudged())
    with ThreadPoolExecutor(plan.judge_concurrency) as pool:
        for fut in in_flight(
            items, lambda item: pool.submit(task, *item), plan.judge_concurrency * 2, cancel
        ):
            key, status, record = fut.result()
            store.save_judgement(
                key, status if status in (JUDGED, NEEDS_REVIEW) else NEEDS_REVIEW, record
            )
            done += 1
            progress(Progress("judging", done, total))
    if cancel.is_set():
        raise Cancelled("stopped; the results so far are stored")
    return done


def _quiet(_: Progress) -> None:
    pass


@contextmanager
def _exclusive(out_dir: Path) -> Iterator[None]:
    """One run per folder at a time. The lock dies with its process, so a killed run
    never blocks its own resumption."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / "run.lock", "a") as fh:
        try:
            import fcntl
        except ImportError:  # not POSIX: no lock, the store still keeps results consistent
            yield
            return
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise FrontlineError(
                f"another certification run is using {out_dir}; wait for it "
                "to finish (or stop it) and run again"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def run(
    plan: RunPlan,
    sources: Iterable[Source],
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
) -> RunSummary:
    """Grade, judge and report; resumable. A rerun with nothing new writes nothing."""
    progress = progress or _quiet
    cancel = cancel or threading.Event()
    with _exclusive(plan.out_dir), ResultsStore(plan.out_dir) as store:
        _check_stamp(store, plan)
        store.register(sources)
        graded = _grade_all(store, plan, progress, cancel)
        if plan.judge_phase is not None:
            judged = plan.judge_phase(store, progress, cancel)
        else:
            judged = _judge_all(store, plan, progress, cancel) if plan.judge else 0
        reports: list[Path] = []
        fingerprint = [store.counts(), plan.stamp.digest()]
        stale = (
            store.get_meta("reported") != fingerprint
            or not (plan.out_dir / "report.json").is_file()
        )
        if plan.write_reports and (graded or judged or stale):
            progress(Progress("reports", 0, 1))
            reports = plan.write_reports(store, plan.exam, plan.stamp)
            store.set_meta("reported", fingerprint)
        counts = store.counts()
    progress(Progress("done", counts["total"], counts["total"]))
    return RunSummary(plan.out_dir, counts, graded, judged, reports)


# -- the background API the web UI uses -----------------------------------------------
@dataclass
class RunHandle:
    """A run going on in a background thread."""

    out_dir: Path
    thread: threading.Thread
    cancel: threading.Event
    latest: Progress = Progress("starting", 0, 0)
    summary: RunSummary | None = None
    error: str | None = None

    @property
    def running(self) -> bool:
        return self.thread.is_alive()

    def stop(self) -> None:
        """Ask the run to stop after the work in flight; it can be resumed later."""
        self.cancel.set()

    def wait(self, timeout: float | None = None) -> RunSummary | None:
        self.thread.join(timeout)
        return self.summary


def start_run(
    plan: RunPlan, sources: Iterable[Source], on_progress: ProgressFn | None = None
) -> RunHandle:
    """Start :func:`run` in a daemon thread; progress goes to ``on_progress`` and the handle."""
    cancel = threading.Event()
    handle = RunHandle(plan.out_dir, threading.Thread(), cancel)
    source_list = list(sources)

    def report(p: Progress) -> None:
        handle.latest = p
        if on_progress:
            on_progress(p)

    def body() -> None:
        try:
            handle.summary = run(plan, source_list, report, cancel)
        except Exception as exc:  # noqa: BLE001 - surfaced to the UI as a message
            handle.error = str(exc)
            handle.latest = Progress("failed", handle.latest.done, handle.latest.total, str(exc))

    handle.thread = threading.Thread(target=body, name=f"certify:{plan.out_dir.name}", daemon=True)
    handle.thread.start()
    return handle


def run_status(out_dir: Path) -> dict:
    """How far the run in ``out_dir`` has got, read from its store (safe while it runs).

    Keys: ``exists``, ``exam`` (id), ``judge`` (whether the judge takes part), ``counts``
    (total, graded, malformed, judged, needs_review), ``complete`` (everything graded,
    judged when needed, and the reports up to date) and ``reports`` (name -> path).
    """
    from .report import report_paths
    from .results_store import DB_NAME

    out_dir = Path(out_dir)
    missing = {
        "exists": False,
        "exam": None,
        "judge": False,
        "counts": {},
        "complete": False,
        "reports": {},
    }
    if not (out_dir / DB_NAME).is_file():
        return missing
    try:
        with ResultsStore(out_dir, readonly=True) as store:
            stamp = store.get_meta("stamp") or {}
            counts = store.counts()
            judge = bool(stamp.get("judge"))
            unjudged = store.count_unjudged() if judge else 0
            pending = store.count_ungraded() + unjudged
            reported = store.get_meta("reported") == [
                counts,
                Stamp.model_validate(stamp).digest() if stamp else None,
            ]
            counts["unjudged"] = unjudged
    except (FrontlineError, sqlite3.OperationalError):
        # The run has created the file but not its tables yet: it is starting.
        return {**missing, "exists": True}
    reports = report_paths(out_dir)
    return {
        "exists": True,
        "exam": (stamp.get("exam") or {}).get("id"),
        "judge": judge,
        "counts": counts,
        "complete": pending == 0 and reported and "report.json" in reports,
        "reports": reports,
    }
