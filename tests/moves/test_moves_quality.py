"""The quality report: figures computed by hand on tiny corpora, and the CLI end to end."""

from __future__ import annotations

import json

import pytest

from simulator.moves.corpus import NEWEST_BATCH_FROM, RULES_WRITTEN_AGAINST, CorpusTurn, split_of
from simulator.moves.quality import Counts, NoReader, evaluate_language, rule_reading


def ids_in(split: str, lang: str = "es", n: int = 4) -> list[str]:
    """The first ``n`` ids of ``lang`` that fall in ``split``."""
    found = [f"{lang}-{i:04d}" for i in range(1, 500) if split_of(f"{lang}-{i:04d}") == split]
    return found[:n]


def turn(turn_id: str, text: str, labels: list[tuple[str, str]], note: str = "") -> CorpusTurn:
    return CorpusTurn(
        id=turn_id,
        text=text,
        style="formal",
        note=note,
        labels=[{"move": m, "quote": q} for m, q in labels],
    )


def fake_reader(answers: dict[str, list[tuple[str, int, int]]]):
    return lambda text, language: answers[text]


def test_counts_precision_recall_f1_by_hand():
    c = Counts(tp=3, fp=1, fn=2)
    assert c.precision == 0.75 and c.recall == 0.6
    assert c.f1 == pytest.approx(2 * 0.75 * 0.6 / 1.35)
    assert Counts(fp=2).precision == 0.0 and Counts(fp=2).recall is None
    assert Counts(fp=2).f1 == 0.0 and Counts().f1 is None


def test_turn_level_scores_near_misses_and_evidence_by_hand():
    a, b, c, d = ids_in("test")
    [dev] = ids_in("dev", n=1)
    turns = [
        # thank right (evidence overlaps), ask missed
        turn(
            a,
            "Thanks for telling us. What is the order?",
            [("thank", "Thanks for telling us"), ("ask", "What is the order?")],
        ),
        # apologise right but evidence elsewhere; calm_down wrongly found (violation FP)
        turn(b, "Sorry. It happens; sorry again.", [("apologise", "Sorry")]),
        # near miss of thank, and the reader falls for it
        turn(
            c,
            "Well, thanks a lot for shouting.",
            [("argue", "thanks a lot for shouting")],
            note="near miss of thank: sarcastic",
        ),
        # inform is labelled and the reader misses it: it counts like any move
        turn(d, "Go to Settings and clear the cache.", [("inform", "Go to Settings")]),
        # another split: ignored
        turn(dev, "Thanks!", [("thank", "Thanks!")]),
    ]
    reader = fake_reader(
        {
            turns[0].text: [("thank", 0, 6)],
            turns[1].text: [("apologise", 21, 26), ("calm_down", 7, 17)],
            turns[2].text: [("thank", 6, 12), ("argue", 6, 30)],
            turns[3].text: [],
        }
    )
    q = evaluate_language(turns, "es", "test", reader)
    assert q.turns == 4 and q.has_reader
    assert q.per_move["thank"].as_dict() == {
        "tp": 1,
        "fp": 1,
        "fn": 0,
        "precision": 0.5,
        "recall": 1.0,
        "f1": 2 / 3,
    }
    assert (q.per_move["ask"].tp, q.per_move["ask"].fn) == (0, 1)
    assert q.per_move["inform"].fn == 1
    # micro over the vocabulary: tp thank+apologise+argue = 3, fp thank+calm_down = 2,
    # fn ask+inform = 2
    assert (q.micro.tp, q.micro.fp, q.micro.fn) == (3, 2, 2)
    assert q.micro.f1 == pytest.approx(6 / 10)
    # violations: argue right, calm_down wrong
    assert q.violations.precision == 0.5
    # evidence: thank (0-6 vs "Thanks for telling us") overlaps; apologise at 21-26 does
    # not overlap "Sorry" at 0-5; argue 6-30 overlaps its quote -> 2 of 3
    assert q.evidence_overlap == pytest.approx(2 / 3)
    assert q.near_misses["thank"].as_dict() == {"turns": 1, "wrongly_found": 1, "examples": [c]}
    # macro: thank 2/3, ask 0, apologise 1, argue 1, calm_down 0, inform 0 -> mean 8/18
    assert q.macro_f1 == pytest.approx((2 / 3 + 0 + 1 + 1 + 0 + 0) / 6)


def test_a_language_without_a_reader_is_said_plainly_and_scores_zero():
    [a] = ids_in("test", n=1)
    turns = [turn(a, "Lo siento mucho.", [("apologise", "Lo siento mucho")])]

    def no_reader(text, language):
        raise NoReader("no rule patterns for language 'es'")

    q = evaluate_language(turns, "es", "test", no_reader)
    assert not q.has_reader and "no rule patterns" in q.reader_note
    assert q.micro.recall == 0.0 and q.micro.precision is None and q.micro.f1 == 0.0


def test_the_rule_reader_says_when_a_language_has_no_patterns():
    with pytest.raises(NoReader):
        rule_reading("Lo siento.", "xx")
    assert "apologise" in {m for m, _, _ in rule_reading("I'm so sorry about that.", "en")}


def test_cli_reports_each_language_and_json(cli, tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    [a] = ids_in("test", "en", 1)
    [b] = ids_in("test", "es", 1)
    rows = {
        "en": {
            "id": a,
            "text": "I'm so sorry about that. Please calm down.",
            "labels": [
                {"move": "apologise", "quote": "I'm so sorry about that"},
                {"move": "calm_down", "quote": "Please calm down"},
            ],
            "style": "formal",
            "note": "",
        },
        "es": {
            "id": b,
            "text": "Lo siento mucho.",
            "labels": [{"move": "apologise", "quote": "Lo siento mucho"}],
            "style": "formal",
            "note": "",
        },
    }
    for lang, row in rows.items():
        (folder / f"{lang}.jsonl").write_text(json.dumps(row) + "\n", encoding="utf-8")
    r = cli("moves-quality", "--corpus", str(folder), "--json")
    assert r.returncode == 0, r.stderr
    en, es = [json.loads(line) for line in r.stdout.splitlines()]
    assert en["language"] == "en" and en["micro"]["tp"] == 2 and en["micro"]["f1"] == 1.0
    assert en["violations"]["precision"] == 1.0
    # Spanish has its own rules (simulator/languages/es/moves.yaml): the apology is found.
    assert es["has_reader"] is True and es["micro"]["tp"] == 1 and es["micro"]["fn"] == 0
    assert es["not_in_vocabulary"] == []
    text = cli("moves-quality", "--corpus", str(folder), "--language", "es").stdout
    assert "== es · test split · 1 turns" in text and "finds nothing" not in text


def test_a_language_without_a_reader_is_reported_as_such(capsys):
    from simulator.cli.moves_quality import _print_language
    from simulator.moves.quality import LanguageQuality

    quality = LanguageQuality("es", "test", turns=1, has_reader=False, reader_note="no rules")
    _print_language(quality)
    assert "the reader finds nothing in this language: no rules" in capsys.readouterr().out


def test_cli_help_and_bad_corpus(cli, tmp_path):
    assert "--split" in cli("moves-quality", "--help").stdout
    (tmp_path / "es.jsonl").write_text("{oops\n", encoding="utf-8")
    r = cli("moves-quality", "--corpus", str(tmp_path))
    assert r.returncode == 1 and "es.jsonl:1: not valid JSON" in r.stderr
    assert "Traceback" not in r.stderr


def _first_test_id(start: int) -> str:
    """The first English id from ``start`` on that falls in the test split."""
    return next(f"en-{i:04d}" for i in range(start, 9999) if split_of(f"en-{i:04d}") == "test")


def _apology_then_thanks(tmp_path, older: str, newer: str) -> tuple[str, ...]:
    """A corpus of two test turns: ``older`` (an apology labelled with nothing, so the
    rules' apologise is a wrong find) and ``newer`` (a labelled thanks); the CLI's
    arguments to score it with the rules."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    rows = [
        {"id": older, "text": "I'm so sorry about that.", "labels": [], "style": "formal"},
        {
            "id": newer,
            "text": "Thank you for telling us.",
            "labels": [{"move": "thank", "quote": "Thank you for telling us"}],
            "style": "formal",
        },
    ]
    (folder / "en.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return ("moves-quality", "--corpus", str(folder), "--reader", "rules", "--json")


def test_cli_fresh_scores_only_the_turns_written_after_the_rules(cli, tmp_path):
    [old] = ids_in("test", "en", 1)
    args = _apology_then_thanks(tmp_path, old, _first_test_id(RULES_WRITTEN_AGAINST["en"] + 1))
    everything = json.loads(cli(*args).stdout)
    only_fresh = json.loads(cli(*args, "--fresh").stdout)
    assert everything["turns"] == 2 and everything["micro"]["fp"] == 1  # the old turn's apology
    assert only_fresh["turns"] == 1 and only_fresh["micro"] == {
        **only_fresh["micro"],
        "tp": 1,
        "fp": 0,
        "fn": 0,
    }


def test_cli_newest_scores_only_the_newest_batch(cli, tmp_path):
    fresh_but_older = _first_test_id(RULES_WRITTEN_AGAINST["en"] + 1)
    assert int(fresh_but_older[3:]) < NEWEST_BATCH_FROM["en"]
    args = _apology_then_thanks(tmp_path, fresh_but_older, _first_test_id(NEWEST_BATCH_FROM["en"]))
    assert json.loads(cli(*args, "--fresh").stdout)["turns"] == 2
    only_newest = json.loads(cli(*args, "--newest").stdout)
    assert only_newest["turns"] == 1 and only_newest["micro"]["tp"] == 1
    assert only_newest["micro"]["fp"] == 0  # the older turn's apology is not counted
