"""``frontline certify``: grade a cohort's transcripts against an exam, or verify a run.

    frontline certify EXAM (--transcripts PATH… | --sessions FILTER) --out DIR [--judge]
    frontline certify --verify DIR

EXAM is an exam id from ``rubrics/exams/`` or the path of an exam file. Results are
stored in DIR as each transcript is graded: rerunning the same command resumes a killed
run, and does nothing once the run is complete. See docs/certification.md.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import FrontlineError
from ..languages.catalogue import Texts
from ..languages.formatting import number

if TYPE_CHECKING:
    from ..certification.exam import Exam

SHOW_SKIPPED = 20  # skipped transcripts listed on the terminal; the report lists them all


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "certify",
        help="grade a cohort against an exam; write reports and certificates",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("exam", nargs="?", metavar="EXAM", help="exam id or exam YAML file")
    src = p.add_mutually_exclusive_group()
    src.add_argument(
        "--transcripts",
        nargs="+",
        type=Path,
        metavar="PATH",
        help="transcript files, or folders of *.json/*.jsonl/*.txt",
    )
    src.add_argument(
        "--sessions",
        metavar="FILTER",
        help="stored sessions, e.g. 'user=alice|bob,persona=x,since=2026-01-01' or 'all'",
    )
    p.add_argument("--out", type=Path, metavar="DIR", help="folder for results and reports")
    p.add_argument("--judge", action="store_true", help="let the LLM judge take part too")
    p.add_argument(
        "--batch-api",
        action="store_true",
        help="send the judge's calls through the OpenAI Batch API: submit, poll, "
        "collect; rerun the same command to resume",
    )
    p.add_argument(
        "--poll-interval",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="with --batch-api: seconds between polls (default: 60)",
    )
    p.add_argument(
        "--no-wait",
        action="store_true",
        help="with --batch-api: submit (or check) once and exit; rerun to collect",
    )
    p.add_argument(
        "--judge-url",
        action="append",
        metavar="URL",
        help="base URL of a judge server; repeat for a farm of servers serving "
        "the same model (default: FRONTLINE_LLM_BASE_URL)",
    )
    p.add_argument(
        "--workers", type=int, metavar="N", help="rule-grading processes (default: every core)"
    )
    p.add_argument(
        "--chunk-size",
        type=int,
        default=64,
        metavar="N",
        help="transcripts sent to a worker at once; results are committed per chunk (default: 64)",
    )
    p.add_argument(
        "--concurrency",
        type=int,
        metavar="N",
        help="judge calls in flight (default: the exam's judge.concurrency)",
    )
    p.add_argument(
        "--language",
        metavar="L",
        help="language of the report and the certificates (default: the transcripts' "
        "common language, else English); for a run that mixes languages",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--verify",
        type=Path,
        metavar="DIR",
        help="re-grade a finished run and check its stamps and reports",
    )
    p.set_defaults(func=run)


def _verify(out_dir: Path) -> int:
    from ..certification.verify import verify

    result = verify(out_dir)
    for problem in result.problems:
        print(problem)
    if result.ok:
        print(
            f"{out_dir}: verified: {result.checked} transcripts re-graded, stamps and reports match"
        )
        return 0
    print(f"{out_dir}: NOT verified: {len(result.problems)} problem(s)", file=sys.stderr)
    return 1


def run(args: argparse.Namespace) -> int:
    if args.verify:
        if args.exam or args.transcripts or args.sessions or args.out:
            raise FrontlineError("--verify DIR takes no exam, inputs or --out")
        return _verify(args.verify)
    if not args.exam:
        raise FrontlineError("name an exam (an id from rubrics/exams/ or a YAML file)")
    if not (args.transcripts or args.sessions):
        raise FrontlineError("give --transcripts PATH… or --sessions FILTER")
    if not args.out:
        raise FrontlineError("give --out DIR for the results and reports")

    from ..certification.exam import resolve_exam
    from ..certification.plan import plan_run
    from ..certification.progress import ProgressBar
    from ..certification.runner import run as run_plan
    from ..certification.sources import file_sources, session_sources

    exam, _ = resolve_exam(args.exam)
    if args.batch_api and args.judge_url:
        raise FrontlineError(
            "--batch-api and --judge-url do not go together: the Batch API is one service"
        )
    batch = (
        {"poll_interval": args.poll_interval, "wait": not args.no_wait} if args.batch_api else None
    )
    plan = plan_run(
        exam,
        args.out,
        use_judge=args.judge or args.batch_api,
        batch=batch,
        farm=args.judge_url,
        workers=args.workers,
        judge_concurrency=args.concurrency,
        language=args.language,
    )
    plan.chunk_size = max(1, args.chunk_size)
    sources = file_sources(args.transcripts) if args.transcripts else session_sources(args.sessions)
    if not sources:
        where = (
            ", ".join(map(str, args.transcripts))
            if args.transcripts
            else f"the sessions matching {args.sessions!r}"
        )
        raise FrontlineError(f"no transcripts found in {where}")
    progress = None if args.quiet else ProgressBar()
    summary = run_plan(plan, sources, progress)
    if progress and progress.tty:
        print(file=sys.stderr)
    c = summary.counts
    if summary.did_nothing:
        t = Texts(_run_language(args.out))
        print(t("cli.certify_nothing", out=args.out, total=c["total"]))
        return 0
    t = Texts(_run_language(args.out))
    print(
        t(
            "cli.certify_counts",
            total=c["total"],
            new=summary.newly_graded,
            graded=c["graded"],
            malformed=c["malformed"],
        )
        + (
            t("cli.certify_judged", judged=c["judged"], review=c["needs_review"])
            if plan.stamp.judge
            else ""
        )
    )
    waiting = c["graded"] - c["judged"] - c["needs_review"] if plan.stamp.judge else 0
    if waiting > 0:
        print(t("cli.certify_waiting", n=waiting))
    for row in _malformed(args.out, SHOW_SKIPPED):
        print(t("cli.certify_skipped", row=row), file=sys.stderr)
    if c["malformed"] > SHOW_SKIPPED:
        print(t("cli.certify_more", n=c["malformed"] - SHOW_SKIPPED), file=sys.stderr)
    _print_cohort(args.out, exam, t)
    return 0


def _run_language(out_dir: Path) -> str:
    """The language the run's reports were written in (recorded in its results store)."""
    from ..certification.plan import REPORT_LANGUAGE
    from ..certification.results_store import ResultsStore

    with ResultsStore(out_dir, readonly=True) as store:
        return str(store.get_meta(REPORT_LANGUAGE) or "en")


def _malformed(out_dir: Path, limit: int) -> list[str]:
    from ..certification.cohort import iter_skipped
    from ..certification.results_store import ResultsStore

    with ResultsStore(out_dir, readonly=True) as store:
        return [s["reason"] for s in islice(iter_skipped(store), limit)]


def eligibility_lines(
    exam_id: str,
    transcripts: dict,
    ineligible: Iterable[dict],
    limit: int = SHOW_SKIPPED,
    t: Texts | None = None,
) -> list[str]:
    """How many graded transcripts the exam accepted, and why each other one was not, in
    ``t``'s language.

    ``transcripts`` is the report's ``cohort.transcripts`` counts; ``ineligible`` the
    ineligible transcripts with their reasons (streamed: only the first ``limit`` are read)."""
    t = t or Texts("en")
    graded = transcripts["total"] - transcripts["malformed"]
    n_ineligible = transcripts["ineligible"]
    lines = [
        t("cli.certify_eligible", eligible=transcripts["eligible"], graded=graded, exam=exam_id)
        + (t("cli.certify_ineligible_count", n=n_ineligible) if n_ineligible else "")
    ]
    lines += [
        t("cli.certify_not_eligible", source=row["source"], reason=row["reason"])
        for row in islice(ineligible, limit)
    ]
    if n_ineligible > limit:
        lines.append(t("cli.certify_more", n=n_ineligible - limit))
    if graded and n_ineligible == graded:
        lines.append(t("cli.certify_no_candidates", exam=exam_id))
    return lines


def _print_cohort(out_dir: Path, exam: Exam, t: Texts) -> None:
    from ..certification.cohort import iter_ineligible
    from ..certification.report import read_cohort
    from ..certification.results_store import ResultsStore

    co = read_cohort(out_dir)
    if co is None:
        return
    with ResultsStore(out_dir, readonly=True) as store:
        ineligible = iter_ineligible(store, exam, t)
        for line in eligibility_lines(exam.id, co["transcripts"], ineligible, t=t):
            print(line)
    rate = number(round(co["pass_rate"] * 100, 1), t.language)
    print(
        t(
            "cli.certify_cohort",
            candidates=co["candidates"],
            passed=co["passed"],
            failed=co["failed"],
            review=co["needs_review"],
            rate=rate,
        )
    )
    print(t("cli.certify_reports", path=out_dir / "report.html"))
