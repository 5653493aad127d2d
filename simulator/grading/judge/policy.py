"""Rules first, then the LLM judge: one scorecard with both, under a fixed policy.

:func:`grade_with_judge` rule-grades the transcript, asks the judge (:mod:`.run`) the
``judge:`` question of every criterion that has one, and applies the
verified answers with :func:`apply_judge`. Every place that lets the judge into a grade
(``frontline grade --judge``, certification runs, the Batch API path) goes through
:func:`apply_judge`, so there is one policy (docs/rubrics.md, "LLM judge"):

* the judge's answer is recorded per criterion next to the rules' verdict
  (``scorecard.judge.criteria``); only *verified* answers can change anything (a "yes"
  always carries a quote found in the cited agent turn; a "no" changes a verdict only
  when it quotes the words that fall short);
* ``decided_by: either`` (the default): a verified "yes" turns a rule "missed" into
  "met", with the judge's quote as evidence (``by: judge``). A "no" or "na" is recorded
  and changes nothing;
* a "yes" changes a verdict only when its quote shows the behaviour (:mod:`.relevance`):
  a whole clause or at least three whole words, that the rule move detector recognises
  as one of the criterion's moves. A "yes" on any other quote (a letter, the amount the
  customer was charged) sends the criterion to human review and the rules' verdict
  stands (docs/rubrics.md, "Evidence the judge must give");
* ``decided_by: judge``: the verified answer decides: yes -> met, no -> missed, na ->
  not applicable. A "no" without a quote leaves the rules' verdict and asks for review;
* ``decided_by: rules``: the answer is only recorded (a question being tried out);
* the judge never makes a criterion applicable: where the rules say "not applicable"
  (stage not reached, ``applies_if`` not met) that stands;
* an abstention (unparseable output, evidence not in the transcript, split samples, a
  failed backend) leaves the rules' verdict and flags the criterion and the scorecard
  ``needs_review``: never a silent pass or fail;
* phrasing violations and their penalties are the rules' alone: the judge is never
  asked about them and nothing here touches them;
* words that address the grader, not the customer (:mod:`.injection`)
  are never evidence: such an answer abstains (the judge core rejects it; this module
  checks again). Any agent turn with such words makes the scorecard ``needs_review``,
  with the quotes in ``judge.review``; the rules' grade stands.
"""

from __future__ import annotations

import re

from ...errors import FrontlineError
from ...languages.catalogue import Texts
from ...moves.combine import default_reader
from ...moves.detector import Detector
from ...transcript import Transcript
from ..grader import grade
from ..rubric import Criterion, Rubric
from ..scorecard import Scorecard
from .evidence import addresses_grader
from .injection import REASON, agent_injections, default_matcher
from .prompts import judge_prompts, prompt_hash, questions_hash
from .relevance import evidence_problem
from .run import run_judge
from .verdicts import JudgeQuestion, JudgeReport, JudgeRun, JudgeVerdict


def judge_questions(rubric: Rubric) -> list[JudgeQuestion]:
    """The judge's questions: one per criterion with a ``judge:`` question, in rubric order."""
    return [
        JudgeQuestion(id=c.id, question=c.judge, domain=f"DOMAIN {c.domain}")
        for _, c in rubric.criteria()
        if c.judge
    ]


def grade_with_judge(
    transcript: Transcript,
    rubric: Rubric,
    backend,
    *,
    samples: int = 1,
    detector: Detector | None = None,
    partial: bool | None = None,
    seed: int = 0,
    persona=None,
) -> Scorecard:
    """Rule-grade ``transcript`` (``persona``: its customer, for the complaint record), then
    let the judge (``backend``, a ChatBackend) answer
    the rubric's ``judge:`` questions, ``samples`` times each (majority vote), under the
    policy in the module docstring. A failed backend gives abstentions, not an error."""
    card = grade(transcript, rubric, detector=detector, partial=partial, persona=persona)
    # Asked in the conversation's language where the rubric has the question in it.
    questions = judge_questions(rubric.in_language(card.language))
    try:
        # The wording of the conversation's language (a transcript without one is the
        # rubric's); a broken pack prompt file is a FileProblems, caught below.
        prompts = judge_prompts(transcript.language or rubric.language)
        report = run_judge(backend, transcript, questions, samples, seed=seed, prompts=prompts)
    except FrontlineError as exc:  # run_judge abstains on BackendError itself; a backstop
        run = JudgeRun(
            model=backend.model,
            backend=backend.name,
            prompt_sha256=prompt_hash(),
            questions_sha256=questions_hash(questions),
            samples=samples,
            temperature=0.0,
            seed=seed,
            structured_output="none",
        )
        report = JudgeReport(
            run=run,
            verdicts=[
                JudgeVerdict(
                    id=q.id,
                    verdict="abstain",
                    flagged_for_review=True,
                    reasoning=f"Abstained: the judge failed ({exc}).",
                )
                for q in questions
            ],
        )
    return apply_judge(card, transcript, rubric, report, detector=detector)


def apply_judge(
    card: Scorecard,
    transcript: Transcript,
    rubric: Rubric,
    report,
    *,
    detector: Detector | None = None,
) -> Scorecard:
    """The scorecard with the judge's verdicts (a ``JudgeReport``) applied and recorded;
    scores, pass and level recomputed. ``card`` itself is not changed. ``detector`` (the
    rubric language's rule detector by default) confirms a "yes" quote shows the move."""
    detector = detector or default_reader(rubric.language)
    rubric = rubric.in_language(card.language)  # tips and level labels in the card's language
    t = Texts(card.language)
    data = card.model_dump(mode="json")
    verdicts = {v.id: _no_grader_evidence(v, transcript) for v in report.verdicts}
    criteria = {c.id: c for _, c in rubric.criteria()}
    judgements, review = [], []
    for result in data["criteria"]:
        result["rule_verdict"] = result["verdict"]
        criterion, answer = criteria.get(result["id"]), verdicts.get(result["id"])
        if criterion is None or answer is None:
            continue
        judgement = _judgement(result, criterion, answer, transcript, detector, t)
        judgements.append(judgement)
        if judgement["effect"] == "review":
            result["needs_review"] = True
            why = judgement["evidence_problem"] or _why_review(result["verdict"], answer)
            review.append(f"{criterion.id}: {why}")
    # Words aimed at the grader are an attempt to steer it: the grade stands, a human looks.
    review += [
        f"agent turn {_agent_turn(transcript, i)} addresses the grader, not the "
        f'customer: "{" ".join(hit.quote.split())}"'
        for i, hit in _first_per_sentence(
            agent_injections(transcript, default_matcher(transcript.language or rubric.language))
        )
    ]
    _rescore(data, rubric)
    run = report.run
    data["needs_review"] = bool(review)
    data["judge"] = {
        "model": run.model,
        "backend": run.backend,
        "prompt_sha256": run.prompt_sha256,
        "questions_sha256": run.questions_sha256,
        "rubric_hash": rubric.content_hash(),
        "samples": run.samples,
        "temperature": run.temperature,
        "seed": run.seed,
        "structured_output": run.structured_output,
        "criteria": judgements,
        "needs_review": bool(review),
        "review": review,
    }
    return Scorecard.model_validate(data)


def _no_grader_evidence(answer, transcript: Transcript):
    """``answer``, or an abstention if its verified evidence addresses the grader. The judge
    core already rejects such quotes; this holds for verdicts from anywhere (Batch API)."""
    turn = answer.turn
    if not (
        answer.verified
        and answer.quote
        and turn is not None
        and 0 <= turn < len(transcript.turns)
        and addresses_grader(answer.quote, transcript.turns[turn].text, transcript.language or "en")
    ):
        return answer
    return answer.model_copy(
        update={
            "verdict": "abstain",
            "verified": False,
            "flagged_for_review": True,
            "reasoning": f"Abstained: {REASON}.",
        }
    )


def _first_per_sentence(hits: list) -> list:
    """One (turn, injection) per sentence: several rules often match the same words."""
    seen: set[tuple[int, int]] = set()
    out = []
    for turn, hit in hits:
        if (turn, hit.quote_start) not in seen:
            seen.add((turn, hit.quote_start))
            out.append((turn, hit))
    return out


def _agent_turn(transcript: Transcript, turn: int) -> int:
    """Which agent turn ``turns[turn]`` is (1 = the agent's first)."""
    return sum(1 for t in transcript.turns[: turn + 1] if t.role == "agent")


# -- one criterion ------------------------------------------------------------------------
def _judgement(
    result: dict,
    criterion: Criterion,
    answer,
    transcript: Transcript,
    detector: Detector,
    t: Texts,
) -> dict:
    """Decide the criterion (changing ``result`` in place) and return the judge's record;
    a note it writes is in ``t``'s language."""
    rule, said, decider = result["verdict"], answer.verdict, criterion.decider
    final, effect = _decide(rule, said, decider, answer.verified)
    problem = None
    if effect == "changed" and said == "yes":  # presence is not relevance: check the quote
        problem = evidence_problem(
            answer.quote, transcript.turns[answer.turn].text, criterion, detector
        )
        if problem:
            final, effect = rule, "review"
            problem = f'the judge\'s "yes" is not enough to change {rule}: {problem}'
    evidence = _evidence(answer, transcript) if answer.verified else None
    if final != rule:
        result["verdict"] = final
        result["evidence"] = [evidence] if evidence else []
        if final == "met":
            result["note"], result["tip"] = "", None
        else:
            result["note"] = t("scorecard.note_judge", reasoning=answer.reasoning).strip()
            result["tip"] = criterion.tip if final == "missed" else None
    return {
        "criterion": criterion.id,
        "question": criterion.judge,
        "decided_by": decider,
        "rule_verdict": rule,
        "verdict": said,
        "result": final,
        "effect": effect,
        "reasoning": answer.reasoning,
        "turn": evidence["turn"] if evidence else answer.turn,
        "agent_turn": evidence["agent_turn"] if evidence else None,
        "quote": evidence["quote"] if evidence else answer.quote,
        "verified": answer.verified,
        "votes": answer.votes,
        "flagged": answer.flagged_for_review,
        "evidence_problem": problem,
    }


_AGREES = {("met", "yes"), ("missed", "no"), ("not_applicable", "na")}
_DECIDES = {"yes": "met", "no": "missed", "na": "not_applicable"}


def _decide(rule: str, said: str, decider: str, verified: bool) -> tuple[str, str]:
    """(the criterion's verdict, the effect) for the rules' verdict and the judge's answer."""
    if said == "abstain":
        return rule, "review"
    if (rule, said) in _AGREES:
        return rule, "agrees"
    if rule == "not_applicable" or decider == "rules":
        return rule, "recorded"
    if said == "yes":  # always verified: the judge core turns an unquoted yes into abstain
        return "met", "changed"
    if decider != "judge":
        return rule, "recorded"
    if said == "no" and not verified:  # taking a "met" away needs the words that fall short
        return rule, "review"
    return _DECIDES[said], "changed"


def _why_review(rule: str, answer) -> str:
    if answer.verdict == "abstain":
        return answer.reasoning or "the judge gave no usable answer"
    return (
        f"the judge says no without quoting the words, against the rules' {rule}; "
        f"{answer.reasoning}"
    ).strip("; ")


def _evidence(answer, transcript: Transcript) -> dict | None:
    """The judge's quote as scorecard evidence: the exact words of the turn it cites.

    The judge core matched the quote with whitespace normalised; the scorecard promises
    ``turns[turn].text[start:start + len(quote)] == quote``, so find the real span."""
    if answer.turn is None or not answer.quote:
        return None
    text = transcript.turns[answer.turn].text
    words = answer.quote.split()
    found = re.search(r"\s+".join(map(re.escape, words)), text) if words else None
    if found is None:
        return None
    agent_turn = _agent_turn(transcript, answer.turn)
    return {
        "turn": answer.turn,
        "agent_turn": agent_turn,
        "move": "judge",
        "quote": found.group(0),
        "start": found.start(),
        "by": "judge",
    }


# -- the numbers ------------------------------------------------------------------------
def _score(met: int, applicable: int) -> float | None:
    return None if applicable == 0 else round(100 * met / applicable, 1)


def _rescore(data: dict, rubric: Rubric) -> None:
    """Stage scores, criteria score, overall, pass and level, as the rule grader makes them."""
    met_total = applicable_total = 0
    for stage in data["stages"]:
        met = applicable = 0
        for c in data["criteria"]:
            if c["stage"] == stage["id"] and c["verdict"] != "not_applicable":
                applicable += c["weight"]
                met += c["weight"] if c["verdict"] == "met" else 0
        stage.update(score=_score(met, applicable), met=met, applicable=applicable)
        met_total += met
        applicable_total += applicable
    criteria_score = _score(met_total, applicable_total) or 0.0
    overall = round(max(0.0, criteria_score - data["penalty_total"]), 1)
    level = rubric.level_for(overall)
    data.update(
        criteria_score=criteria_score,
        overall=overall,
        passed=overall >= rubric.pass_mark,
        level=level.id,
        level_label=level.label,
    )
