"""How long persona calibration takes: every persona x every policy x N seeds, offline.

    python bench/bench_calibration.py [--runs 20] [--personas DIR] [--write]

Times the full calibration (target: all shipped personas x all policies x 20 seeds in
under 60 s) with one process and with one per core, and the persona designer's call
(one persona among the shipped ones, 3 seeds, plus the linter; then again after an edit,
when the other personas' results are remembered). ``--write`` puts the
figures in the "Persona calibration" section of docs/benchmarks.md (replacing an
earlier run of this script; the rest of the file is left alone).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulator.calibration import calibrate, calibration_report  # noqa: E402
from simulator.calibration.policies import POLICIES  # noqa: E402
from simulator.calibration.runner import run_calibration  # noqa: E402
from simulator.persona.loader import PersonaLibrary  # noqa: E402

DOC = ROOT / "docs" / "benchmarks.md"
HEADING = "## Persona calibration"
MACHINE_HEADER = """# Benchmarks

Figures printed by the scripts in `bench/`. They are measured, not asserted: the test suite
never times anything.

## The machine

| | |
|---|---|
| CPU | {cpu}, {cores} cores |
| Python | {python} |
"""


def _timed(label: str, fn, lines: list[str]):
    start = time.perf_counter()
    value = fn()
    elapsed = time.perf_counter() - start
    print(f"{label}: {elapsed:.2f} s", file=sys.stderr)
    return value, elapsed


def measure(folder: Path, runs: int) -> list[str]:
    library = PersonaLibrary(folder)
    personas = [library.get(i) for i in library.ids()]
    n = len(personas) * len(POLICIES) * runs
    cores = os.cpu_count() or 1
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    out = [
        f"{len(personas)} personas x {len(POLICIES)} policies x {runs} seeds = "
        f"{n} conversations, offline renderer; load average before: {load} "
        f"on {cores} cores"
    ]
    results, serial = _timed(
        "1 process", lambda: run_calibration(personas, runs=runs, workers=1), out
    )
    turns = sum(r.turns for r in results)
    out.append(
        f"1 process          {serial:6.2f} s   {n / serial:7.1f} conversations/s   "
        f"{turns} agent turns, {1000 * serial / turns:.2f} ms per turn"
    )
    _, parallel = _timed(f"{cores} processes", lambda: calibrate(personas, runs=runs), out)
    out.append(
        f"{cores} processes        {parallel:6.2f} s   {n / parallel:7.1f} conversations/s"
        f"   (matrix included){'   target < 60 s: met' if parallel < 60 else ''}"
    )
    if personas:
        one = personas[0]
        _, designer = _timed(
            "designer", lambda: calibration_report(one, runs=3, others=personas), out
        )
        out.append(
            f"designer, 1st call {designer:6.2f} s   calibration_report({one.id}, runs=3, "
            f"others=all {len(personas)}) incl. linter, 1 process"
        )
        edited = one.model_copy(update={"max_turns": one.max_turns + 1})
        _, again = _timed(
            "designer again", lambda: calibration_report(edited, runs=3, others=personas), out
        )
        out.append(
            f"designer, an edit  {again:6.2f} s   the same after editing {one.id}: only "
            "the edited persona is run again"
        )
    return out


def write_section(figures: list[str], runs: int) -> None:
    if not DOC.exists():
        import platform

        cpu = next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            platform.processor() or "unknown",
        )
        DOC.write_text(
            MACHINE_HEADER.format(cpu=cpu, cores=os.cpu_count(), python=platform.python_version())
        )
    text = DOC.read_text(encoding="utf-8")
    section = "\n".join(
        [
            HEADING,
            "",
            f"`python bench/bench_calibration.py --runs {runs} --write` (target: all personas x "
            "all policies x 20 seeds offline in under 60 s).",
            "",
            "Each conversation runs a reference trainee policy against a persona through the "
            "customer state machine and the offline renderer until the customer accepts, "
            "escalates, leaves or runs out of turns, then the follow-up check; the matrix "
            "aggregates them. The designer call is what the persona designer runs before saving.",
            "",
            f"Run of {date.today().isoformat()}:",
            "",
            "```text",
            *figures,
            "```",
            "",
        ]
    )
    if HEADING in text:
        head, rest = text.split(HEADING, 1)
        nxt = rest.find("\n## ")
        text = head + section + (rest[nxt + 1 :] if nxt >= 0 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    DOC.write_text(text, encoding="utf-8")
    print(f"wrote the '{HEADING[3:]}' section of {DOC}", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--personas", type=Path, default=ROOT / "personas")
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    figures = measure(args.personas, args.runs)
    print("\n".join(figures))
    if args.write:
        write_section(figures, args.runs)


if __name__ == "__main__":
    main()
