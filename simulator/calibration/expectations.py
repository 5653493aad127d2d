"""DOMAIN expectations about how personas answer the reference policies, as data.

``expectations.yaml`` states each expectation in words, with its DOMAIN citation, and as
a check over the calibration matrix. Two kinds of check:

* ``each``: for every persona the selector picks, a cell's metric against a number or
  against another policy's cell for the same persona;
* ``compare``: an aggregate (mean, min, max) of a metric over one group of cells
  against the same over another group.

An expectation whose groups are empty in a matrix (no VIP among the personas run, say)
is "not applicable" there; the shipped-persona test requires every one to apply.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from statistics import mean
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..persona.model import Archetype, ComplaintType, Temperament
from ..yamlfile import load_model
from .matrix import METRICS, Matrix, PersonaInfo
from .policies import POLICIES

EXPECTATIONS_FILE = Path(__file__).parent / "expectations.yaml"

Op = Literal["<", "<=", ">", ">=", "=="]
OPS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": lambda a, b: abs(a - b) < 1e-9,
}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _check_metric(value: str) -> str:
    if value not in METRICS:
        raise ValueError(f"unknown metric {value!r}; known: {', '.join(METRICS)}")
    return value


def _check_policies(values: list[str]) -> list[str]:
    for v in values:
        if v != "*" and v not in POLICIES:
            raise ValueError(f"unknown policy {v!r}; known: {', '.join(POLICIES)}, or '*'")
    return values


class Selector(Strict):
    """Which personas a check is about; empty lists mean no restriction."""

    archetype: list[Archetype] = Field(default_factory=list)
    archetype_not: list[Archetype] = Field(default_factory=list)
    temperament: list[Temperament] = Field(default_factory=list)
    complaint_type: list[ComplaintType] = Field(
        default_factory=list, description="What the complaint is about (DOMAIN §2.3)."
    )

    def picks(self, p: PersonaInfo) -> bool:
        return (
            (not self.archetype or p.archetype in self.archetype)
            and p.archetype not in self.archetype_not
            and (not self.temperament or p.temperament in self.temperament)
            and (not self.complaint_type or p.complaint_type in self.complaint_type)
        )

    def describe(self) -> str:
        parts = [*(a.value for a in self.archetype), *(t.value for t in self.temperament)]
        parts += [f"{c.value} complaints" for c in self.complaint_type]
        parts += [f"not {a.value}" for a in self.archetype_not]
        return ", ".join(parts) or "every persona"


class Than(Strict):
    """The same persona's cell under another policy (and optionally another metric)."""

    policy: str
    metric: str | None = None

    @model_validator(mode="after")
    def _valid(self) -> Than:
        _check_policies([self.policy])
        if self.metric:
            _check_metric(self.metric)
        return self


class Each(Strict):
    policies: list[str] = Field(min_length=1, description="Policy ids, or '*' for all.")
    personas: Selector = Selector()
    metric: str
    op: Op
    value: float | None = None
    than: Than | None = None

    @model_validator(mode="after")
    def _valid(self) -> Each:
        _check_policies(self.policies)
        _check_metric(self.metric)
        if (self.value is None) == (self.than is None):
            raise ValueError("give exactly one of 'value' or 'than'")
        return self


class Side(Strict):
    policies: list[str] = Field(min_length=1)
    personas: Selector = Selector()
    metric: str
    aggregate: Literal["mean", "min", "max"] = "mean"

    @model_validator(mode="after")
    def _valid(self) -> Side:
        _check_policies(self.policies)
        _check_metric(self.metric)
        return self


class Compare(Strict):
    left: Side
    op: Op
    right: Side


class Expectation(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    says: str = Field(min_length=1, description="The expectation in a trainer's words.")
    domain: str = Field(pattern=r"^§\d", description="The docs/domain.md section it follows.")
    each: Each | None = None
    compare: Compare | None = None

    @model_validator(mode="after")
    def _one_check(self) -> Expectation:
        if (self.each is None) == (self.compare is None):
            raise ValueError("give exactly one of 'each' or 'compare'")
        return self


class ExpectationFile(Strict):
    schema_version: Literal[1]
    expectations: list[Expectation] = Field(min_length=1)


@lru_cache(maxsize=2)
def load_expectations(path: Path = EXPECTATIONS_FILE) -> list[Expectation]:
    """The shipped expectations (or a trainer's file)."""
    return load_model(ExpectationFile, path).expectations


@dataclass
class ExpectationResult:
    """How one expectation fared on a matrix: 'pass', 'fail' or 'n/a'."""

    expectation: Expectation
    status: Literal["pass", "fail", "n/a"]
    lines: list[str] = field(default_factory=list)

    @property
    def failures(self) -> list[str]:
        return [line for line in self.lines if line.startswith("FAIL")]

    def to_dict(self) -> dict:
        """The result as ``frontline calibrate --json`` prints it."""
        return {
            "id": self.expectation.id,
            "domain": self.expectation.domain,
            "says": self.expectation.says,
            "status": self.status,
            "lines": self.lines,
        }

    def about(self, persona_id: str) -> list[str]:
        """The lines naming one persona (for the designer to highlight)."""
        return [line for line in self.lines if re.search(rf"\b{re.escape(persona_id)}\b", line)]

    def status_for(self, persona_id: str) -> str:
        """'pass', 'fail' or 'n/a' as far as one persona is concerned."""
        mine = self.about(persona_id)
        if not mine:
            return "n/a"
        if self.expectation.compare is not None:
            return self.status
        return "fail" if any(line.startswith("FAIL") for line in mine) else "pass"

    def __str__(self) -> str:
        e = self.expectation
        head = f"[{self.status.upper()}] {e.id} (DOMAIN {e.domain}): {e.says}"
        return "\n".join([head, *("    " + line for line in self.lines)])


def _policies(matrix: Matrix, wanted: list[str]) -> list[str]:
    return list(matrix.policies) if "*" in wanted else [q for q in wanted if q in matrix.policies]


def _fmt(value: float | None) -> str:
    return "no data" if value is None else f"{value:g}"


def _each(e: Expectation, m: Matrix) -> ExpectationResult:
    c = e.each
    assert c is not None
    lines: list[str] = []
    for p in (p for p in m.personas if c.personas.picks(p)):
        for q in _policies(m, c.policies):
            if (q, p.id) not in m.cells:
                continue
            got = m.cell(q, p.id).metric(c.metric)
            if c.than:
                if (c.than.policy, p.id) not in m.cells:
                    continue
                other_metric = c.than.metric or c.metric
                want = m.cell(c.than.policy, p.id).metric(other_metric)
                target = f"{c.than.policy} {other_metric} {_fmt(want)}"
            else:
                want, target = c.value, _fmt(c.value)
            ok = got is not None and want is not None and OPS[c.op](got, want)
            lines.append(
                f"{'ok  ' if ok else 'FAIL'} {p.id} x {q}: {c.metric} {_fmt(got)} {c.op} {target}"
            )
    if not lines:
        return ExpectationResult(e, "n/a", [f"no persona here is {c.personas.describe()}"])
    return ExpectationResult(
        e, "fail" if any(x.startswith("FAIL") for x in lines) else "pass", lines
    )


def _side(s: Side, m: Matrix) -> tuple[float | None, str]:
    values = [
        (p.id, q, m.cell(q, p.id).metric(s.metric))
        for p in m.personas
        if s.personas.picks(p)
        for q in _policies(m, s.policies)
        if (q, p.id) in m.cells
    ]
    known = [v for _, _, v in values if v is not None]
    label = f"{s.aggregate} {s.metric} of {'/'.join(s.policies)} on {s.personas.describe()}"
    if not known:
        return None, label
    agg = {"mean": mean, "min": min, "max": max}[s.aggregate](known)
    shown = ", ".join(f"{pid} {_fmt(v)}" for pid, _, v in values)
    return round(agg, 2), f"{label} = {_fmt(round(agg, 2))} ({shown})"


def _compare(e: Expectation, m: Matrix) -> ExpectationResult:
    c = e.compare
    assert c is not None
    left, left_text = _side(c.left, m)
    right, right_text = _side(c.right, m)
    if left is None or right is None:
        missing = left_text if left is None else right_text
        return ExpectationResult(e, "n/a", [f"no data for: {missing}"])
    ok = OPS[c.op](left, right)
    return ExpectationResult(
        e,
        "pass" if ok else "fail",
        [f"{'ok  ' if ok else 'FAIL'} {left_text}", f"     {c.op} {right_text}"],
    )


def check_expectations(
    matrix: Matrix, expectations: list[Expectation] | None = None
) -> list[ExpectationResult]:
    """Evaluate every expectation against ``matrix``."""
    found = expectations if expectations is not None else load_expectations()
    return [_each(e, matrix) if e.each else _compare(e, matrix) for e in found]
