"""Language-model backends for Frontline, and nothing else.

The backend protocol (:mod:`.backend`), the OpenAI-compatible backend
(:mod:`.openai_backend`), the scripted mock (:mod:`.mock`), retries (:mod:`.retry`),
configuration and capability profiles (:mod:`.config`) and the prompt-file reader
(:mod:`.prompt_file`). What uses a model lives with its concept: the LLM customer in
:mod:`simulator.render`, the LLM move detector in :mod:`simulator.moves`, the judge in
:mod:`simulator.grading.judge`; :mod:`simulator.wiring` builds them from configuration.

Everything here is optional. With no model configured Frontline runs offline; with one,
any OpenAI-compatible server can be used.
"""

from .backend import ChatBackend, Chunk, Completion, Message, Usage
from .config import BackendConfig, BackendKind, Capabilities, load_backend_config
from .retry import BackendError, StreamInterrupted

__all__ = [
    "BackendConfig",
    "BackendError",
    "BackendKind",
    "Capabilities",
    "ChatBackend",
    "Chunk",
    "Completion",
    "Message",
    "StreamInterrupted",
    "Usage",
    "load_backend_config",
]
