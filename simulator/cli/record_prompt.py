"""The complaint record in the terminal: asked for after the call, then graded against the
case field by field (DOMAIN §3.10, source 001). An empty first answer skips it."""

from __future__ import annotations

from collections.abc import Callable

from ..complaint_record import RECORD_FIELDS, ComplaintRecord
from ..grading.grader import record_of
from ..sessions import Conversation, SessionStore
from ..transcript import turn_problem

LIMIT = 2000  # characters per field, as the record's model allows


def ask_record(read_line: Callable[[str], str | None], interactive: bool) -> ComplaintRecord | None:
    """Ask for each field of the record in turn; None when the trainee skips it (an empty
    topic, or the end of input)."""
    print(
        "\nRecord the complaint (§3.10): topic, customer details, date, details, resolution, "
        "next step and deadline. Press Enter at the topic to skip.",
        flush=True,
    )
    values: dict[str, str] = {}
    for name, label, what in RECORD_FIELDS:
        if not interactive:
            print(f"{label} ({what}):", flush=True)
        line = read_line(f"{label} ({what}): " if interactive else "")
        if line is None:
            break
        text = line.strip()
        if name == "topic" and not text:
            break
        if turn_problem(text) is not None or len(text) > LIMIT:
            text = text[:LIMIT].replace("\x00", "")
            print(f"  (cut to {LIMIT} characters)", flush=True)
        values[name] = text
    if not values.get("topic"):
        print("No record made.", flush=True)
        return None
    return ComplaintRecord(**values)


def record_after_call(
    conv: Conversation,
    store: SessionStore,
    read_line: Callable[[str], str | None],
    interactive: bool,
) -> None:
    """Ask for the record, save it with the session and show how it was graded."""
    if not conv.turns:
        return
    record = ask_record(read_line, interactive)
    if record is None:
        return
    store.save_record(conv.session_id, conv.info.user, record)
    assessment = record_of(store.transcript(conv.session_id, conv.info.user), conv.persona)
    if assessment is None:
        return
    print(f"Complaint record: {assessment.met}/{len(assessment.fields)} fields right.")
    for f in assessment.fields:
        mark = "ok  " if f.verdict == "met" else "MISS"
        print(f"  {mark} {f.label}: {f.reason}")
