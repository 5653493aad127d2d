"""The one place that turns configuration into the parts that use a model.

With no model configured (see :mod:`simulator.llm.config`) these return the offline
renderer and the default move reader (rules plus the bundled encoder), so every caller
works the same with or without a model.
Nothing else in Frontline builds a backend, an LLM renderer, an LLM detector or a judge's
backend: callers ask here.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from .errors import FrontlineError
from .grading.judge.prompts import JudgePrompts
from .llm.backend import ChatBackend
from .llm.config import BackendConfig, load_backend_config
from .llm.prompt_file import PROMPTS_FILE, load_section, overlay_sections, validate_sections
from .moves.combine import default_reader
from .moves.detector import Detector
from .moves.llm_prompts import DetectorPrompts
from .render.base import Renderer
from .render.offline import OfflineRenderer
from .render.prompts import CustomerPrompts

__all__ = [
    "PROMPTS_FILE",
    "backend_from_config",
    "detector_from_config",
    "judge_backend",
    "load_pack_prompts",
    "load_prompts",
    "renderer_from_config",
]

# Who owns each section of the prompt file.
PROMPT_SECTIONS: dict[str, type[BaseModel]] = {
    "customer": CustomerPrompts,
    "judge": JudgePrompts,
    "detector": DetectorPrompts,
}


def load_prompts(path: Path | None = None) -> BaseModel:
    """The whole prompt file (``FRONTLINE_LLM_PROMPTS`` or the shipped one), every section
    validated by its owner's model and no unknown section; raises FileProblems naming
    file, line and ``section.field``. Each owner reads only its own section at run time;
    this is the check that the file as a whole is right."""
    return validate_sections(PROMPT_SECTIONS, strict=True, path=path)


def load_pack_prompts(path: Path) -> dict[str, BaseModel]:
    """A language pack's ``prompts.yaml`` checked as it will be used: each section it holds
    merged over the base prompt file and validated by its owner's model; a section nobody
    owns is refused. Raises FileProblems naming file, line and ``section.field``."""
    sections = overlay_sections(path, PROMPT_SECTIONS, strict=True)
    return {name: load_section(name, PROMPT_SECTIONS[name], overlays=(path,)) for name in sections}


def backend_from_config(config: BackendConfig | None = None) -> ChatBackend | None:
    """The configured backend (``load_backend_config()`` when ``config`` is None), or None."""
    from .llm.openai_backend import OpenAIBackend  # the openai client is slow to import

    config = config or load_backend_config()
    return OpenAIBackend(config) if config is not None else None


def renderer_from_config(config: BackendConfig | None = None) -> Renderer:
    """:class:`OfflineRenderer` when no model is configured, else an :class:`LLMRenderer`.

    Raises :class:`~simulator.errors.FileProblems` when the configuration is wrong. Building
    the renderer does not contact the server; the first reply does.
    """
    from .render.llm import LLMRenderer

    config = config or load_backend_config()
    if config is None:
        return OfflineRenderer()
    backend = backend_from_config(config)
    assert backend is not None
    return LLMRenderer(
        backend,
        regenerations=config.regenerations,
        temperature=config.temperature,
        max_tokens=config.max_tokens,
    )


def detector_from_config(language: str = "en", config: BackendConfig | None = None) -> Detector:
    """The default reader (the rules plus the bundled encoder, or the rules alone when the
    encoder is off or missing, with a notice), plus the LLM detector when ``detect_moves``
    is on; the policy that combines them is simulator/moves/combine.py."""
    from .moves.combine import CombinedReader
    from .moves.llm_detector import LLMDetector

    config = config or load_backend_config()
    reader = default_reader(language)
    if config is None or not config.detect_moves:
        return reader
    backend = backend_from_config(config)
    assert backend is not None
    if isinstance(reader, CombinedReader):
        rules, encoder = reader.rules, reader.encoder
    else:
        rules, encoder = reader, None
    return CombinedReader(
        rules, encoder, LLMDetector(backend, splitter=rules.splitter, language=language)
    )


def judge_backend(
    what: str, *, max_attempts: int | None = None, base_url: str | None = None
) -> ChatBackend:
    """The configured model as the judge: ``judge_model`` when set, ``max_attempts`` tries
    per call, ``base_url`` in place of the configured server (one replica of a farm).
    ``what`` names who needs it ("exam X"), for the error when no model is configured."""
    from .llm.openai_backend import OpenAIBackend

    config = load_backend_config()
    if config is None:
        raise FrontlineError(
            f"{what} uses the LLM judge but no model is configured: "
            "set FRONTLINE_LLM_MODEL (and FRONTLINE_LLM_BASE_URL), "
            "see docs/llm.md"
        )
    if max_attempts is not None:
        config = config.model_copy(update={"max_attempts": max_attempts})
    if base_url:
        config = config.model_copy(update={"base_url": base_url})
    if config.judge_model:
        config = config.model_copy(update={"model": config.judge_model})
    return OpenAIBackend(config)
