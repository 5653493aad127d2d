"""The complaint record in the terminal: asked for after the call, then graded against the
case field by field (DOMAIN §3.10, source 001). An empty first answer skips it."""

from __future__ import annotations

from collections.abc import Callable

from ..complaint_record import RECORD_FIELDS, ComplaintRecord, field_hint, field_label
from ..grading.grader import record_of
from ..languages.catalogue import Texts
from ..sessions import Conversation, SessionStore
from ..transcript import turn_problem

LIMIT = 2000  # characters per field, as the record's model allows


def ask_record(
    read_line: Callable[[str], str | None], interactive: bool, t: Texts | None = None
) -> ComplaintRecord | None:
    """Ask for each field of the record in turn; None when the trainee skips it (an empty
    topic, or the end of input)."""
    t = t or Texts("en")
    print("\n" + t("cli.record_intro"), flush=True)
    values: dict[str, str] = {}
    for name, _, _ in RECORD_FIELDS:
        ask = t("cli.record_field", label=field_label(name, t), hint=field_hint(name, t))
        if not interactive:
            print(ask, flush=True)
        line = read_line(ask + " " if interactive else "")
        if line is None:
            break
        text = line.strip()
        if name == "topic" and not text:
            break
        if turn_problem(text) is not None or len(text) > LIMIT:
            text = text[:LIMIT].replace("\x00", "")
            print(t("cli.record_cut", limit=LIMIT), flush=True)
        values[name] = text
    if not values.get("topic"):
        print(t("cli.record_none"), flush=True)
        return None
    return ComplaintRecord(**values)


def record_after_call(
    conv: Conversation,
    store: SessionStore,
    read_line: Callable[[str], str | None],
    interactive: bool,
    t: Texts | None = None,
) -> None:
    """Ask for the record, save it with the session and show how it was graded."""
    if not conv.turns:
        return
    t = t or Texts("en")
    record = ask_record(read_line, interactive, t)
    if record is None:
        return
    store.save_record(conv.session_id, conv.info.user, record)
    transcript = store.transcript(conv.session_id, conv.info.user)
    assessment = record_of(transcript, conv.persona, t.language)
    if assessment is None:
        return
    print(t("cli.record_result", met=assessment.met, of=len(assessment.fields)))
    for f in assessment.fields:
        mark = t("cli.record_ok") if f.verdict == "met" else t("cli.record_miss")
        print(f"  {mark} {f.label}: {f.reason}")
