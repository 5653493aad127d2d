"""The LLM judge through the OpenAI Batch API, for very large runs.

Instead of one HTTP call per question, every judge request of the run is written to a
JSONL file, uploaded (``/v1/files``, purpose ``batch``) and submitted as a batch
(``/v1/batches``, endpoint ``/v1/chat/completions``, window 24 h). The run then polls the
batch and, once it is complete, downloads the output and error files and turns each
transcript's answers into verdicts with the same checks as the live judge (the quote must
be in the cited agent turn; samples vote; anything doubtful abstains). The requests and
the verdicts are the judge's (:mod:`simulator.grading.judge.batch`); this module only
moves them through the Batch API.

Everything needed to resume is in ``DIR/batch/state.json``, written before and after each
step: a killed run, or one started with ``--no-wait``, is resumed by running the same
command again; it polls the batches it already submitted and never submits them twice.
A batch that fails or expires is resubmitted for its transcripts up to the exam's
``judge.max_attempts``; after that they are marked for human review, never failed.
Large runs are split into batches of at most :data:`MAX_REQUESTS` requests.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import FrontlineError
from ..grading.judge.batch import batch_run, judged_scorecard, read_result_line, request_lines
from ..grading.rubric import Rubric
from .exam import Exam
from .judging import current_prompt_hash, judge_questions, judgement_record
from .report import write_atomic
from .results_store import NEEDS_REVIEW, ResultsStore
from .rule_grading import parse_transcript
from .runner import Progress
from .stamps import JudgeStamp

MAX_REQUESTS = 50_000  # the Batch API's limit per batch
FINISHED_BAD = ("failed", "expired", "cancelled")
BATCH_DIR = "batch"


@dataclass
class BatchJudge:
    """Runs a certification's judge phase through the Batch API (see the module doc)."""

    exam: Exam
    rubric: Rubric
    client: Any  # an ``openai.OpenAI`` client
    model: str
    capabilities: Any  # simulator.llm.config.Capabilities
    out_dir: Path
    poll_interval: float = 60.0
    wait: bool = True
    max_requests: int = MAX_REQUESTS
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    def __post_init__(self) -> None:
        self.questions = judge_questions(self.rubric)
        if not self.questions:
            raise FrontlineError(
                f"rubric {self.rubric.id} has no criterion with a judge: "
                "question, so the judge has nothing to ask"
            )
        self.dir = Path(self.out_dir) / BATCH_DIR
        self.state_path = self.dir / "state.json"

    # -- state ------------------------------------------------------------------------
    def load_state(self) -> dict:
        if self.state_path.is_file():
            return json.loads(self.state_path.read_text(encoding="utf-8"))
        return {"batches": []}

    def save_state(self, state: dict) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        write_atomic(self.state_path, json.dumps(state, indent=2) + "\n")

    # -- requests ---------------------------------------------------------------------
    def _input_lines(self, store: ResultsStore, keys: list[str]) -> list[str]:
        lines = []
        for n, (_, name, text) in enumerate(store.texts(keys)):
            lines += request_lines(
                n,
                parse_transcript(text, name),
                self.questions,
                self.exam.judge.samples,
                model=self.model,
                capabilities=self.capabilities,
                language=self.rubric.language,
            )
        return lines

    # -- submitting -------------------------------------------------------------------
    def _submit(self, entry: dict, store: ResultsStore, state: dict) -> None:
        """Upload and create the batch of one entry, saving state after each step."""
        path = self.dir / entry["input"]
        if not path.is_file():
            write_atomic(path, "\n".join(self._input_lines(store, entry["keys"])) + "\n")
        if not entry.get("file_id"):
            with open(path, "rb") as fh:
                entry["file_id"] = self.client.files.create(
                    file=(path.name, fh), purpose="batch"
                ).id
            self.save_state(state)
        if not entry.get("batch_id"):
            # A run killed between creating the batch and saving its id must not submit
            # it again: look for a batch made from this very file first.
            found = next(
                (
                    b
                    for b in self.client.batches.list(limit=100)
                    if getattr(b, "input_file_id", None) == entry["file_id"]
                ),
                None,
            )
            batch = found or self.client.batches.create(
                input_file_id=entry["file_id"],
                endpoint="/v1/chat/completions",
                completion_window="24h",
                metadata={"frontline_exam": self.exam.id, "frontline_input": entry["input"]},
            )
            entry["batch_id"] = batch.id
            entry["status"] = batch.status
            self.save_state(state)

    def _new_entries(self, keys: list[str], state: dict, attempt: int = 1) -> list[dict]:
        per = max(1, self.max_requests // (len(self.questions) * self.exam.judge.samples))
        entries = []
        for i in range(0, len(keys), per):
            n = len(state["batches"]) + 1
            entry = {
                "input": f"input-{n:03d}.jsonl",
                "keys": keys[i : i + per],
                "attempt": attempt,
                "status": "new",
                "collected": False,
            }
            state["batches"].append(entry)
            entries.append(entry)
        self.save_state(state)
        return entries

    # -- collecting -------------------------------------------------------------------
    def _file_lines(self, file_id: str | None) -> list[dict]:
        if not file_id:
            return []
        text = self.client.files.content(file_id).text
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def _collect(self, entry: dict, batch: Any, store: ResultsStore) -> int:
        answers = {}
        model = self.model
        for line in self._file_lines(getattr(batch, "output_file_id", None)) + self._file_lines(
            getattr(batch, "error_file_id", None)
        ):
            custom_id, answer, answered_by = read_result_line(line)
            answers[custom_id] = answer
            model = answered_by or model
        run = self.judge_run().model_copy(update={"model": model})
        judged = 0
        for n, (key, name, text) in enumerate(store.texts(entry["keys"])):
            card = judged_scorecard(
                n,
                parse_transcript(text, name),
                self.rubric,
                self.questions,
                self.exam.judge.samples,
                answers,
                run,
            )
            status, record = judgement_record(card)
            record["batch"] = entry["batch_id"]
            store.save_judgement(key, status, record)
            judged += 1
        return judged

    # -- the phase --------------------------------------------------------------------
    def __call__(
        self, store: ResultsStore, progress: Callable[[Progress], None], cancel: threading.Event
    ) -> int:
        """Submit what is not yet judged, poll, collect. Returns transcripts judged now."""
        state = self.load_state()
        in_flight = {k for e in state["batches"] if not e["collected"] for k in e["keys"]}
        fresh = [k for k in store.unjudged() if k not in in_flight]
        if fresh:
            self._new_entries(fresh, state)
        total = len(store.unjudged())
        progress(Progress("judging", 0, total))
        judged = 0
        while True:
            open_entries = [e for e in state["batches"] if not e["collected"]]
            if not open_entries:
                break
            for entry in open_entries:
                if not entry.get("batch_id"):
                    self._submit(entry, store, state)
                batch = self.client.batches.retrieve(entry["batch_id"])
                entry["status"] = batch.status
                if batch.status == "completed":
                    judged += self._collect(entry, batch, store)
                    entry["collected"] = True
                elif batch.status in FINISHED_BAD:
                    judged += self._retry_or_review(entry, store, state)
                self.save_state(state)
                progress(
                    Progress("judging", judged, total, f"batch {entry['batch_id']}: {batch.status}")
                )
            if all(e["collected"] for e in state["batches"]) or not self.wait or cancel.is_set():
                break
            if cancel.wait(self.poll_interval):
                break
        return judged

    def _retry_or_review(self, entry: dict, store: ResultsStore, state: dict) -> int:
        entry["collected"] = True
        unjudged = set(store.unjudged())
        left = [k for k in entry["keys"] if k in unjudged]
        if entry["attempt"] < self.exam.judge.max_attempts:
            self._new_entries(left, state, entry["attempt"] + 1)
            return 0
        for key in left:
            store.save_judgement(
                key,
                NEEDS_REVIEW,
                {
                    "reason": f"the judge's batch {entry['batch_id']} ended {entry['status']} "
                    f"{entry['attempt']} time(s)",
                    "batch": entry["batch_id"],
                },
            )
        return len(left)

    def judge_run(self):
        """What produced the verdicts, as the live judge records it (``JudgeRun``)."""
        return batch_run(
            self.model,
            self.questions,
            self.exam.judge.samples,
            self.capabilities,
            self.rubric.language,
        )

    def stamp(self) -> JudgeStamp:
        return JudgeStamp(
            model=self.model,
            prompt_hash=current_prompt_hash(self.rubric.language),
            samples=self.exam.judge.samples,
        )


def batch_judge(
    exam: Exam, rubric: Rubric, out_dir: Path, *, poll_interval: float = 60.0, wait: bool = True
) -> BatchJudge:
    """A :class:`BatchJudge` over the configured model (``FRONTLINE_LLM_*``)."""
    from .judging import configured_backend

    backend = configured_backend(exam)
    return BatchJudge(
        exam,
        rubric,
        backend.client,
        backend.model,
        backend.capabilities,
        Path(out_dir),
        poll_interval=poll_interval,
        wait=wait,
    )
