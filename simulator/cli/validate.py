"""``frontline validate [PATH...] [--languages]``: check persona files (and other kinds)
without running them; ``--languages`` checks every language pack, shipped and trainers'.

Prints one line per problem, ``file:line: field: message``, and exits 1 if there is any;
otherwise prints ``N files OK``. Never a traceback: every failure is a :class:`Problem`.

Extension point: :data:`FILE_KINDS`. Each YAML file is parsed once, offered to the kinds
in order, and checked by the first that claims it; the last kind (persona) takes the
rest. A new kind of file is one more entry before it: a name, a test on the path and the
parsed data, and the loader that raises :class:`FileProblems`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import config
from ..certification.exam import load_exam
from ..errors import FileProblems, FrontlineError, Problem
from ..grading.rubric_loader import load_rubric, rubric_gaps
from ..languages import CODE, MANIFEST, SHIPPED_DIR, load_pack, trainer_folders
from ..persona.loader import load_persona
from ..yamlfile import Lines, parse_yaml, read_text


@dataclass(frozen=True)
class FileKind:
    """One kind of file ``frontline validate`` checks."""

    name: str
    claims: Callable[[Path, Any], bool]  # given the path and the parsed YAML
    load: Callable[[Path], Any]  # loads the file or raises FileProblems


def looks_like_exam(path: Path, data: Any) -> bool:
    """Exam files live in ``rubrics/exams/`` and name a rubric and the personas to face."""
    return path.parent.name == "exams" or (
        isinstance(data, dict) and "rubric" in data and "personas" in data
    )


def looks_like_rubric(path: Path, data: Any) -> bool:
    """Rubric files live under ``rubrics/`` and have a top-level ``stages`` list."""
    return path.parent.name == "rubrics" or (isinstance(data, dict) and "stages" in data)


# The files a language pack may hold (docs/languages.md), each checked by its owner's loader.
PACK_FILES = (
    MANIFEST,
    "moves.yaml",
    "injection.yaml",
    "character.yaml",
    "agent_phrases.yaml",
    "agent_lines.yaml",
    "questions.yaml",
    "triggers.yaml",
    "record.yaml",
    "detect.yaml",
    "ui.yaml",
    "prompts.yaml",
)


def looks_like_pack_file(path: Path, data: Any) -> bool:
    """Language pack files sit in a folder named by a language code (``en/``), and are
    named as a pack's files are or sit beside a ``pack.yaml``."""
    return bool(CODE.match(path.parent.name)) and (
        path.name in PACK_FILES or (path.parent / MANIFEST).is_file()
    )


def load_pack_file(path: Path) -> Any:
    """Load one language pack file with the loader of the concept that reads it."""
    # Imported here: the loaders belong to concepts that a persona check does not need.
    from ..calibration.lint import load_agent_phrases
    from ..calibration.policies import load_agent_lines_file
    from ..customer.questions import load_questions_file
    from ..customer.shared_triggers import load_shared_triggers_file
    from ..grading.judge.injection import load_injection_file
    from ..grading.record_words import load_record_words_file
    from ..languages.catalogue import load_catalogue_file
    from ..languages.detect import load_profile
    from ..moves.detector import load_pack_patterns
    from ..render.character import load_character_rules
    from ..wiring import load_pack_prompts

    loaders: dict[str, Callable[[Path], Any]] = {
        MANIFEST: load_pack,
        "moves.yaml": load_pack_patterns,
        "injection.yaml": load_injection_file,
        "character.yaml": load_character_rules,
        "agent_phrases.yaml": load_agent_phrases,
        "agent_lines.yaml": load_agent_lines_file,
        "questions.yaml": load_questions_file,
        "triggers.yaml": load_shared_triggers_file,
        "record.yaml": load_record_words_file,
        "detect.yaml": load_profile,
        "ui.yaml": load_catalogue_file,
        "prompts.yaml": load_pack_prompts,
    }
    if path.name not in loaders:
        known = ", ".join(PACK_FILES)
        raise FileProblems([Problem(str(path), f"not a language pack file (a pack holds {known})")])
    return loaders[path.name](path)


def check_rubric(path: Path) -> Any:
    """Load a rubric and report, as problems, any text a language it offers lacks (the
    trainee would read it in the base language)."""
    rubric = load_rubric(path)
    gaps = rubric_gaps(path)
    if gaps:
        raise FileProblems(gaps)
    return rubric


FILE_KINDS: list[FileKind] = [
    FileKind("language pack file", looks_like_pack_file, load_pack_file),
    FileKind("exam", looks_like_exam, load_exam),
    FileKind("rubric", looks_like_rubric, check_rubric),
    FileKind("persona", lambda path, data: True, load_persona),
]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "validate",
        help="check persona, rubric and exam files for mistakes",
        description="Check YAML files (default: the personas folder). "
        "A folder means every *.yaml file in it. Rubrics are recognised by "
        "their folder (rubrics/) or their 'stages', exams by theirs "
        "(rubrics/exams/) or their 'rubric' and 'personas'; anything else is "
        "checked as a persona.",
    )
    p.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    p.add_argument(
        "--languages",
        action="store_true",
        help="check every language pack: the shipped ones and those in the folders named "
        "in FRONTLINE_LANGUAGES (see docs/languages.md)",
    )
    p.set_defaults(func=run)


def files_in(paths: list[Path]) -> tuple[list[Path], list[Problem]]:
    """The files the paths name (folders expanded), and problems with the paths themselves."""
    files: list[Path] = []
    problems: list[Problem] = []
    for path in paths:
        if path.is_dir():
            found = sorted(path.glob("*.yaml"))
            if not found:
                problems.append(Problem(str(path), "no *.yaml files in this folder"))
            files += found
        elif path.exists():
            files.append(path)
        else:
            problems.append(Problem(str(path), "no such file or folder"))
    return files, problems


@dataclass
class Checked:
    """What checking one file found."""

    kind: FileKind | None = None
    loaded: Any = None
    lines: Lines = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def check_file(path: Path) -> Checked:
    """Check one file: the kind that claimed it, the loaded object, and its problems."""
    checked = Checked()
    try:
        data, checked.lines = parse_yaml(read_text(path), str(path))
        checked.kind = next(k for k in FILE_KINDS if k.claims(path, data))
        checked.loaded = checked.kind.load(path)
    except FileProblems as exc:
        checked.problems = exc.problems
    return checked


def validate(paths: list[Path]) -> tuple[int, list[Problem]]:
    """Check every file; return how many files were checked and all problems found."""
    files, problems = files_in(paths)
    seen: dict[tuple[str, str], Path] = {}
    for path in files:
        checked = check_file(path)
        problems += checked.problems
        ident = getattr(checked.loaded, "id", None)
        if checked.kind is not None and isinstance(ident, str):
            other = seen.setdefault((checked.kind.name, ident), path)
            if other != path:
                problems.append(
                    Problem(
                        str(path),
                        f"duplicate {checked.kind.name} id {ident!r} (also in {other})",
                        checked.lines.get(("id",)),
                        "id",
                    )
                )
    return len(files), problems


def lint_warnings(paths: list[Path]) -> list[Problem]:
    """The persona linter's warnings for the persona files among ``paths``."""
    from ..calibration.lint import lint_persona  # the linter runs the customer machine

    found: list[Problem] = []
    for path in files_in(paths)[0]:
        checked = check_file(path)
        if checked.kind is not None and checked.kind.name == "persona" and checked.loaded:
            found += lint_persona(checked.loaded, path)
            found += unread_languages(checked.loaded, path, checked.lines)
            found += unwritten_follow_ups(checked.loaded, path, checked.lines)
    return found


def unread_languages(persona: Any, path: Path, lines: Lines) -> list[Problem]:
    """A warning for each language the persona offers that no move rules read yet: a
    session in it would stop at the first reply."""
    from ..moves.detector import default_detector

    out = []
    for language in getattr(persona, "languages", {}):
        try:
            default_detector(language)
        except FrontlineError as exc:
            why = str(exc).split(": ", 1)[-1]
            out.append(
                Problem(
                    str(path),
                    f"warning: no move rules read this language yet, so it cannot be "
                    f"practised ({why})",
                    lines.get(("languages", language)),
                    f"languages.{language}",
                )
            )
    return out


def unwritten_follow_ups(persona: Any, path: Path, lines: Lines) -> list[Problem]:
    """A warning for each language whose overlay lacks the follow-up call's lines that the
    base has: the follow-up call is not offered in that language."""
    if persona.case.follow_up is None:
        return []
    out = []
    for language, overlay in getattr(persona, "languages", {}).items():
        if overlay.case is None or overlay.case.follow_up is None:
            out.append(
                Problem(
                    str(path),
                    "warning: the follow-up call is not written in this language "
                    "(case.follow_up.phrases), so it is not offered in it",
                    lines.get(("languages", language, "case"))
                    or lines.get(("languages", language)),
                    f"languages.{language}.case.follow_up",
                )
            )
    return out


def language_folders() -> tuple[list[Path], list[Problem]]:
    """Every pack folder (shipped, then trainers'), and the configured folders that are
    missing."""
    folders: list[Path] = []
    problems: list[Problem] = []
    for root in [SHIPPED_DIR, *trainer_folders()]:
        if not root.is_dir():
            problems.append(Problem(str(root), "no such folder (named in FRONTLINE_LANGUAGES)"))
            continue
        folders += sorted(p for p in root.iterdir() if p.is_dir() and CODE.match(p.name))
    return folders, problems


def run(args: argparse.Namespace) -> int:
    paths = list(args.paths) or ([] if args.languages else [config.personas_dir()])
    missing: list[Problem] = []
    if args.languages:
        folders, missing = language_folders()
        paths += folders
    n_files, problems = validate(paths)
    problems = missing + problems
    for problem in problems:
        print(problem)
    # Warnings are advice: they are printed but never change the exit code.
    for warning in lint_warnings(paths):
        print(warning)
    if problems:
        print(
            f"{len(problems)} problem{'s' * (len(problems) != 1)} found "
            f"({n_files} file{'s' * (n_files != 1)} checked)"
        )
        return 1
    print(f"{n_files} file{'s' * (n_files != 1)} OK")
    return 0
