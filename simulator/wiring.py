"""What the rest of Frontline calls: the renderer and detector for the current configuration.

With no model configured these return the offline engine and the rule detector, so every
caller works the same with or without a model.
"""

from __future__ import annotations

from ..moves.detector import default_detector
from ..render.base import Renderer
from ..render.offline import OfflineRenderer
from .backend import ChatBackend
from .config import BackendConfig, load_backend_config


def backend_from_config(config: BackendConfig | None = None) -> ChatBackend | None:
    """The configured backend (``load_backend_config()`` when ``config`` is None), or None."""
    from .openai_backend import OpenAIBackend

    config = config or load_backend_config()
    return OpenAIBackend(config) if config is not None else None


def renderer_from_config(config: BackendConfig | None = None) -> Renderer:
    """:class:`OfflineRenderer` when no model is configured, else an :class:`LLMRenderer`.

    Raises :class:`~simulator.errors.FileProblems` when the configuration is wrong. Building
    the renderer does not contact the server; the first reply does.
    """
    from ..render.llm import LLMRenderer

    config = config or load_backend_config()
    if config is None:
        return OfflineRenderer()
    backend = backend_from_config(config)
    assert backend is not None
    return LLMRenderer(backend, regenerations=config.regenerations,
                       temperature=config.temperature, max_tokens=config.max_tokens)


def detector_from_config(language: str = "en", config: BackendConfig | None = None):
    """The rule detector, combined with the LLM detector when ``detect_moves`` is on."""
    from .llm_detector import CombinedDetector, LLMDetector

    config = config or load_backend_config()
    rules = default_detector(language)
    if config is None or not config.detect_moves:
        return rules
    backend = backend_from_config(config)
    assert backend is not None
    return CombinedDetector(rules, LLMDetector(backend))
