"""Read YAML that people write, and validate it into a pydantic model with precise errors.

PyYAML's node tree keeps the line of every key, so a pydantic error location such as
``case.remedies.1.level`` can be reported as ``personas/x.yaml:42: case.remedies.1.level``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from .errors import FileProblems, Problem
from .validation_messages import human_message

M = TypeVar("M", bound=BaseModel)
Lines = dict[tuple[Any, ...], int]

# Big enough for any hand-written file, small enough that a stray upload cannot eat memory.
MAX_FILE_BYTES = 2_000_000


# What one hand-written file may hold. A "billion laughs" file of 400 bytes nests aliases
# to stand for 4 GB of data; these bounds refuse it, and anything absurdly deep or large,
# before any data is built. The largest shipped file (a persona with five language
# overlays) has about 2,150 values and 7 levels; PyYAML reads about 30,000 values a second,
# so the value limit also bounds time.
MAX_DEPTH = 64
MAX_ALIASES = 100
MAX_NODES = 20_000


class _Refused(Exception):
    def __init__(self, message: str, mark: Any):
        super().__init__(message)
        self.message, self.line = message, (mark.line + 1 if mark is not None else None)


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing too many aliases and too deep nesting as it goes."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0
        self._nodes = 0

    def fetch_flow_collection_start(self, token_class: Any) -> None:
        # The scanner reads a whole flow collection ahead; stop "[[[[..." before that.
        super().fetch_flow_collection_start(token_class)
        if self.flow_level > MAX_DEPTH:
            raise _Refused(f"nested more than {MAX_DEPTH} levels deep", self.get_mark())

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise _Refused(
                    f"more than {MAX_ALIASES} aliases (*name); write the values out instead",
                    self.peek_event().start_mark,
                )
            return super().compose_node(parent, index)
        self._depth += 1
        self._nodes += 1
        try:
            if self._nodes > MAX_NODES:
                raise _Refused(
                    f"the file holds more than {MAX_NODES:,} values; split it",
                    self.peek_event().start_mark,
                )
            if self._depth > MAX_DEPTH:
                raise _Refused(
                    f"nested more than {MAX_DEPTH} levels deep", self.peek_event().start_mark
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_expansion(root: yaml.Node) -> None:
    """Refuse an alias that contains itself, and aliases that expand the document beyond
    :data:`MAX_NODES` nodes or :data:`MAX_DEPTH` levels. Each node is visited once (no
    recursion, no expansion), so the check itself costs as much as the text."""
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            kids = _children(node)
            size[key] = 1 + sum(size[id(k)] for k in kids)
            depth[key] = 1 + max((depth[id(k)] for k in kids), default=0)
            on_path.discard(key)
            if size[key] > MAX_NODES:
                raise _Refused(
                    f"aliases expand this to more than {MAX_NODES:,} values; "
                    "write the values out instead",
                    node.start_mark,
                )
            if depth[key] > MAX_DEPTH:
                raise _Refused(
                    f"aliases nest this more than {MAX_DEPTH} levels deep", node.start_mark
                )
            continue
        if key in size:
            continue
        on_path.add(key)
        stack.append((node, True))
        for kid in _children(node):
            if id(kid) in on_path:
                raise _Refused(
                    "an alias refers to the value that contains it (a recursive alias)",
                    kid.start_mark,
                )
            if id(kid) not in size:
                stack.append((kid, False))


def _index_lines(node: yaml.Node, path: tuple[Any, ...], lines: Lines) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node)
            lines[path + (key,)] = key_node.start_mark.line + 1
            _index_lines(value_node, path + (key,), lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[path + (i,)] = item.start_mark.line + 1
            _index_lines(item, path + (i,), lines)


def parse_yaml(text: str, name: str) -> tuple[Any, Lines]:
    """Parse one YAML document; return the data and a map from field path to line number.

    Every YAML the product reads comes through here, so the bounds on aliases, nesting and
    size (:data:`MAX_ALIASES`, :data:`MAX_DEPTH`, :data:`MAX_NODES`) protect every loader.
    """
    loader = None
    try:
        loader = _BoundedLoader(text)  # its reader already refuses control characters
        node = loader.get_single_node()
        if node is not None:
            _check_expansion(node)
        data = loader.construct_document(node) if node is not None else None
    except _Refused as exc:
        raise FileProblems([Problem(name, f"invalid YAML: {exc.message}", exc.line)]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise FileProblems([Problem(name, f"invalid YAML: {problem}", line)]) from None
    except (ValueError, TypeError, RecursionError, OverflowError) as exc:  # e.g. bad scalars
        raise FileProblems([Problem(name, f"invalid YAML: {exc}")]) from None
    finally:
        if loader is not None:
            loader.dispose()
    lines: Lines = {}
    if node is not None:
        _index_lines(node, (), lines)
    return data, lines


def read_bytes(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """Read a file of at most ``limit`` bytes; size and OS trouble become :class:`FileProblems`."""
    name = str(path)
    try:
        size = path.stat().st_size
        if size > limit:
            raise FileProblems([Problem(name, f"file is {size} bytes; the limit is {limit}")])
        return path.read_bytes()
    except OSError as exc:
        raise FileProblems([Problem(name, f"cannot read: {exc.strerror or exc}")]) from None


def read_text(path: Path) -> str:
    """Read a UTF-8 text file, turning size and encoding trouble into a :class:`FileProblems`."""
    data = read_bytes(path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileProblems([Problem(str(path), f"not UTF-8 text (byte {exc.start})")]) from None


def field_path(loc: tuple[Any, ...]) -> str:
    """Render a pydantic error location as ``case.remedies[1].level``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def line_for(loc: tuple[Any, ...], lines: Lines) -> int | None:
    """The line of a field path; a field not written in the file gets its parent's line."""
    for n in range(len(loc), -1, -1):
        if loc[:n] in lines:
            return lines[loc[:n]]
    return None


def validation_problems(exc: ValidationError, name: str, lines: Lines) -> list[Problem]:
    """Turn a pydantic ValidationError into one :class:`Problem` per error, with lines."""
    problems = []
    for err in exc.errors(include_url=False):
        # pydantic puts union/validator tags into loc; keep only the parts that are data keys.
        loc = tuple(
            p for p in err["loc"] if isinstance(p, int) or not str(p).startswith("function-")
        )
        msg = human_message(err)
        problems.append(Problem(name, msg, line_for(loc, lines), field_path(loc)))
    return problems


def _check_version(model: type[BaseModel], data: dict, name: str, lines: Lines) -> None:
    # An unknown version deserves one clear sentence, not a cascade of field errors.
    supported = model.model_json_schema()["properties"]["schema_version"]
    allowed = supported.get("enum") or [supported.get("const", supported.get("default"))]
    if "schema_version" not in data:
        raise FileProblems(
            [
                Problem(
                    name,
                    "required field is missing (the first key of every "
                    f"file; this Frontline reads {allowed[0]})",
                    1,
                    "schema_version",
                )
            ]
        )
    if type(data["schema_version"]) is not int or data["schema_version"] not in allowed:
        # type(): YAML's true and 1.0 equal 1 in Python, but are not a version number.
        raise FileProblems(
            [
                Problem(
                    name,
                    f"unsupported version {data['schema_version']!r}; "
                    f"this Frontline reads {', '.join(map(str, allowed))}",
                    lines.get(("schema_version",), 1),
                    "schema_version",
                )
            ]
        )


def validate_data(model: type[M], data: Any, name: str, lines: Lines | None = None) -> M:
    """Validate already-parsed data into ``model`` or raise :class:`FileProblems`."""
    lines = lines or {}
    if not isinstance(data, dict):
        kind = "empty" if data is None else type(data).__name__
        raise FileProblems([Problem(name, f"expected a mapping of fields, got {kind}", 1)])
    version_field = model.model_fields.get("schema_version")
    if version_field is not None:
        _check_version(model, data, name, lines)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise FileProblems(validation_problems(exc, name, lines)) from None


def parse_model(model: type[M], text: str, name: str) -> M:
    """Parse and validate YAML held in memory into ``model``; ``name`` labels problems."""
    data, lines = parse_yaml(text, name)
    return validate_data(model, data, name, lines)


def load_model(model: type[M], path: Path) -> M:
    """Read, parse and validate one YAML file into ``model``."""
    return parse_model(model, read_text(path), str(path))


def dump_yaml(data: Any) -> str:
    """Write data as block-style YAML that keeps the key order people expect."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
