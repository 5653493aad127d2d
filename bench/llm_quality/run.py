"""The three measurements against a served model: the customer (every persona, in every
language it is written in, with calibration's scripted trainee policies), the judge over
the gold transcripts, and the LLM move detector over the corpus' test split.

Each returns plain data (dicts and lists) for :mod:`.report`; nothing here prints the
model's words except through the result. Every loop is bounded: turns per conversation,
items per section, and a wall-clock budget per section (a section that runs out says so).
"""

from __future__ import annotations

import logging
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from simulator.calibration.policies import POLICIES, Conversation
from simulator.customer.machine import CustomerMachine
from simulator.customer.state import Outcome, ReactionPlan
from simulator.grading import RubricLibrary, grade, parse_transcripts
from simulator.grading.judge.policy import grade_with_judge
from simulator.moves.combine import CombinedReader
from simulator.moves.corpus import load_corpus
from simulator.moves.detector import default_detector
from simulator.moves.llm_detector import LLMDetector
from simulator.moves.quality import NoReader, evaluate_language, rule_reading
from simulator.persona.loader import PersonaLibrary
from simulator.persona.model import Persona
from simulator.persona.overlay import PersonaFile
from simulator.reactions import Reaction
from simulator.render.base import RenderRequest, Turn
from simulator.render.llm import LLMRenderer
from simulator.render.prompts import customer_prompts

from .audit import audit_turn, prompt_shingles
from .metered import Meter, MeteredBackend

ROOT = Path(__file__).resolve().parents[2]
GOLD = ROOT / "tests" / "gold"


@dataclass
class Limits:
    personas: int | None = None  # first N personas (by id)
    persona_ids: tuple[str, ...] = ()  # these personas instead (in this order)
    languages: tuple[str, ...] = ()  # only these languages of each persona; all if empty
    policies: tuple[str, ...] = ("exemplary", "defensive", "over_promiser")
    max_turns: int = 10  # agent turns per conversation
    gold: int | None = None  # first N gold transcripts
    corpus_turns: int = 40  # test-split turns per language for the detector
    corpus_languages: tuple[str, ...] | None = None  # None: every language in the corpus
    budget: float = 1800.0  # seconds per section


def persona_languages(persona: Persona) -> list[str]:
    """The languages a persona can be played in: its own, then every overlay that
    resolves (a broken overlay is ``frontline validate``'s business, not a run's)."""
    return persona.offered_languages() if isinstance(persona, PersonaFile) else [persona.language]


def _in_language(persona: Persona, language: str) -> Persona:
    if language == persona.language or not isinstance(persona, PersonaFile):
        return persona
    return persona.in_language(language)


def _guard(renderer: LLMRenderer) -> dict:
    report = renderer.last_report
    guard = getattr(report, "guard", None)
    shown = getattr(report, "shown", None)
    if shown is None:
        shown = "bank" if report.fallback else ("regenerated" if report.attempts > 1 else "llm")
    return {
        "attempts": report.attempts,
        "failed": list(report.breaks),
        "checks": list(getattr(report, "checks", []) or []),
        "truncated": report.truncated,
        "fallback": report.fallback,
        "completed_from_bank": bool(getattr(report, "completed_from_bank", False)),
        "shown": shown,
        "guard_record": callable(guard),
    }


def customer_section(backend, limits: Limits, log: logging.Logger) -> dict:
    """Every persona x language x policy conversation, each customer turn audited."""
    meter = Meter()
    metered = MeteredBackend(backend, meter)
    renderer = LLMRenderer(
        metered,
        regenerations=2,
        temperature=0.8,
        max_tokens=getattr(getattr(backend, "config", None), "max_tokens", 200),
    )
    library = PersonaLibrary(ROOT / "personas")
    ids = list(limits.persona_ids) or sorted(library.personas)[: limits.personas]
    prompt_texts = list(customer_prompts().model_dump().values())
    turns: list[dict] = []
    conversations = []
    started = time.monotonic()
    out_of_time = False
    for pid in ids:
        for language in persona_languages(library.personas[pid]):
            if limits.languages and language not in limits.languages:
                continue
            persona = _in_language(library.personas[pid], language)
            case = persona.case
            exclude = [
                *case.facts,
                *(h.text for h in case.hidden_facts),
                case.expectation,
                case.bottom_line,
                case.if_crossed,
                case.title,
                *case.rejects,
            ]
            runs = prompt_shingles(prompt_texts, exclude)
            names = [persona.identity.name, persona.identity.name.split()[0]]
            facts = {h.id: h.text for h in case.hidden_facts}
            for policy_id in limits.policies:
                if time.monotonic() - started > limits.budget:
                    out_of_time = True
                    break
                log.info("customer: %s (%s) x %s", pid, language, policy_id)
                machine = CustomerMachine(persona)
                policy = POLICIES[policy_id](persona, 0)
                state = machine.start()
                convo = Conversation(persona)
                plan = ReactionPlan(reaction=Reaction.OPENING)
                agent_turns = 0
                while True:
                    request = RenderRequest(persona, state, plan, list(convo.history), seed=0)
                    mark = len(meter.calls)
                    t0 = time.perf_counter()
                    first = None
                    pieces = []
                    error = None
                    try:
                        for piece in renderer.render(request):
                            if piece and first is None:
                                first = time.perf_counter() - t0
                            pieces.append(piece)
                    except Exception as exc:  # a backend failure is a finding, not a crash
                        error = f"{type(exc).__name__}: {exc}"
                    total = time.perf_counter() - t0
                    shown = "".join(pieces)
                    calls = meter.since(mark)
                    earlier = [t.text for t in convo.history if t.role == "customer"]
                    last_agent = next(
                        (t.text for t in reversed(convo.history) if t.role == "agent"), ""
                    )
                    audit = audit_turn(
                        shown,
                        language=language,
                        last_agent=last_agent,
                        earlier_customer=earlier,
                        own_names=names,
                        prompt_runs=runs,
                        fact=facts.get(plan.fact) if plan.fact else None,
                        opening=plan.reaction is Reaction.OPENING,
                    )
                    turns.append(
                        {
                            "persona": pid,
                            "language": language,
                            "policy": policy_id,
                            "turn": agent_turns,
                            "reaction": plan.reaction.value,
                            "fact": plan.fact,
                            "agent": last_agent,
                            "shown": shown,
                            "error": error,
                            "first_visible": first,
                            "seconds": total,
                            "calls": len(calls),
                            "completion_tokens": sum(c.completion_tokens for c in calls),
                            "prompt_tokens": sum(c.prompt_tokens for c in calls),
                            "generation_seconds": sum(
                                c.seconds - (c.first_text or 0.0) for c in calls
                            ),
                            "guard": _guard(renderer),
                            "audit": audit.flags,
                            "reveal_planned": audit.reveal_planned,
                            "reveal_given": audit.reveal_given,
                        }
                    )
                    convo.history.append(Turn("customer", shown))
                    if state.outcome is not Outcome.ONGOING or agent_turns >= limits.max_turns:
                        break
                    text = policy.next_turn(convo)
                    step = machine.step(state, text)
                    convo.history.append(Turn("agent", text))
                    convo.steps.append(step)
                    state, plan = step.state, step.plan
                    agent_turns += 1
                conversations.append(
                    {
                        "persona": pid,
                        "language": language,
                        "policy": policy_id,
                        "outcome": state.outcome.value,
                        "agent_turns": agent_turns,
                    }
                )
    return {
        "turns": turns,
        "conversations": conversations,
        "out_of_time": out_of_time,
        "seconds": time.monotonic() - started,
    }


def _expected_verdicts(name: str, expectations: dict, criteria: list[str]) -> dict[str, str]:
    e = expectations.get(name) or {}
    out = {c: "met" for c in criteria}
    out.update({c: "missed" for c in e.get("missed", [])})
    out.update({c: "not_applicable" for c in e.get("not_applicable", [])})
    return out


def judge_section(backend, limits: Limits, log: logging.Logger) -> dict:
    """The judge on every gold transcript: agreement with the rules, flips, abstentions."""
    meter = Meter()
    metered = MeteredBackend(backend, meter)
    rubric = RubricLibrary(ROOT / "rubrics").get()
    expectations = yaml.safe_load((GOLD / "expectations.yaml").read_text("utf-8"))["transcripts"]
    loaded, problems = parse_transcripts(GOLD)
    loaded = sorted(loaded, key=lambda x: x.source)[: limits.gold]
    items = []
    started = time.monotonic()
    out_of_time = False
    for item in loaded:
        if time.monotonic() - started > limits.budget:
            out_of_time = True
            break
        name = Path(item.source).name.split(":")[0]
        log.info("judge: %s", name)
        mark = len(meter.calls)
        t0 = time.perf_counter()
        rules = grade(item.transcript, rubric)
        card = grade_with_judge(item.transcript, rubric, metered)
        seconds = time.perf_counter() - t0
        expected = _expected_verdicts(name, expectations, [c.id for c in rules.criteria])
        calls = meter.since(mark)
        judgements = []
        for j in card.judge.criteria if card.judge else []:
            j = j if isinstance(j, dict) else j.model_dump()
            judgements.append(
                {
                    "criterion": j["criterion"],
                    "rule": j["rule_verdict"],
                    "said": j["verdict"],
                    "result": j["result"],
                    "effect": j["effect"],
                    "expected": expected.get(j["criterion"]),
                    "quote": j.get("quote"),
                    "problem": j.get("evidence_problem"),
                }
            )
        items.append(
            {
                "transcript": name,
                "seconds": seconds,
                "calls": len(calls),
                "prompt_tokens": sum(c.prompt_tokens for c in calls),
                "completion_tokens": sum(c.completion_tokens for c in calls),
                "rule_level": rules.level,
                "judged_level": card.level,
                "judgements": judgements,
            }
        )
    return {
        "items": items,
        "problems": [str(p) for p in problems],
        "out_of_time": out_of_time,
        "seconds": time.monotonic() - started,
    }


def detector_section(backend, limits: Limits, log: logging.Logger) -> dict:
    """The rules alone and rules + LLM on the corpus' test split, per language."""
    meter = Meter()
    metered = MeteredBackend(backend, meter)
    corpus = load_corpus()
    languages = limits.corpus_languages or tuple(sorted({t.language for t in corpus}))
    started = time.monotonic()
    out = []
    for language in languages:
        turns = [t for t in corpus if t.language == language and t.split == "test"]
        turns = turns[: limits.corpus_turns]
        if time.monotonic() - started > limits.budget:
            out.append({"language": language, "skipped": "out of time"})
            continue
        log.info("detector: %s, %d turns", language, len(turns))
        try:
            rules = default_detector(language)
        except Exception as exc:  # no rule patterns yet for this language
            rules = None
            note = str(exc).splitlines()[0]
        # the model reads the language's own clauses, as the product's wiring does
        llm = LLMDetector(metered, splitter=rules.splitter if rules else None, language=language)
        combined = CombinedReader(rules, None, llm) if rules is not None else None

        def both(text: str, lang: str, combined=combined) -> list:
            if combined is None:
                raise NoReader(f"no rule patterns for {lang}")
            return [(d.move.value, d.start, d.end) for d in combined.detect(text)]

        def llm_only(text: str, lang: str, llm=llm) -> list:
            return [(d.move.value, d.start, d.end) for d in llm.detect(text)]

        mark = len(meter.calls)
        t0 = time.perf_counter()
        q_rules = evaluate_language(turns, language, "test", rule_reading)
        q_both = evaluate_language(turns, language, "test", both)
        q_llm = evaluate_language(turns, language, "test", llm_only)
        calls = meter.since(mark)
        row = {"language": language, "turns": len(turns), "seconds": time.perf_counter() - t0}
        for key, q in (("rules", q_rules), ("rules+llm", q_both), ("llm", q_llm)):
            micro = q.micro
            row[key] = {
                "f1": micro.f1,
                "precision": micro.precision,
                "recall": micro.recall,
                "has_reader": q.has_reader,
            }
        if rules is None:
            row["note"] = note
        row["calls"] = len(calls)
        row["call_seconds"] = [c.seconds for c in calls]
        out.append(row)
    return {"languages": out, "seconds": time.monotonic() - started}


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None
