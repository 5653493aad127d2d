"""Run one product loader over hostile files, each in a forked child, and report each run.

    python tests/loader_probe.py LOADER FILE...

For each file, one JSON line: ``{"file", "outcome", "message", "peak_bytes", "cpu_s"}``,
where outcome is ``ok`` (loaded), ``refused`` (the product's own error, with its message),
``crash`` (any other exception, with the traceback) or ``died`` (killed, e.g. out of
memory). Each file is loaded in a child forked after the imports, under an address-space
limit (so a run that would eat gigabytes dies instead of the machine); ``peak_bytes`` is
the child's peak resident memory and ``cpu_s`` its CPU time, both from ``wait4``.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulator.certification.exam import load_exam  # noqa: E402
from simulator.customer.effects import load_effects  # noqa: E402
from simulator.errors import FrontlineError  # noqa: E402
from simulator.grading.judge.injection import InjectionMatcher, load_injection_file  # noqa: E402
from simulator.grading.rubric_loader import load_rubric  # noqa: E402
from simulator.grading.transcript_input import load_file  # noqa: E402
from simulator.languages import LanguagePack  # noqa: E402
from simulator.moves.detector import RuleDetector, load_pattern_file  # noqa: E402
from simulator.persona.loader import load_persona  # noqa: E402
from simulator.users import UserStore  # noqa: E402
from simulator.web.persona_edit import form_values, validate_text  # noqa: E402
from simulator.yamlfile import load_model  # noqa: E402


def _transcripts(path: Path) -> object:
    loaded, problems = load_file(path)
    if problems:
        raise FrontlineError("; ".join(map(str, problems)))
    return loaded


def _designer(path: Path) -> object:
    """What the persona designer's live check does with the editor's text."""
    text = path.read_bytes().decode("utf-8", errors="replace")
    persona, problems = validate_text(text)
    form_values(text)
    if problems:
        raise FrontlineError("; ".join(map(str, problems)))
    return persona


LOADERS = {
    "persona": load_persona,
    "rubric": load_rubric,
    "exam": load_exam,
    "patterns": lambda p: RuleDetector([load_pattern_file(p)]),
    "injection": lambda p: InjectionMatcher([load_injection_file(p)]),
    "pack": lambda p: load_model(LanguagePack, p).splitter().sentences("Hi. 你好。"),
    "effects": load_effects,
    "users": lambda p: UserStore(p).users(),
    "transcripts": _transcripts,
    "designer": _designer,
}


ADDRESS_SPACE = 1536 * 1024 * 1024  # the child's hard limit, far above the 300 MB bound


def _load(loader: str, path: Path) -> tuple[str, str]:
    try:
        LOADERS[loader](path)
    except FrontlineError as exc:
        return "refused", str(exc)
    except BaseException:  # noqa: BLE001 - exactly what the test must see
        return "crash", traceback.format_exc()
    return "ok", ""


def probe(loader: str, path: Path) -> dict:
    """Load ``path`` with ``loader`` in a forked child; what happened, its peak resident
    memory and its CPU time."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: load, report through the pipe, exit without cleanup
        os.close(read)
        resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))
        outcome, message = _load(loader, path)
        os.write(write, json.dumps([outcome, message[:2000]]).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        body = pipe.read()
    _, status, usage = os.wait4(pid, 0)
    outcome, message = json.loads(body) if body else ("died", f"wait status {status}")
    return {
        "file": str(path),
        "outcome": outcome,
        "message": message,
        "peak_bytes": usage.ru_maxrss * 1024,
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
    }


if __name__ == "__main__":
    name, *files = sys.argv[1:]
    for f in files:
        print(json.dumps(probe(name, Path(f))), flush=True)
