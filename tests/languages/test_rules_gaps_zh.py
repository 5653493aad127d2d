"""Issue 12 phrasings in Chinese, read as a careful rater would.

Issue 12: the overlay writers listed Chinese trainee phrasings that
simulator/languages/zh/moves.yaml did not read, or misread (brief s4/rules-gaps.md).
Each turn below is one of them, with what a careful rater reads in it (``want``) and what
they would not (``not_want``). The file is loaded directly, like test_rules_zh.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.moves.detector import RuleDetector, load_pattern_file

ROOT = Path(__file__).resolve().parents[2]
DETECTOR = RuleDetector([load_pattern_file(ROOT / "simulator" / "languages" / "zh" / "moves.yaml")])

CASES = [
    # Violations.
    ("这是工程部门的问题，不是我们客服的错。", {"blame_others"}, set()),
    ("都是上一个同事没处理好，跟我没关系。", {"blame_others"}, set()),
    ("这是工程部门的责任。", {"blame_others"}, set()),
    ("取消通知官网上都有，您自己没看公告。", {"argue"}, set()),
    ("合同细则里都写着，您签字的时候应该看清楚。", {"argue"}, set()),
    ("这是运营原因，所有乘客都一样受影响。", {"excuse"}, {"empathise"}),
    ("这个我们没办法。", {"flat_refusal"}, set()),
    ("这个您得联系厂家。", {"vague_handoff"}, set()),
    # Good moves.
    ("这是我们服务没做好。", {"own"}, set()),
    ("非常抱歉，这是我们的问题。", {"apologise", "own"}, set()),
    ("换了谁都会很难受。", {"empathise"}, set()),
]


@pytest.mark.parametrize(("text", "want", "not_want"), CASES)
def test_issue_12_phrasing_is_read_as_a_rater_would(text, want, not_want):
    found = {d.move.value for d in DETECTOR.detect(text)}
    assert want <= found, f"{sorted(want - found)} not found in {text!r} (found {sorted(found)})"
    assert not (not_want & found), f"{sorted(not_want & found)} wrongly found in {text!r}"
