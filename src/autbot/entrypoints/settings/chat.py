"""Settings of the OpenAI-compatible API and of server-side chat sessions.

Kept apart from :mod:`.schema` (which imports these sections), like :mod:`.operations`. Defaults come from
:mod:`autbot.domain.limits`.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from autbot.domain import limits

SessionsBackend = Literal["sqlite", "redis", "memory"]


class _Section(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


ModelAlias = Annotated[str, msgspec.Meta(pattern=r"^(?!rag:)[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}\Z")]
"""A model name clients send: 1-64 characters, not starting with ``rag:`` (those name collections)."""


class OpenAIApiSettings(_Section):
    chat_aliases: list[ModelAlias] = msgspec.field(default_factory=lambda: list(limits.CHAT_ALIASES))
    """Model names that ``/v1/chat/completions`` relays to the configured language model as they are, without
    retrieval (``rag:<collection>`` answers with retrieval over that collection)."""
    embedding_alias: ModelAlias = limits.EMBEDDING_ALIAS
    """A model name ``/v1/embeddings`` accepts for the configured embedder, besides the embedder's own id."""


class SessionsSettings(_Section):
    backend: SessionsBackend = "sqlite"
    """Where ``/v1/sessions`` conversations live: ``sqlite`` (``<storage.data_dir>/sessions.sqlite3``),
    ``redis`` (the ``[redis]`` server, shared by replicas) or ``memory`` (tests)."""
    ttl_s: Annotated[float, msgspec.Meta(ge=60, le=366 * 24 * 3600)] = limits.SESSION_TTL_S
    """A session not written for this many seconds is deleted (Redis expires its keys)."""
    max_messages: Annotated[int, msgspec.Meta(ge=2, le=10_000)] = limits.SESSION_MAX_MESSAGES
    """Messages kept per session (questions and answers); the oldest are dropped beyond it."""
    max_per_key: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)] = limits.MAX_SESSIONS_PER_KEY
    """Live sessions one caller (API key; on an open server, everyone together) may keep. Past it,
    ``POST /v1/sessions`` answers 429 ``too_many_sessions`` until one is deleted or expires."""
