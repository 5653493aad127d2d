"""``frontline calibrate``: run the reference trainee policies against the personas.

Prints the matrix (outcome rates, final anger and trust, turns to resolution), the
distinctness check and the DOMAIN expectations; ``--markdown FILE`` writes the same as a
document (``docs/calibration.md`` is made this way) and ``--json`` prints the figures.
``--language L`` (repeatable, or ``all``) plays every persona that offers L in L, with the
policies' lines from L's pack, and checks the expectations per language
(``docs/calibration-languages.md``); a persona that does not offer L is listed as skipped.
Exits 1 when an expectation fails or two personas are indistinguishable, so it can gate
a change to a persona or to ``effects.yaml``. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from functools import partial
from pathlib import Path

from ..calibration import calibrate
from ..calibration.expectations import check_expectations
from ..calibration.outcome import Calibration
from ..calibration.per_language import ALL, calibrate_languages
from ..calibration.policies import POLICIES
from ..calibration.report import calibrations_text, languages_markdown, to_markdown
from ..errors import FrontlineError
from ..persona.loader import PersonaLibrary
from ..render.base import Renderer


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "calibrate",
        help="check every persona behaves as its type",
        description="Run every reference trainee policy against every persona "
        "(or one) over several seeds and check the DOMAIN expectations.",
    )
    p.add_argument(
        "--persona",
        metavar="ID",
        action="append",
        help="only this persona (repeatable); comparative expectations then "
        "compare only the personas chosen",
    )
    p.add_argument(
        "--policy",
        metavar="ID",
        action="append",
        choices=list(POLICIES),
        help="only this policy (repeatable)",
    )
    p.add_argument(
        "--runs", type=int, default=5, metavar="N", help="seeds per policy and persona (default 5)"
    )
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="processes to use (default: one per core)",
    )
    p.add_argument(
        "--language",
        metavar="L",
        action="append",
        help="play every persona that offers L in L, with the reference lines in L, and "
        f"check the expectations per language (repeatable, or '{ALL}'); personas that "
        "do not offer L are listed as skipped",
    )
    p.add_argument("--markdown", type=Path, metavar="FILE", help="also write the report here")
    p.add_argument("--json", action="store_true", help="print the figures as JSON instead")
    p.add_argument(
        "--llm",
        action="store_true",
        help="word the customer with the configured LLM renderer (slow; the "
        "behaviour is decided by the state machine either way)",
    )
    p.set_defaults(func=run)


def _renderer(use_llm: bool) -> Renderer | None:
    if not use_llm:
        return None
    from ..render.offline import OfflineRenderer
    from ..wiring import renderer_from_config

    renderer = renderer_from_config()
    if isinstance(renderer, OfflineRenderer):
        raise FrontlineError(
            "--llm: no model is configured (set FRONTLINE_LLM_MODEL, or FRONTLINE_LLM_CONFIG)"
        )
    return renderer


def _progress(language: str | None, done: int, total: int) -> None:
    end = "\n" if done == total else ""
    where = f" {language}" if language else ""
    print(
        f"\rcalibrating{where}: {done}/{total} policy x persona cells",
        end=end,
        file=sys.stderr,
        flush=True,
    )


def run(args: argparse.Namespace) -> int:
    if args.runs < 1:
        raise FrontlineError("--runs must be at least 1")
    library = PersonaLibrary()
    for problem in library.problems:
        print(f"warning: skipping broken persona file: {problem}", file=sys.stderr)
    ids = args.persona or library.ids()
    personas = [library.get(pid) for pid in ids]
    if not personas:
        raise FrontlineError(f"no personas in {library.folder}")
    started = time.perf_counter()
    done = _calibrate(args, personas)
    elapsed = time.perf_counter() - started
    runs = sum(len(c.matrix.personas) * len(c.matrix.policies) for c in done if c.matrix)
    print(f"{runs * args.runs} conversations in {elapsed:.1f} s", file=sys.stderr)
    _report(args, done)
    return 0 if all(c.ok for c in done) else 1


def _calibrate(args: argparse.Namespace, personas: list) -> list[Calibration]:
    """The plain run (each persona in its own language), or one run per ``--language``."""
    renderer = _renderer(args.llm)
    if args.language:
        return calibrate_languages(
            personas,
            args.language,
            args.runs,
            policies=args.policy,
            renderer=renderer,
            workers=args.workers,
            progress=_progress,
        )
    matrix = calibrate(
        personas,
        args.runs,
        policies=args.policy,
        renderer=renderer,
        workers=args.workers,
        progress=partial(_progress, None),
    )
    return [Calibration(None, matrix, check_expectations(matrix))]


def _report(args: argparse.Namespace, done: list[Calibration]) -> None:
    """The one way every run is reported: the Markdown document, the JSON or the text on
    stdout, and each run's verdict as the last line(s) on stderr."""
    if args.markdown:
        if args.language:
            document = languages_markdown(done, args.runs)
        else:
            (plain,) = done
            document = to_markdown(plain.matrix, plain.results)
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(document, encoding="utf-8")
        print(f"wrote {args.markdown}", file=sys.stderr)
    if args.json:
        data = {"languages": [c.to_dict() for c in done]} if args.language else done[0].to_dict()
        print(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        print(calibrations_text(done), end="")
    for c in done:
        print(c.summary(), file=sys.stderr)
