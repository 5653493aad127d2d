"""Persona files: the simulated customer's identity, type, case and voice, in one base
language with per-language overlays."""

from .loader import PersonaLibrary, load_persona
from .model import Archetype, Persona, Temperament
from .overlay import PersonaFile

__all__ = [
    "Archetype",
    "Persona",
    "PersonaFile",
    "PersonaLibrary",
    "Temperament",
    "load_persona",
]
