"""Language-model backends for Frontline: an LLM customer, move detector and judge.

Everything here is optional. With no model configured (see :mod:`simulator.llm.config`)
Frontline runs offline; with one, any OpenAI-compatible server can be used.
"""

from .backend import ChatBackend, Chunk, Completion, Message, Usage
from .config import BackendConfig, BackendKind, Capabilities, load_backend_config
from .factory import backend_from_config, detector_from_config, renderer_from_config
from .retry import BackendError, StreamInterrupted

__all__ = [
    "BackendConfig", "BackendError", "BackendKind", "Capabilities", "ChatBackend", "Chunk",
    "Completion", "Message", "StreamInterrupted", "Usage", "backend_from_config",
    "detector_from_config", "load_backend_config", "renderer_from_config",
]
