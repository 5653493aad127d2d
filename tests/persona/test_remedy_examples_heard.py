"""A remedy's `example` is what the reference policies say to offer it, so the persona must
hear it as that remedy: an overlay whose example misses its own triggers makes exemplary
handling go unheard (escalation instead of a settlement) and a give-away go unrecognised
(DOMAIN §3.9): how exemplary handling escalated and give-aways went unrecognised in the
first per-language calibration of the new overlays (issue 13). Every shipped persona is
offered in every shipped language, so each is checked in each.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from simulator.customer.machine import CustomerMachine
from simulator.persona.loader import load_persona

ROOT = Path(__file__).resolve().parents[2]
PERSONA_FILES = sorted((ROOT / "personas").glob("*.yaml"))
CHECKED = ["en", "es", "ru", "zh", "bg", "pt"]

# Loaded once per file, not once per language: validating a persona file is the slow part.
_load = cache(load_persona)


@pytest.mark.parametrize("language", CHECKED)
@pytest.mark.parametrize("path", PERSONA_FILES, ids=lambda p: p.stem)
def test_every_remedy_example_is_heard_as_its_remedy(path: Path, language: str):
    persona_file = _load(path)
    assert language in persona_file.offered_languages(), f"{path.stem} not offered in {language}"
    persona = persona_file.in_language(language)
    machine = CustomerMachine(persona)
    unheard = []
    for remedy in persona.case.remedies:
        heard = [o.id for o in machine.read(remedy.example).recognitions.remedies]
        if remedy.id not in heard:
            unheard.append(f"{remedy.id}: {remedy.example!r} heard as {heard or 'nothing'}")
    assert not unheard, f"{path.name} [{language}] remedy examples not heard:\n" + "\n".join(
        unheard
    )
