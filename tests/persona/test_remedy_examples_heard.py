"""A remedy's `example` is what the reference policies say to offer it, so the persona must
hear it as that remedy: an overlay whose example misses its own triggers makes exemplary
handling go unheard (escalation instead of a settlement) and a give-away go unrecognised
(DOMAIN §3.9). Checked for the base (English) and the overlays calibrated so far; the other
languages join this list when their overlays hold.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from simulator.customer.machine import CustomerMachine
from simulator.persona.loader import load_persona

ROOT = Path(__file__).resolve().parents[2]
PERSONA_FILES = sorted((ROOT / "personas").glob("*.yaml"))
# Languages whose every remedy example is heard as its own remedy (calib-fix-b: ru, zh).
CHECKED = ["en", "ru", "zh"]

# Loaded once per file, not once per language: validating a persona file is the slow part.
_load = cache(load_persona)


@pytest.mark.parametrize("language", CHECKED)
@pytest.mark.parametrize("path", PERSONA_FILES, ids=lambda p: p.stem)
def test_every_remedy_example_is_heard_as_its_remedy(path: Path, language: str):
    persona_file = _load(path)
    if language != persona_file.language and language not in persona_file.languages:
        pytest.skip(f"{path.stem} is not offered in {language}")
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
