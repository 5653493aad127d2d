"""A persona in a language: the base merged with that language's overlay, validated whole.

Merging: an overlay field replaces the base's; ``identity``, ``case``, ``style`` and
``case.company_rules`` merge field by field; hidden facts and remedies merge by ``id``
(their structure, such as a remedy's level, stays the base's); ``triggers`` and
``phrases`` replace the base's whole.

Every problem names a place in the file: an error in the merged persona is reported at
the overlay field it came from (``languages.ru.phrases``, line and all), and the
completeness check reports what the language still lacks: a text that would otherwise be
said in the base language, or a regex that would never match a turn in this language.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from ..errors import Problem
from ..yamlfile import Lines, field_path, line_for, validation_problems
from .model import Persona

Loc = tuple[Any, ...]
ID_LISTS = {("case", "hidden_facts"), ("case", "remedies")}
SINGULAR = {"hidden_facts": "hidden fact", "remedies": "remedy"}
MERGED_MAPPINGS = {
    ("identity",),
    ("case",),
    ("style",),
    ("case", "company_rules"),
    ("case", "follow_up"),
}


def _merge(
    base: dict, over: dict, path: Loc, opath: Loc, origin: dict[Loc, Loc]
) -> list[tuple[Loc, str]]:
    """Merge ``over`` into ``base`` in place, recording in ``origin`` where each merged
    value came from; return the ids the overlay names that the base lacks, as problems."""
    unknown: list[tuple[Loc, str]] = []
    for key, value in over.items():
        here, there = path + (key,), opath + (key,)
        if here in ID_LISTS:
            by_id = {item["id"]: i for i, item in enumerate(base.get(key) or [])}
            for j, item in enumerate(value):
                if item["id"] not in by_id:
                    known = ", ".join(by_id) or "none"
                    why = f"no {SINGULAR[key]} {item['id']!r} in the base persona (known: {known})"
                    unknown.append((there + (j, "id"), why))
                    continue
                i = by_id[item["id"]]
                origin[here + (i,)] = there + (j,)
                unknown += _merge(base[key][i], item, here + (i,), there + (j,), origin)
        elif (
            here in MERGED_MAPPINGS and isinstance(base.get(key), dict) and isinstance(value, dict)
        ):
            unknown += _merge(base[key], value, here, there, origin)
        else:
            base[key] = value
            origin[here] = there
    return unknown


def _missing(base: Persona, over: dict) -> list[tuple[Loc, str]]:
    """What the overlay must still give so that nothing is said in the base language and
    every regex can match this language: (overlay path to report at, message)."""
    out: list[tuple[Loc, str]] = []

    def need(section: dict, loc: Loc, fields: list[str]) -> None:
        lacking = [f for f in fields if f not in section]
        if lacking:
            out.append((loc, f"missing in this language: {', '.join(lacking)}"))

    need(over, (), ["summary", "identity", "case", "style", "phrases"])
    if base.triggers and "triggers" not in over:
        why = (
            "missing in this language: triggers (the base's patterns would not match "
            "this language; write them, or 'triggers: []' for none)"
        )
        out.append(((), why))
    ident = over.get("identity")
    if isinstance(ident, dict):
        occupation = ["occupation"] if base.identity.occupation else []
        need(ident, ("identity",), ["background", *occupation])
    style = over.get("style")
    if isinstance(style, dict):
        need(style, ("style",), ["description"] + (["quirks"] if base.style.quirks else []))
    case = over.get("case")
    if not isinstance(case, dict):
        return out
    c = base.case
    need(
        case,
        ("case",),
        ["title", "facts", "expectation", "bottom_line", "if_crossed"]
        + (["rejects"] if c.rejects else [])
        + (["company_rules"] if c.company_rules else []),
    )
    if c.company_rules and isinstance(case.get("company_rules"), dict):
        need(case["company_rules"], ("case", "company_rules"), ["standard", "limit"])
    wanted_of = {
        f.id: ["text"] + ["asked_by"] * bool(f.asked_by) + ["example"] * bool(f.example)
        for f in c.hidden_facts
    } | {r.id: ["description", "triggers", "example"] for r in c.remedies}
    for key, items in (("hidden_facts", c.hidden_facts), ("remedies", c.remedies)):
        given = {item["id"]: j for j, item in enumerate(case.get(key) or [])}
        for item in items:
            wanted = wanted_of[item.id]
            if item.id not in given:
                why = f"{SINGULAR[key]} {item.id!r} is missing in this language (it needs "
                out.append((("case", key), why + ", ".join(wanted) + ")"))
                continue
            j = given[item.id]
            need(case[key][j], ("case", key, j), wanted)
    return out


def _map(loc: Loc, origin: dict[Loc, Loc], prefix: Loc) -> Loc:
    """Where in the file a location of the merged persona was written: in the overlay when
    the value came from it (the longest recorded prefix), else in the base."""
    for n in range(len(loc), 0, -1):
        if loc[:n] in origin:
            return prefix + origin[loc[:n]] + loc[n:]
    # A mapping merged from both (the overlay's follow-up lines over the base's days): a
    # problem with the whole of it is the overlay's to fix, so it is shown there.
    inside = [there for here, there in origin.items() if loc and here[: len(loc)] == loc]
    if inside:
        return prefix + inside[0][: len(loc)]
    return loc or prefix


def resolve(file: Any, language: str, name: str, lines: Lines) -> Persona | list[Problem]:
    """``file`` (a PersonaFile) played in ``language``: the merged, validated persona, or
    the problems that stop it, each at the overlay's file, line and field."""
    prefix: Loc = ("languages", language)
    overlay = file.languages[language]
    # A field written as null is a field not given (and reported if the language needs it).
    over = overlay.model_dump(mode="json", exclude_unset=True, exclude_none=True)
    problems = [
        Problem(name, msg, line_for(prefix + loc, lines), field_path(prefix + loc))
        for loc, msg in _missing(file, over)
    ]
    data = file.base_data()
    if not (over.get("case") or {}).get("follow_up"):
        # The base's follow-up lines are in the base language: a language that has not
        # written its own offers no follow-up call rather than one in another language
        # (`frontline validate` warns about it).
        data["case"]["follow_up"] = None
    origin: dict[Loc, Loc] = {}
    for loc, msg in _merge(data, over, (), (), origin):
        problems.append(Problem(name, msg, line_for(prefix + loc, lines), field_path(prefix + loc)))
    if problems:
        return problems
    data["language"] = language
    try:
        return Persona.model_validate(data)
    except ValidationError as exc:
        found = validation_problems(exc, name, {})
        errors = exc.errors(include_url=False)
        out = []
        for problem, err in zip(found, errors, strict=True):
            loc = tuple(
                p for p in err["loc"] if isinstance(p, int) or not str(p).startswith("function-")
            )
            where = _map(loc, origin, prefix)
            out.append(Problem(name, problem.message, line_for(where, lines), field_path(where)))
        return out
