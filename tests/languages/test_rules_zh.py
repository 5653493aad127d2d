"""The Chinese move patterns (simulator/languages/zh/moves.yaml): the data file checks itself,
then natural turns written for this test, then the corpus' held-out test split.

The phrasing rules come from the Chinese source (shared/seeds/002, docs/domain.md §3.1): the
sincere "問他是否還有其他不滿的地方" is RECOMMENDED there, so it must read as a satisfaction
check and never as the negatively loaded "还有其他问题吗" (source 003, docs/domain.md §4).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator import saferegex
from simulator.moves.corpus import load_corpus
from simulator.moves.detector import (
    Detection,
    RuleDetector,
    default_detector,
    load_pattern_file,
    pattern_files,
)
from simulator.moves.quality import evaluate_language
from simulator.moves.vocabulary import Move

ZH_FILE = Path(__file__).resolve().parents[2] / "simulator" / "languages" / "zh" / "moves.yaml"
ZH = load_pattern_file(ZH_FILE)
DETECTOR = RuleDetector([ZH])
M = Move


def moves_in(text: str) -> set[Move]:
    return {d.move for d in DETECTOR.detect(text)}


def assert_evidence_verbatim(text: str, found: list[Detection]) -> None:
    for d in found:
        assert d.text == text[d.start : d.end] and d.text
        assert d.quote == text[d.quote_start : d.quote_start + len(d.quote)] and d.quote
        assert d.quote_start <= d.start < d.end <= d.quote_start + len(d.quote)


# ------------------------------------------------------------------ the data file itself

EXAMPLES = [(move, text) for move, p in ZH.moves.items() for text in p.examples]
COUNTEREXAMPLES = [(move, text) for move, p in ZH.moves.items() for text in p.counterexamples]


@pytest.mark.parametrize(("move", "text"), EXAMPLES, ids=[f"{m}:{t[:20]}" for m, t in EXAMPLES])
def test_every_example_shows_its_move(move: Move, text: str) -> None:
    assert move in moves_in(text)


@pytest.mark.parametrize(
    ("move", "text"), COUNTEREXAMPLES, ids=[f"{m}:{t[:20]}" for m, t in COUNTEREXAMPLES]
)
def test_no_counterexample_shows_its_move(move: Move, text: str) -> None:
    found = [d.text for d in DETECTOR.detect(text) if d.move is move]
    assert not found, f"{move} wrongly found in {text!r} via {found}"


@pytest.mark.parametrize("move", list(Move))
def test_every_move_has_patterns_examples_and_near_misses(move: Move) -> None:
    patterns = ZH.moves[move]
    assert patterns.patterns
    assert len(patterns.examples) >= 3
    assert len(patterns.counterexamples) >= 2


def test_the_file_is_chinese_and_cites_the_domain_for_every_move() -> None:
    text = ZH_FILE.read_text(encoding="utf-8")
    assert text.startswith(
        "# yaml-language-server: $schema=../../schemas/move-patterns.schema.json"
    )
    assert ZH.language == "zh"
    lines = text.splitlines()
    for move in Move:
        at = lines.index(f"  {move.value}:")
        comment = "\n".join(lines[max(0, at - 6) : at])
        assert "DOMAIN §" in comment, f"{move} has no DOMAIN citation above it"


def test_the_product_reads_chinese_with_this_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """The language-pack loader finds the shipped zh pack; a Chinese session's detector is
    built from this file and splits at 。！？ as the zh manifest says."""
    monkeypatch.delenv("FRONTLINE_LANGUAGES", raising=False)
    monkeypatch.delenv("FRONTLINE_MOVE_PATTERNS", raising=False)
    assert [p.resolve() for p in pattern_files("zh")] == [ZH_FILE]
    turn = "很抱歉您遇到了这个问题。还有其他问题吗？"
    found = {(d.move, d.quote) for d in default_detector("zh").detect(turn)}
    assert found == {
        (M.PASSIVE_APOLOGY, "很抱歉您遇到了这个问题。"),
        (M.NEGATIVE_CLOSING, "还有其他问题吗？"),
    }


def all_regexes() -> list[str]:
    out = list(ZH.negations)
    for p in ZH.moves.values():
        out += p.patterns + p.unless + p.unless_turn
    return out


# Characters whose simplified and traditional forms differ one to one: a regex that spells
# one form must spell the other, so a turn typed in either script reads the same.
# One string of simplified-traditional pairs (two characters each).
_PAIRS = (
    "谢謝对對么麼转轉问問题題还還这這个個说說会會让讓帮幫处處为為们們应應该該没沒错錯关關时時"
    "实實觉覺满滿开開发發务務门門电電话話认認联聯经經过過动動气氣难難确確单單号號补補换換赔賠"
    "费費钱錢给給线線网網诉訴见見进進约約办辦边邊种種择擇选選员員张張两兩样樣归歸吗嗎"
)
SCRIPT_PAIRS = [(_PAIRS[i], _PAIRS[i + 1]) for i in range(0, len(_PAIRS), 2)]


@pytest.mark.parametrize("regex", all_regexes())
def test_regexes_are_safe_and_written_for_chinese(regex: str) -> None:
    assert saferegex.problem(regex) is None
    compiled = re.compile(regex, re.IGNORECASE)
    assert compiled.search("") is None or regex.startswith("^(?!")
    assert compiled.search("zzz qqq") is None
    # \b never works between two Chinese characters (both are \w): it would silently miss.
    assert "\\b" not in regex
    # Every scan is bounded: no .* / .+ / [^…]* / [^…]+ and no open {n,}.
    blanked = re.sub(r"\[(?!\^)(?:\\.|[^\]])*\]", "c", regex)
    assert not re.search(r"(?<!\\)\.[*+]|\[\^[^\]]*\][*+]|\{\d+,\}", blanked)
    for simplified, traditional in SCRIPT_PAIRS:
        assert (simplified in regex) == (traditional in regex), (
            f"spells only one of {simplified}/{traditional}: {regex}"
        )


# ------------------------------------------------------------------ natural turns

# Written for this test (not taken from the corpus or the sources): what a trainee types.
TURNS: list[tuple[str, set[Move]]] = [
    (
        "您好，谢谢您打电话来反映燃气费的问题。多收的部分我今天就给您退回去，三个工作日内到账。",
        {M.THANK, M.REMEDY, M.TIMESCALE},
    ),
    ("真的很抱歉让您跑了两趟。请问您方便把收据拍照发给我吗？", {M.APOLOGISE, M.ASK}),
    (
        "我完全理解您的心情，婚礼前一天礼服还没到，换谁都会着急。我现在就联系仓库，今晚八点前给您回电话。",
        {M.EMPATHISE, M.OWN, M.TIMESCALE},
    ),
    ("您先冷静一下，这个不归我们管，您去找快递公司吧。", {M.CALM_DOWN, M.EXCUSE, M.BARE_TRANSFER}),
    ("很抱歉您遇到了这个问题。还有其他问题吗？", {M.PASSIVE_APOLOGY, M.NEGATIVE_CLOSING}),
    # Source 002's recommended question, simplified and traditional: a sincere check.
    ("对于这样的处理结果，您还有什么不满意的地方吗？", {M.CHECK_SATISFACTION}),
    ("對於這樣的處理結果，您還有其他不滿意的地方嗎？", {M.CHECK_SATISFACTION}),
    ("还有什么我可以帮您的吗？", {M.OFFER_HELP}),
    # "Your call is important to us" is a hold with no reason (source 003).
    ("请稍候，您的来电对我们非常重要。", {M.BARE_TRANSFER}),
    ("我帮您转接到理赔组的同事，因为赔付金额需要他们来核定。", {M.EXPLAIN_TRANSFER}),
    ("我们不能退款。", {M.FLAT_REFUSAL}),
    ("这个退不了，不过我可以帮您免费换一台新的，您看可以吗？", {M.REMEDY, M.CHECK_SATISFACTION}),
    ("我保证以后绝对不会再出现这种情况。", {M.OVER_PROMISE}),
    ("您可以选择全额退款，或者换一台同款新机，两种都可以。", {M.OPTIONS}),
    ("系统显示您已经签收了，是不是家里人收了？", {M.ARGUE}),
    ("都是仓库那帮人乱搞，跟我没关系。", {M.BLAME_OTHERS}),
    ("我叫陈明，工号2087，这个案子由我负责到底。", {M.CONTACT, M.OWN}),
    ("會有專人跟您聯絡，請耐心等候。", {M.VAGUE_HANDOFF}),
    ("你家的路由器在「設定—網路」裡就能改密碼，改完重新開機就可以了。", {M.INFORM}),
    (
        "我真心想帮您解决，但请您不要再骂我的同事，我们一起把事情处理好。",
        {M.SET_BOUNDARY},
    ),
    ("也就是说，您取消了会员之后这个月还是被扣了费，对吧？", {M.RESTATE}),
    # Sarcasm is no thanks.
    ("谢谢喔，给我们打一星，真是太感谢了。", set()),
    ("我们最近真的太忙了，你再等等吧。", {M.EXCUSE}),
    ("包裹延误是因为台风，物流停了两天。", {M.EXPLAIN}),
]


@pytest.mark.parametrize(("turn", "expected"), TURNS, ids=[t[:16] for t, _ in TURNS])
def test_natural_turns_show_exactly_the_expected_moves(turn: str, expected: set[Move]) -> None:
    found = DETECTOR.detect(turn)
    assert_evidence_verbatim(turn, found)
    assert {d.move for d in found} == expected


# Everyday phrasings written for this test: each shows at least its move (other moves may
# come with it).
PHRASINGS: list[tuple[Move, str]] = [
    (M.OVER_PROMISE, "我向您保证，这种情况以后再也不会发生了。"),
    (M.OVER_PROMISE, "放心，绝对没问题，明天肯定给您修好。"),
    (M.OWN, "我会尽快帮您处理好。"),
    (M.OWN, "我亲自去跟仓库核对一下。"),
    (M.EMPATHISE, "遇到这种事谁都会不开心。"),
    (M.EMPATHISE, "我能感受到您的失望。"),
    (M.EXCUSE, "我们只是客服，决定不了。"),
    (M.EXCUSE, "我刚来的，不太清楚。"),
    (M.ARGUE, "您说的不对，我们没有收过这笔钱。"),
    (M.ARGUE, "是您没有按说明书操作。"),
    (M.BLAME_OTHERS, "是仓库那边发错的，不关我的事。"),
    (M.BLAME_OTHERS, "技术部那边一直拖着不处理。"),
    (M.VAGUE_HANDOFF, "这个我们会尽量处理的。"),
    (M.FLAT_REFUSAL, "这个没得商量。"),
    (M.FLAT_REFUSAL, "不退不换。"),
    (M.INFORM, "退款已经原路退回了，一般银行那边当天到账。"),
    (M.SET_BOUNDARY, "请您文明用语，我才能继续帮您。"),
    (M.SET_BOUNDARY, "请不要人身攻击，我们好好沟通。"),
]


@pytest.mark.parametrize(("move", "turn"), PHRASINGS, ids=[t[:12] for _, t in PHRASINGS])
def test_everyday_phrasings_show_their_move(move: Move, turn: str) -> None:
    assert move in moves_in(turn)


@pytest.mark.parametrize(
    "turn", ["不好意思，请问您贵姓？", "不是您弄错了，是我们系统的问题。", "谢谢您的理解。"]
)
def test_courtesies_and_reassurance_are_not_moves_they_resemble(turn: str) -> None:
    found = moves_in(turn)
    assert not found & {M.APOLOGISE, M.ARGUE, M.THANK}, found


def test_the_recommended_check_is_never_a_negative_closing() -> None:
    """docs/domain.md §3.1 (source 002): '問他是否還有其他不滿的地方' is advice to follow."""
    for turn in (
        "您还有其他不满意的地方吗？",
        "還有沒有什麼不滿意的地方？您儘管說。",
        "你還有哪裡不開心的，都可以跟我說喔",
    ):
        found = moves_in(turn)
        assert M.NEGATIVE_CLOSING not in found and M.CHECK_SATISFACTION in found, turn


@pytest.mark.parametrize(
    ("sentence", "negated"),
    [
        ("我们不能退款", True),
        ("这个退不了", True),
        ("恕不退换", True),
        ("我今天就给您退款", False),
        ("您不用寄回来", False),
    ],
)
def test_negations(sentence: str, negated: bool) -> None:
    assert DETECTOR.is_negated(sentence) is negated


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.sampled_from([t for _, t in EXAMPLES] + ["，", "。", "？", " ", "\n", "亲", "喔"]),
        max_size=8,
    ).map("".join)
)
def test_any_mix_of_examples_gives_verbatim_evidence(text: str) -> None:
    assert_evidence_verbatim(text, DETECTOR.detect(text))


# ------------------------------------------------------------------ the held-out test split

# Micro F1 and violation precision of these patterns on the Chinese test split, measured
# 2026-12-07 after tuning on train and dev only (docs/moves.md, "Measured quality"). CI fails
# if either drops more than 0.02. Violation precision is below the 0.95 the issue asks for:
# the floor guards what there is, it does not claim the goal.
# Re-measured 2026-12-07 on the corpus grown by fresh turns (0.637 and 0.854 before; then
# 0.625 and 0.900), with the two December batches (0.599 and 0.891) and with the third
# batch of 2026-12-08 (corpus/README.md).
ZH_TEST_MICRO_F1 = 0.598
ZH_TEST_VIOLATION_PRECISION = 0.877
TOLERANCE = 0.02


def zh_reader(text: str, language: str) -> list[tuple[str, int, int]]:
    return [(d.move.value, d.start, d.end) for d in DETECTOR.detect(text)]


def test_chinese_micro_f1_on_the_test_split_holds_its_floor() -> None:
    quality = evaluate_language(load_corpus(languages=["zh"]), "zh", "test", zh_reader)
    assert quality.turns >= 150
    f1 = quality.micro.f1
    assert f1 is not None and f1 >= ZH_TEST_MICRO_F1 - TOLERANCE, (
        f"Chinese micro F1 on the test split fell to {f1:.3f} "
        f"(floor {ZH_TEST_MICRO_F1 - TOLERANCE:.3f}); see `frontline moves-quality --language zh`"
    )
    precision = quality.violations.precision
    assert precision is not None and precision >= ZH_TEST_VIOLATION_PRECISION - TOLERANCE
