"""Model names of the OpenAI-compatible API (stdlib only).

A chat model name is either ``rag:<collection>`` (answer with retrieval over that collection, with
citations) or one of the configured chat aliases (relay to the configured language model, no retrieval).
The embedding model answers to its own id and to one configured alias.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

from autbot.domain.errors import InvalidInput, ModelNotFound
from autbot.domain.model import CollectionName

RAG_PREFIX = "rag:"
OWNER = "autbot"

ModelKind = Literal["rag", "chat", "embedding"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelRoute:
    """What a chat model name means: retrieval over ``collection`` (kind ``rag``) or a plain relay."""

    kind: Literal["rag", "chat"]
    collection: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelCard:
    id: str
    kind: ModelKind


def rag_model(collection: str) -> str:
    return f"{RAG_PREFIX}{collection}"


def not_found(model: str) -> ModelNotFound:
    return ModelNotFound(
        f"The model '{model[:100]}' does not exist: use a chat alias, rag:<collection> or the embedding model "
        "(GET /v1/models lists them).",
        model=model[:100],
        field="model",
    )


def route_chat_model(model: str, *, chat_aliases: Collection[str]) -> ModelRoute:
    """``rag:<collection>`` or a chat alias; anything else is ``ModelNotFound`` (404)."""
    if model.startswith(RAG_PREFIX):
        collection = model[len(RAG_PREFIX) :]
        try:
            return ModelRoute(kind="rag", collection=CollectionName(collection).value)  # the one rule, whole
        except InvalidInput:
            raise not_found(model) from None
    if model in chat_aliases:
        return ModelRoute(kind="chat")
    raise not_found(model)
