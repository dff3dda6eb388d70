"""Which embedder serves a collection: its own model, from the catalogue of those served.

Shared by ingestion (passages) and search (queries): a collection is embedded and searched only with the
model its record names; a new collection gets the model its first ingestion names, else the default.
"""

from __future__ import annotations

from typing import Literal

from autbot.domain.errors import EmbeddingModelMismatch, ModelNotFound
from autbot.domain.model import CollectionInfo
from autbot.ports.document_registry import DocumentRegistry
from autbot.ports.embedder import Embedder, EmbedderCatalogue

Role = Literal["passages", "queries"]


def collection_embedder(embedders: EmbedderCatalogue, info: CollectionInfo, role: Role) -> Embedder:
    """The collection's own model; one not served here (or of another dimension) is ``embedding_model_mismatch``."""
    try:
        embedder = _lookup(embedders, info.embedding_model, role)
    except ModelNotFound as e:
        raise _mismatch(info, f"which this server does not serve (served: {', '.join(embedders.served())})") from e
    if (embedder.model_id, embedder.dimension) != (info.embedding_model, info.dimension):
        raise _mismatch(info, f"but the served model is '{embedder.model_id}' ({embedder.dimension} dimensions)")
    return embedder


def requested_embedder(embedders: EmbedderCatalogue, requested: str | None) -> Embedder:
    """The passage embedder a request names (``model_not_found``, 404, if not served), else the default's."""
    return embedders.passages(embedders.default_model if requested is None else requested)


def check_requested(info: CollectionInfo, requested: Embedder) -> None:
    """A request that names a model for an existing collection must name the collection's own."""
    if (requested.model_id, requested.dimension) != (info.embedding_model, info.dimension):
        raise EmbeddingModelMismatch(
            f"Collection '{info.name}' holds vectors of '{info.embedding_model}' ({info.dimension} dimensions); "
            f"refusing to mix in '{requested.model_id}' ({requested.dimension}).",
            collection=info.name,
            collection_model=info.embedding_model,
            embedder_model=requested.model_id,
        )


class CollectionModels:
    """The check a request naming a model passes before any work is queued (a job's submission)."""

    def __init__(self, *, embedders: EmbedderCatalogue, registry: DocumentRegistry) -> None:
        self._embedders, self._registry = embedders, registry

    def check(self, collection: str, requested: str) -> str:
        """The model id ``requested`` names (``model_not_found`` if not served); for an existing collection it
        must be the collection's own (``embedding_model_mismatch``). A new collection takes it when created."""
        wanted = requested_embedder(self._embedders, requested)
        stored = self._registry.get_collection(collection)
        if stored is not None:
            check_requested(stored, wanted)
        return wanted.model_id


def _lookup(embedders: EmbedderCatalogue, model: str, role: Role) -> Embedder:
    return embedders.passages(model) if role == "passages" else embedders.queries(model)


def _mismatch(info: CollectionInfo, why: str) -> EmbeddingModelMismatch:
    return EmbeddingModelMismatch(
        f"Collection '{info.name}' was built with '{info.embedding_model}' ({info.dimension} dimensions), {why}.",
        collection=info.name,
        collection_model=info.embedding_model,
    )
