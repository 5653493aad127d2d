"""Practice sessions: a conversation with a simulated customer, kept in SQLite.

See :mod:`simulator.sessions.conversation` for the session API and
:mod:`simulator.sessions.store` for the store.
"""

from .conversation import Conversation
from .store import SessionInfo, SessionStore

__all__ = ["Conversation", "SessionInfo", "SessionStore"]
