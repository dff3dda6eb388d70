"""msgspec Structs of ``/v1/sessions``, and their translation from domain types."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from autbot.domain import limits
from autbot.domain.sessions import Session, SessionMessage
from autbot.entrypoints.http.schemas import collections as s


class _Body(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class SessionBody(_Body):
    collection: Annotated[str, Meta(min_length=1, max_length=63)]
    title: Annotated[str, Meta(max_length=limits.MAX_SESSION_TITLE_CHARS)] | None = None


class SessionMessageBody(_Body, s.RetrievalFields, kw_only=True):
    question: s.Query
    stream: bool = False
    max_tokens: Annotated[int, Meta(ge=1)] | None = None
    temperature: Annotated[float, Meta(ge=0, le=limits.MAX_TEMPERATURE)] | None = None


class SessionOut(msgspec.Struct, kw_only=True):
    id: str
    object: str
    collection: str
    title: str | None
    created_at: float
    updated_at: float
    message_count: int


class MessageOut(msgspec.Struct, kw_only=True):
    role: str
    content: str
    created_at: float
    citations: list[s.CitationOut]


class SessionDetailOut(SessionOut, kw_only=True):
    messages: list[MessageOut]


class SessionsOut(msgspec.Struct, kw_only=True):
    object: str
    data: list[SessionOut]


def session_out(x: Session) -> SessionOut:
    return SessionOut(
        id=x.id,
        object="session",
        collection=x.collection,
        title=x.title,
        created_at=x.created_at,
        updated_at=x.updated_at,
        message_count=x.message_count,
    )


def message_out(m: SessionMessage) -> MessageOut:
    return MessageOut(
        role=m.role, content=m.content, created_at=m.created_at, citations=[s.citation_out(c) for c in m.citations]
    )


def session_detail_out(x: Session) -> SessionDetailOut:
    return SessionDetailOut(
        id=x.id,
        object="session",
        collection=x.collection,
        title=x.title,
        created_at=x.created_at,
        updated_at=x.updated_at,
        message_count=len(x.messages),
        messages=[message_out(m) for m in x.messages],
    )
