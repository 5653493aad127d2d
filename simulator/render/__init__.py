"""Renderers: the customer's words, from phrase banks (offline) or from an LLM."""

from .base import Renderer, RenderRequest, Turn
from .offline import OfflineRenderer

__all__ = ["OfflineRenderer", "RenderRequest", "Renderer", "Turn"]
