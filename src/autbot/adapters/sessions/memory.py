"""Sessions in process memory: the fake (tests), with the same expiry and cap as the real stores."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace

from autbot.domain import limits
from autbot.domain.model import HealthStatus
from autbot.domain.sessions import Session, SessionMessage, without_messages


class InMemorySessionStore:
    def __init__(
        self,
        *,
        ttl_s: float = limits.SESSION_TTL_S,
        max_messages: int = limits.SESSION_MAX_MESSAGES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._ttl_s = ttl_s
        self._max = max_messages
        self._clock = clock
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def _live(self, session_id: str) -> Session | None:
        s = self._sessions.get(session_id)
        if s is not None and s.updated_at + self._ttl_s <= self._clock():
            del self._sessions[session_id]
            return None
        return s

    def create(self, session: Session, *, max_live: int | None = None) -> bool:
        with self._lock:
            if max_live is not None:
                kept = sum(1 for sid in list(self._sessions) if (s := self._live(sid)) and s.owner == session.owner)
                if kept >= max_live:
                    return False
            self._sessions[session.id] = replace(session, messages=(), message_count=0)
            return True

    def get(self, session_id: str) -> Session | None:
        with self._lock:
            return self._live(session_id)

    def list(self, owner: str, *, limit: int) -> list[Session]:
        with self._lock:
            live = [s for sid in list(self._sessions) if (s := self._live(sid)) is not None and s.owner == owner]
        live.sort(key=lambda s: (s.updated_at, s.created_at), reverse=True)
        return [without_messages(s) for s in live[:limit]]

    def append(self, session_id: str, messages: Sequence[SessionMessage], *, now: float) -> bool:
        with self._lock:
            s = self._live(session_id)
            if s is None:
                return False
            kept = (*s.messages, *messages)[-self._max :]
            self._sessions[session_id] = replace(s, messages=kept, message_count=len(kept), updated_at=now)
            return True

    def transfer(self, owner: str, new_owner: str, *, created_from: float, created_until: float | None) -> int:
        until = math.inf if created_until is None else created_until
        with self._lock:
            moving = [
                s
                for sid in list(self._sessions)
                if (s := self._live(sid)) is not None and s.owner == owner and created_from <= s.created_at < until
            ]
            for s in moving:
                self._sessions[s.id] = replace(s, owner=new_owner)
        return len(moving)

    def delete(self, session_id: str) -> bool:
        with self._lock:
            return self._sessions.pop(session_id, None) is not None

    def health(self) -> HealthStatus:
        return HealthStatus(ok=True, detail="memory sessions")

    def close(self) -> None:
        return None
