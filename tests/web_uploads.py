"""Transcript files a trainer uploads in the web certification tests, made from tests/gold/.

Two of alice's attempts at the shipped foundation exam's customers (JSON, exam mode) and one
plain-text transcript, bob's, that names no persona (so the report lists it as ineligible).
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "tests" / "gold"
EXAM = "foundation"


def _turns(text: str) -> list[dict]:
    turns = []
    for line in text.splitlines():
        role, _, said = line.partition(": ")
        if role in ("Customer", "Agent") and said.strip():
            turns.append({"role": role.lower(), "text": said.strip()})
    return turns


def write_uploads(folder: Path) -> list[Path]:
    """Write the three upload files into ``folder``; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    billing = {
        "schema_version": 1,
        "id": "alice-billing",
        "candidate": "alice",
        "persona": {"id": "aggressive-rational-billing", "hash": "sha256:gold"},
        "mode": "exam",
        "created": "2026-03-01T09:00:00+00:00",
        "turns": _turns((GOLD / "aggressive-exemplary.txt").read_text("utf-8")),
    }
    rude = json.loads((GOLD / "aggressive-emotional-exemplary.json").read_text("utf-8"))
    rude.update(
        id="alice-rude-staff", candidate="alice", mode="exam", created="2026-03-01T10:00:00+00:00"
    )
    files = {
        "alice-billing.json": json.dumps(billing, indent=1),
        "alice-rude-staff.json": json.dumps(rude, indent=1),
        "bob.txt": (GOLD / "aggressive-poor.txt").read_text("utf-8"),
    }
    paths = []
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
        paths.append(folder / name)
    return paths


# The foundation exam's customers, played by a trainee in each language for the
# per-language certification test.
EXAM_PERSONAS = ("aggressive-rational-billing", "aggressive-emotional-rude-staff")
I18N = ROOT / "tests" / "fixtures" / "i18n"


def played_transcript(persona_id: str, language: str, candidate: str, mode: str) -> dict:
    """The shipped ``persona_id`` played in ``language`` with the native script of
    tests/fixtures/i18n/, by the offline customer, as the transcript JSON a session exports."""
    from simulator.persona.loader import PersonaLibrary
    from simulator.render.offline import OfflineRenderer
    from simulator.sessions import Conversation, SessionStore

    persona = PersonaLibrary(ROOT / "personas").get(persona_id).in_language(language)
    conv = Conversation.start(
        persona,
        store=SessionStore(":memory:"),
        renderer=OfflineRenderer(),
        user=candidate,
        mode=mode,
        rubric="complaint-handling",
    )
    "".join(conv.opening())
    script = (I18N / f"{persona_id}-{language}.txt").read_text(encoding="utf-8").splitlines()
    for line in (line for line in script if line.strip()):
        if not conv.accepts_input:
            break
        "".join(conv.reply(line))
    conv.end()
    return json.loads(conv.transcript().model_dump_json(exclude_none=True))


def write_language_uploads(folder: Path, language: str) -> list[Path]:
    """A small batch in ``language`` (not English: the scripts are of the other five):
    ``<lang>-ana``'s exam attempt at each of the foundation exam's customers, and one of
    them practised in training mode (ineligible for the exam, with the reason)."""
    folder.mkdir(parents=True, exist_ok=True)
    candidate = f"{language}-ana"
    batch = {
        f"{candidate}-{pid}.json": played_transcript(pid, language, candidate, "exam")
        for pid in EXAM_PERSONAS
    }
    batch[f"{candidate}-training.json"] = played_transcript(
        EXAM_PERSONAS[0], language, candidate, "training"
    )
    paths = []
    for i, (name, transcript) in enumerate(batch.items()):
        transcript.update(id=name.removesuffix(".json"), created=f"2026-03-0{i + 1}T09:00:00+00:00")
        (folder / name).write_text(json.dumps(transcript, ensure_ascii=False, indent=1), "utf-8")
        paths.append(folder / name)
    return paths
