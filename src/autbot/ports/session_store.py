from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from autbot.domain.model import HealthStatus
from autbot.domain.sessions import Session, SessionMessage


@runtime_checkable
class SessionStore(Protocol):
    """Chat sessions and their messages. Every method raises ``SessionStoreUnavailable`` when the store
    cannot answer.

    A store is built with a time to live and a size cap: a session not written for ``ttl_s`` seconds is gone
    (``get`` answers None, ``list`` leaves it out), and a session keeps its latest ``max_messages`` messages
    (older ones are dropped as new ones arrive).
    """

    def create(self, session: Session, *, max_live: int | None = None) -> bool:
        """Store a new session (its ``messages`` are ignored); True. With ``max_live``, atomically: False (and
        nothing stored) when its owner already keeps ``max_live`` live sessions."""
        ...

    def get(self, session_id: str) -> Session | None:
        """The session with its messages, oldest first; None if it does not exist or expired."""
        ...

    def list(self, owner: str, *, limit: int) -> list[Session]:
        """``owner``'s live sessions, most recently updated first, at most ``limit``, without their messages
        (``message_count`` is set)."""
        ...

    def append(self, session_id: str, messages: Sequence[SessionMessage], *, now: float) -> bool:
        """Add messages at the end, set ``updated_at`` to ``now`` (which restarts the time to live) and drop
        the oldest beyond the cap. False if the session does not exist (or expired)."""
        ...

    def transfer(self, owner: str, new_owner: str, *, created_from: float, created_until: float | None) -> int:
        """Give ``new_owner`` the live sessions of ``owner`` created at or after ``created_from`` and before
        ``created_until`` (None: no end); how many moved. Sessions stored under a key's name are re-owned by
        the key's id this way (``AdoptNamedSessions``)."""
        ...

    def delete(self, session_id: str) -> bool:
        """Remove a session and its messages; False if there was none."""
        ...

    def health(self) -> HealthStatus: ...
