from __future__ import annotations

from dataclasses import dataclass

from autbot.domain.auth import Principal
from autbot.domain.errors import ModelNotFound
from autbot.domain.models import ModelCard, not_found, rag_model, route_chat_model
from autbot.ports.document_registry import DocumentRegistry
from autbot.ports.embedder import EmbedderCatalogue


@dataclass(frozen=True, slots=True, kw_only=True)
class ListModelsRequest:
    principal: Principal


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelRef:
    principal: Principal
    model: str


class _Catalogue:
    def __init__(
        self,
        registry: DocumentRegistry,
        embedders: EmbedderCatalogue,
        chat_aliases: tuple[str, ...],
        embedding_alias: str,
    ) -> None:
        self.registry = registry
        self.embedders = embedders
        self.chat_aliases = chat_aliases
        self.embedding_alias = embedding_alias


class ListModels:
    """The models a key may name (OpenAI ``GET /v1/models``): the chat aliases (a relay to the configured
    model), ``rag:<collection>`` for each collection the key may use, and the embedding models served (by
    name)."""

    def __init__(
        self,
        *,
        registry: DocumentRegistry,
        embedders: EmbedderCatalogue,
        chat_aliases: tuple[str, ...],
        embedding_alias: str,
    ) -> None:
        self._c = _Catalogue(registry, embedders, chat_aliases, embedding_alias)

    def execute(self, request: ListModelsRequest) -> list[ModelCard]:
        c = self._c
        collections = sorted(x.name for x in c.registry.list_collections() if request.principal.may_use(x.name))
        return [
            *(ModelCard(id=a, kind="chat") for a in c.chat_aliases),
            *(ModelCard(id=rag_model(name), kind="rag") for name in collections),
            *(ModelCard(id=name, kind="embedding") for name in c.embedders.served()),
        ]


class DescribeModel:
    """One model by name: a chat alias, ``rag:<collection>`` (the collection exists and the key may use it)
    or an embedding model served (its name, its id, or the default's alias). Anything else is
    ``model_not_found`` (404)."""

    def __init__(
        self,
        *,
        registry: DocumentRegistry,
        embedders: EmbedderCatalogue,
        chat_aliases: tuple[str, ...],
        embedding_alias: str,
    ) -> None:
        self._c = _Catalogue(registry, embedders, chat_aliases, embedding_alias)

    def execute(self, request: ModelRef) -> ModelCard:
        c, model = self._c, request.model
        if model in c.chat_aliases:
            return ModelCard(id=model, kind="chat")
        if model == c.embedding_alias or _serves(c.embedders, model):
            return ModelCard(id=model, kind="embedding")
        name = route_chat_model(model, chat_aliases=()).collection  # a rag: name, else ModelNotFound
        if name is not None and request.principal.may_use(name) and c.registry.get_collection(name) is not None:
            return ModelCard(id=model, kind="rag")
        raise not_found(model)


def _serves(embedders: EmbedderCatalogue, model: str) -> bool:
    try:
        embedders.passages(model)
    except ModelNotFound:
        return False
    return True
