"""Persona files: the simulated customer's identity, type, case and voice."""

from .loader import PersonaLibrary, load_persona
from .model import Archetype, Persona, Temperament

__all__ = ["Archetype", "Persona", "PersonaLibrary", "Temperament", "load_persona"]
