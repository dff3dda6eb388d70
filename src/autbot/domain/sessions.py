"""Server-side chat sessions (stdlib only): a conversation over one collection, owned by the key that
created it: by its id (``Principal.owner``), so a key re-created with a revoked key's name sees none of the
revoked key's sessions. Another key never sees it (404, as if it did not exist)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from typing import Literal

from autbot.domain import limits
from autbot.domain.answers import ChatMessage, Citation
from autbot.domain.errors import InvalidInput, SessionNotFound
from autbot.domain.model import check_text

SESSION_PREFIX = "sess_"


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionMessage:
    role: Literal["user", "assistant"]
    content: str
    created_at: float
    citations: tuple[Citation, ...] = ()
    """An answer's citations (the chunks the model was given)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Session:
    id: str
    owner: str
    """``Principal.owner`` of the creator: ``key:<key id>``, or ``anonymous`` on an open server. (A key's name
    here is re-owned by that key's id at start-up: ``AdoptNamedSessions``.)"""
    collection: str
    title: str | None
    created_at: float
    updated_at: float
    messages: tuple[SessionMessage, ...] = ()
    """Oldest first. Empty in listings."""
    message_count: int = 0


def new_session_id() -> str:
    return SESSION_PREFIX + secrets.token_urlsafe(16)


def validate_title(title: str | None) -> str | None:
    if title is None:
        return None
    if not isinstance(title, str) or len(title) > limits.MAX_SESSION_TITLE_CHARS:
        raise InvalidInput(f"A title is at most {limits.MAX_SESSION_TITLE_CHARS} characters.", field="title")
    check_text(title, field="title")
    return " ".join(title.split()) or None


def owned(session: Session | None, session_id: str, owner: str) -> Session:
    """The session if ``owner`` (``Principal.owner``) created it; otherwise it does not exist for them
    (``SessionNotFound``)."""
    if session is None or session.owner != owner:
        raise SessionNotFound(f"Session '{session_id[:80]}' does not exist.", session_id=session_id[:80])
    return session


def history_of(session: Session) -> tuple[ChatMessage, ...]:
    """The session's turns as chat history, oldest first."""
    return tuple(ChatMessage(role=m.role, content=m.content) for m in session.messages)


def without_messages(session: Session) -> Session:
    return replace(session, messages=())
