"""Language packs: one folder per language holding everything language-specific.

A pack is a folder named by its language code (``en``, ``zh``, ``pt-BR``) holding a
manifest, ``pack.yaml`` (:class:`LanguagePack`: the language's name in itself and how its
text splits into sentences and clauses), and the files each concept reads in that
language: ``moves.yaml`` (the rule detector's patterns), ``injection.yaml`` (words aimed
at the grader), ``character.yaml`` (the LLM customer's in-character checks),
``agent_phrases.yaml`` (the persona linter), ``agent_lines.yaml`` (the calibration
policies' lines), ``questions.yaml`` (the open questions the customer answers with
more of the story) and, optionally, ``prompts.yaml`` (the wording sent to a model in that
language, over the base prompt file). See docs/languages.md.

The packs Frontline ships sit beside this module. A trainer adds folders laid out the
same way and names them in ``FRONTLINE_LANGUAGES`` (several separated by ``os.pathsep``):
``<folder>/<code>/moves.yaml`` extends a shipped language, and ``<folder>/<code>/`` with a
``pack.yaml`` adds a whole new one. This package only finds the files (:func:`pack_file`);
each concept validates its own file with its own model. It imports no concept.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from .. import saferegex
from ..confined import confined
from ..errors import FileProblems, FrontlineError, Problem
from ..yamlfile import load_model, parse_yaml, read_text
from .splitter import Splitter

SHIPPED_DIR = Path(__file__).parent
MANIFEST = "pack.yaml"
PROMPTS = "prompts.yaml"
ENV = "FRONTLINE_LANGUAGES"
# A language code as Frontline uses them (the persona's): "en", "zh", "pt-BR". A code
# names a folder, so nothing else (no "..", no separators) can ever reach the file system.
CODE = re.compile(r"^[a-z]{2}(-[A-Z]{2})?$")


def _one_mark(value: str) -> str:
    if len(value) != 1 or value.isspace() or value.isalnum():
        raise ValueError(f"must be one punctuation character, not {value!r}")
    return value


def _joint(value: str) -> str:
    return saferegex.check(value)  # refuses invalid and catastrophic patterns, with a reason


def _abbreviation(value: str) -> str:
    if (
        not value.endswith(".")
        or value != value.strip()
        or len(value) > 20
        or not value.strip(". ")
        or "\n" in value
    ):
        raise ValueError(f"must be a short word ending in a full stop ('лв.'), not {value!r}")
    return value


Mark = Annotated[str, AfterValidator(_one_mark)]
Abbreviation = Annotated[str, AfterValidator(_abbreviation)]
Joint = Annotated[str, AfterValidator(_joint)]


class LanguagePack(BaseModel):
    """The manifest of a language pack (``<code>/pack.yaml``)."""

    model_config = ConfigDict(extra="forbid")

    schema_version: int = Field(1, ge=1, le=1)
    language: str = Field(
        pattern=CODE.pattern,
        description="BCP-47 language code, the name of the pack's folder (e.g. 'en', 'zh').",
    )
    name: str = Field(
        min_length=1,
        max_length=60,
        description="The language's name in itself, as a trainee would pick it ('Español').",
    )
    sentence_ends: list[Mark] = Field(
        default_factory=list,
        description="Characters that end a sentence when whitespace follows them "
        "('.', '!', '?'); without the whitespace they do not ('£4.99').",
    )
    sentence_ends_unspaced: list[Mark] = Field(
        default_factory=list,
        description="Characters that end a sentence where they stand, with no space after "
        "them (Chinese '。', '！', '？').",
    )
    clause_separators: list[Mark] = Field(
        default_factory=list,
        description="Characters that always end a clause (';', Chinese '，' and '；').",
    )
    clause_joints: list[Joint] = Field(
        default_factory=list,
        description="Regexes (case-insensitive) where a contrast starts a new clause; the "
        "matched text is dropped between the clauses (',\\\\s*(?=but\\\\b)').",
    )
    abbreviations: list[Abbreviation] = Field(
        default_factory=list,
        description="Words written with a full stop that need not end the sentence "
        "('лв.', 'e.g.'): the stop after one ends a sentence only when the next word "
        "starts with a capital letter.",
    )
    titles: list[Abbreviation] = Field(
        default_factory=list,
        description="Titles written with a full stop before a name ('Mr.', 'Sra.'): the "
        "stop after one never ends a sentence.",
    )
    spaces_between_words: bool = Field(
        True,
        description="Whether words are separated by spaces (false for Chinese): a run-on "
        "sentence is then cut at a space, and word counts mean something.",
    )

    def splitter(self, trusted: bool = False) -> Splitter:
        """The sentence and clause splitter this manifest describes."""
        return Splitter(
            self.sentence_ends,
            self.sentence_ends_unspaced,
            self.clause_separators,
            self.clause_joints,
            self.spaces_between_words,
            trusted=trusted,
            abbreviations=self.abbreviations,
            titles=self.titles,
        )


# A language with move patterns but no manifest (a trainer's folder before packs, through
# FRONTLINE_MOVE_PATTERNS) is split like most languages written with spaces.
DEFAULT_SPLITTER = Splitter([".", "!", "?", "…"], ["。", "！", "？"], [";"], trusted=True)


def trainer_folders() -> list[Path]:
    """The trainers' language folders named in ``FRONTLINE_LANGUAGES``, in order."""
    return [Path(f) for f in os.environ.get(ENV, "").split(os.pathsep) if f]


def _check_code(language: str) -> None:
    if not CODE.match(language):
        raise FrontlineError(f"not a language code: {language!r} (e.g. 'en', 'pt-BR')")


def pack_folders(language: str) -> list[tuple[Path, Path]]:
    """(pack folder, the configured folder it lies in) for ``language``: the shipped pack
    first, then each trainer's, in the order of ``FRONTLINE_LANGUAGES``."""
    _check_code(language)
    roots = [SHIPPED_DIR, *trainer_folders()]
    return [(root / language, root) for root in roots if (root / language).is_dir()]


def pack_file(language: str, name: str) -> list[Path]:
    """Every ``name`` file of ``language``: the shipped pack's first, then the trainers'.

    Only files inside the configured folders are returned; a link or path leading out of
    its folder is refused with :class:`FileProblems` (:mod:`simulator.confined`)."""
    if not name or Path(name).name != name:
        raise ValueError(f"a pack file is a plain file name, not {name!r}")
    found = []
    for folder, root in pack_folders(language):
        path = folder / name
        if path.is_file() or path.is_symlink():
            found.append(confined(path, root, "languages folder"))
    return found


def prompt_overlays(language: str | None) -> tuple[Path, ...]:
    """The ``prompts.yaml`` files of ``language`` (shipped first, then trainers'), which the
    owners of the prompt file's sections merge over it; none for no language or a
    free-form one that names no pack."""
    if not language or not CODE.match(language):
        return ()
    return tuple(pack_file(language, PROMPTS))


def shipped(path: Path) -> bool:
    """Whether ``path`` is one of the files Frontline ships (not a trainer's)."""
    return path.resolve().parent.parent == SHIPPED_DIR.resolve()


def check_folder_language(path: Path, written: str, what: str) -> None:
    """Refuse a pack file whose ``language`` is not its folder's: ``what`` names the file's
    kind ("pack", "profile", ...), and the problem points at the ``language:`` line."""
    if written == path.parent.name:
        return
    _data, lines = parse_yaml(read_text(path), str(path))
    raise FileProblems(
        [
            Problem(
                str(path),
                f"the {what} in folder {path.parent.name!r} says it is "
                f"{written!r}; name the folder after the language",
                lines.get(("language",)),
                "language",
            )
        ]
    )


def load_pack(path: Path) -> LanguagePack:
    """Load and validate one ``pack.yaml``; its ``language`` must name its folder."""
    pack = load_model(LanguagePack, path)
    check_folder_language(path, pack.language, "pack")
    return pack


def language_pack(language: str) -> LanguagePack | None:
    """The manifest of ``language`` (a trainer's replaces the shipped one), or None."""
    paths = pack_file(language, MANIFEST)
    return load_pack(paths[-1]) if paths else None


@lru_cache(maxsize=32)
def _splitter(language: str, folders: str) -> Splitter:
    if not CODE.match(language):  # an older pattern file's free-form "language"
        return DEFAULT_SPLITTER
    paths = pack_file(language, MANIFEST)
    if not paths:
        return DEFAULT_SPLITTER
    return load_pack(paths[-1]).splitter(trusted=shipped(paths[-1]))


def splitter_for(language: str) -> Splitter:
    """The sentence and clause splitter of ``language``, built once per configuration;
    a language without a manifest (or a code that names none) gets :data:`DEFAULT_SPLITTER`."""
    return _splitter(language, os.environ.get(ENV, ""))


def available_languages() -> list[LanguagePack]:
    """Every language with a manifest, shipped or a trainer's, sorted by code."""
    codes: set[str] = set()
    for root in [SHIPPED_DIR, *trainer_folders()]:
        if root.is_dir():
            found = (p.parent.name for p in root.glob(f"*/{MANIFEST}"))
            codes |= {code for code in found if CODE.match(code)}
    packs = [language_pack(code) for code in sorted(codes)]
    return [p for p in packs if p is not None]
