"""The shape of the package: no import cycles between its parts, no private names borrowed
across them, and the language-model backends depend on none of the concepts that use them.

A "part" is a top-level subpackage of ``simulator`` (``simulator.grading`` with everything
under it) or a top-level module (``simulator.transcript``). Every import counts, including
the ones inside functions: a lazy import is still a dependency. docs/architecture.md draws
the layers these tests hold the code to.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import simulator

ROOT = Path(simulator.__file__).parent
PACKAGE = "simulator"
# What the backends may use: errors and the YAML reader, nothing that uses a model.
LLM_MAY_NOT_IMPORT = {
    "grading",
    "render",
    "persona",
    "customer",
    "moves",
    "calibration",
    "certification",
    "sessions",
    "web",
    "cli",
    "wiring",
}


@dataclass(frozen=True)
class Import:
    source: str  # module doing the import, e.g. simulator.grading.judge.policy
    target: str  # module imported, e.g. simulator.moves.detector
    names: tuple[str, ...]
    line: int

    @property
    def where(self) -> str:
        return f"{self.source.replace('.', '/')}.py:{self.line}"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolve(source: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = source.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports() -> list[Import]:
    """Every import of a ``simulator`` module by a ``simulator`` module, lazy ones too."""
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        source = module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found += [
                    Import(source, a.name, (), node.lineno)
                    for a in node.names
                    if a.name.split(".")[0] == PACKAGE
                ]
            elif isinstance(node, ast.ImportFrom):
                target = _resolve(source, path.name == "__init__.py", node)
                if target.split(".")[0] == PACKAGE:
                    found.append(
                        Import(source, target, tuple(a.name for a in node.names), node.lineno)
                    )
    return found


def part(module: str) -> str:
    """The part a module belongs to: ``simulator.grading.judge.x`` -> ``grading``."""
    bits = module.split(".")
    return bits[1] if len(bits) > 1 else ""


def part_graph() -> dict[str, dict[str, list[Import]]]:
    graph: dict[str, dict[str, list[Import]]] = {}
    for imp in imports():
        a, b = part(imp.source), part(imp.target)
        if a and b and a != b:
            graph.setdefault(a, {}).setdefault(b, []).append(imp)
        elif a and b == "" and imp.names:  # `from simulator import config`
            for name in imp.names:
                if name != a:
                    graph.setdefault(a, {}).setdefault(name, []).append(imp)
    return graph


def find_cycle(graph: dict[str, dict[str, list[Import]]]) -> list[str] | None:
    """One cycle of parts (first part repeated at the end), or None."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, {})):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def _explain(graph, cycle: list[str]) -> str:
    return "\n".join(
        f"  {a} -> {b}: " + ", ".join(i.where for i in graph[a][b][:3])
        for a, b in zip(cycle, cycle[1:], strict=False)
    )


# -- the checker itself ------------------------------------------------------------------
def test_the_cycle_finder_finds_a_cycle_and_only_a_cycle():
    imp = Import("simulator.a.x", "simulator.b.y", (), 1)
    assert find_cycle({"a": {"b": [imp]}, "b": {"c": [imp]}}) is None
    assert find_cycle({"a": {"b": [imp]}, "b": {"c": [imp]}, "c": {"a": [imp]}}) == [
        "a",
        "b",
        "c",
        "a",
    ]


def test_relative_imports_resolve_to_the_module_meant():
    node = ast.parse("from ..moves.detector import x").body[0]
    assert (
        _resolve("simulator.grading.judge.policy", False, node)
        == "simulator.grading.moves.detector"
    )
    assert _resolve("simulator.grading.grader", False, node) == "simulator.moves.detector"
    assert (
        _resolve("simulator.grading", True, ast.parse("from .grader import x").body[0])
        == "simulator.grading.grader"
    )


def test_the_walk_sees_lazy_imports():
    lazy = [
        i for i in imports() if i.source == "simulator.cli.serve" and i.target == "simulator.web"
    ]
    assert lazy, "the import inside cli/serve.py's function was not seen"


# -- the package --------------------------------------------------------------------------
def test_no_import_cycle_between_the_parts_of_simulator():
    graph = part_graph()
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle " + " -> ".join(cycle) + ":\n" + _explain(graph, cycle)


def test_the_llm_backends_import_none_of_the_concepts_that_use_them():
    bad = [
        f"{i.where}: imports {i.target}"
        for i in imports()
        if part(i.source) == "llm" and part(i.target) in LLM_MAY_NOT_IMPORT
    ]
    assert not bad, "\n".join(bad)


def test_llm_holds_backends_only():
    """The judge, the LLM move detector and the customer prompts live with their concepts."""
    modules = sorted(p.stem for p in (ROOT / "llm").glob("*.py"))
    assert modules == [
        "__init__",
        "backend",
        "config",
        "mock",
        "openai_backend",
        "prompt_file",
        "retry",
    ], modules


def test_no_private_name_is_imported_from_another_part():
    bad = []
    for imp in imports():
        if part(imp.source) == part(imp.target):
            continue
        private_module = any(
            b.startswith("_") and not b.startswith("__") for b in imp.target.split(".")
        )
        private_names = [n for n in imp.names if n.startswith("_") and not n.startswith("__")]
        if private_module or private_names:
            bad.append(f"{imp.where}: {imp.target} {', '.join(private_names)}".rstrip())
    assert not bad, "private names used across parts:\n" + "\n".join(bad)


def test_only_the_wiring_builds_backends_renderers_and_detectors():
    """Turning configuration into a backend, a renderer or a combined detector is done in
    one place (simulator/wiring.py); everything else asks it."""
    builders = {"OpenAIBackend", "LLMRenderer", "CombinedReader", "LLMDetector", "EncoderDetector"}
    allowed = {
        "simulator.wiring",
        "simulator.llm",
        "simulator.llm.openai_backend",
        "simulator.render",
        "simulator.render.llm",
        "simulator.moves",
        "simulator.moves.llm_detector",
        "simulator.moves.combine",
    }
    bad = [
        f"{i.where}: imports {', '.join(builders & set(i.names))}"
        for i in imports()
        if builders & set(i.names) and i.source not in allowed
    ]
    assert not bad, "\n".join(bad)
