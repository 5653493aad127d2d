"""The complaint record the trainee writes after the call (DOMAIN §3.10, source 001).

Source 001's checklist says to record each complaint with its topic, the customer's
details, the date it happened, the details of the complaint and the resolution; source
004 (§3.7 S) adds confirming the next steps and their timescale. The record is saved with
the session, travels in the transcript (``record``) and is graded against the case
(:mod:`simulator.grading.record_check`).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from .languages.catalogue import Texts

# One field of the record: a line or a short paragraph, never a document.
RecordText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]

# (field, label shown to the trainee, what to write), in the order source 001 lists them;
# the English words. A reader sees them in their language: field_label(), field_hint().
RECORD_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("topic", "Topic", "the kind of complaint: service, price, product, billing, delivery…"),
    ("customer", "Customer details", "name, contact, account or booking number"),
    ("date", "Date", "when it happened, for the timeline"),
    ("details", "Details", "what the customer said about the problem"),
    ("resolution", "Resolution", "what was agreed, and how the customer took it"),
    ("next_step", "Next step", "what happens next, and who does it"),
    ("deadline", "Deadline", "by when the next step happens"),
)


def field_label(name: str, t: Texts) -> str:
    """A record field's label in ``t``'s language (``record.field_<name>``)."""
    return t(f"record.field_{name}")


def field_hint(name: str, t: Texts) -> str:
    """What to write in a record field, in ``t``'s language (``record.hint_<name>``)."""
    return t(f"record.hint_{name}")


class ComplaintRecord(BaseModel):
    """The trainee's record of one complaint: every field is free text, empty if left out."""

    model_config = ConfigDict(extra="forbid")

    topic: RecordText = Field("", description="The kind of complaint (§3.10 topic).")
    customer: RecordText = Field(
        "", description="Customer details: name, contact, account number (§3.10)."
    )
    date: RecordText = Field("", description="When it happened (§3.10 date).")
    details: RecordText = Field("", description="What the customer said (§3.10 details).")
    resolution: RecordText = Field(
        "", description="What was done and how the customer took it (§3.10 resolution)."
    )
    next_step: RecordText = Field("", description="What happens next (§3.7 S next steps).")
    deadline: RecordText = Field("", description="By when (§3.7 S timescales, §4.4).")

    def is_empty(self) -> bool:
        """True when no field was filled in (a skipped record)."""
        return not any(getattr(self, name) for name, _, _ in RECORD_FIELDS)
