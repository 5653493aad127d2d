"""Changing a few fields of a YAML file people wrote, keeping everything else as it was:
comments (the ``yaml-language-server`` line, each ``# §…`` citation), key order, quoting
and layout. PyYAML forgets comments, so the designer's form edits through ruamel.yaml's
round-trip mode.

Only this edit path round-trips; the loaders stay on PyYAML's safe loader. The text is
checked first with the same parser the loaders use (:func:`simulator.yamlfile.parse_yaml`,
sized and hardened there), and anchors and aliases are refused outright: a form never
needs them, and refusing them rules out alias bombs in the round-trip parser too.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    PlainScalarString,
    SingleQuotedScalarString,
)

from .errors import FileProblems, Problem
from .yamlfile import MAX_FILE_BYTES, parse_yaml

FieldPath = tuple[str, ...]


def _scalar(value: Any) -> Any:
    """A form's string as a scalar the loaders read back as that same string.

    ruamel keeps the quoting of the value a key had (so once a trainer typed "Not " the id
    stayed quoted for good), and it writes YAML 1.2, where ``yes``/``no``/``on`` are plain
    strings that the loaders' YAML 1.1 parser reads as booleans. So: plain when PyYAML
    resolves the plain form to a string (ruamel still quotes what plain cannot carry),
    quoted otherwise; double-quoted (escaped) when it holds a control character such as
    NEL, which YAML 1.1 reads as a line break.
    """
    if not isinstance(value, str):
        return value
    if not value.replace("\n", "").replace("\t", "").isprintable():
        return DoubleQuotedScalarString(value)
    tag = yaml.resolver.Resolver().resolve(yaml.ScalarNode, value, (True, False))
    if tag == "tag:yaml.org,2002:str":
        return PlainScalarString(value)
    return SingleQuotedScalarString(value)


def _round_trip() -> YAML:
    rt = YAML(typ="rt")
    rt.preserve_quotes = True
    rt.width = 4096  # never re-wrap long lines the author wrote on one line
    rt.indent(mapping=2, sequence=4, offset=2)
    return rt


def _refuse_aliases(text: str, name: str) -> None:
    """Anchors and aliases are refused: the form never writes them, and an alias bomb
    (a billion laughs) would be expanded by any parser that builds the data."""
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            anchor = getattr(event, "anchor", None)
            if isinstance(event, yaml.AliasEvent) or anchor:
                raise FileProblems(
                    [
                        Problem(
                            name,
                            "anchors and aliases (&name, *name) are not supported by the form; "
                            "edit this file in the YAML editor",
                            event.start_mark.line + 1,
                        )
                    ]
                )
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise FileProblems(
            [
                Problem(
                    name,
                    f"invalid YAML: {getattr(exc, 'problem', exc)}",
                    mark.line + 1 if mark else None,
                )
            ]
        ) from None


def set_fields(
    text: str,
    values: Mapping[FieldPath, Any] | Iterable[tuple[FieldPath, Any]],
    name: str = "<yaml>",
) -> str:
    """``text`` with each field path set to its value, comments and layout kept.

    Missing mappings on the way are created. Raises :class:`FileProblems` for text that
    does not parse, is too large, uses anchors or aliases, or is not a mapping.
    """
    if len(text.encode("utf-8")) > MAX_FILE_BYTES:
        raise FileProblems([Problem(name, f"text is larger than {MAX_FILE_BYTES} bytes")])
    _refuse_aliases(text, name)
    data, _ = parse_yaml(text, name)  # the loaders' own checks, before ruamel sees it
    if data is not None and not isinstance(data, dict):
        raise FileProblems([Problem(name, "expected a mapping of fields", 1)])
    rt = _round_trip()
    try:
        doc = rt.load(text) if data is not None else None
    except YAMLError as exc:  # stricter than PyYAML: e.g. a key written twice
        mark = exc.problem_mark if isinstance(exc, MarkedYAMLError) else None
        problem = exc.problem if isinstance(exc, MarkedYAMLError) else str(exc)
        raise FileProblems(
            [Problem(name, f"invalid YAML: {problem}", mark.line + 1 if mark else None)]
        ) from None
    if doc is None:
        doc = CommentedMap()
    pairs = values.items() if isinstance(values, Mapping) else values
    for path, value in pairs:
        node = doc
        for key in path[:-1]:
            if not isinstance(node.get(key), dict):
                node[key] = CommentedMap()
            node = node[key]
        node[path[-1]] = _scalar(value)
    out = io.StringIO()
    rt.dump(doc, out)
    return out.getvalue()
