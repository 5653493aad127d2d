"""The rubric grader: transcript + rubric -> scorecard, deterministic and explainable.

Public API::

    from simulator.grading import RubricLibrary, grade, parse_transcripts
    rubric = RubricLibrary().get("complaint-handling")
    loaded, problems = parse_transcripts(Path("call.txt"))
    card = grade(loaded[0].transcript, rubric)      # -> Scorecard
    print(render_text(card))
    card = grade_with_judge(transcript, rubric, backend_from_config())  # + the LLM judge
"""

from .grader import GRADER_VERSION, grade, is_ended, observe
from .judge import apply_judge, grade_with_judge
from .rubric import Condition, Criterion, PhrasingRule, Rubric, Stage
from .rubric_loader import DEFAULT_RUBRIC, RubricLibrary, load_rubric, parse_rubric
from .scorecard import Scorecard, render_text
from .transcript_input import (
    LoadedTranscript,
    load_transcripts,
    parse_plain_text,
    parse_text,
    parse_transcripts,
)

__all__ = [
    "GRADER_VERSION",
    "grade",
    "is_ended",
    "observe",
    "apply_judge",
    "grade_with_judge",
    "Condition",
    "Criterion",
    "PhrasingRule",
    "Rubric",
    "Stage",
    "DEFAULT_RUBRIC",
    "RubricLibrary",
    "load_rubric",
    "parse_rubric",
    "Scorecard",
    "render_text",
    "LoadedTranscript",
    "load_transcripts",
    "parse_plain_text",
    "parse_text",
    "parse_transcripts",
]
