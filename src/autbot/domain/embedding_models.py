"""The embedding models AutBot knows by name: how each one is run (pooling, query and passage prefixes).

A collection records the model its vectors come from (its ``model_id``) and is searched with that model
only. A catalogue name (``all-MiniLM-L6-v2``) and the model id a collection records
(``all-MiniLM-L6-v2-onnx-int8``) both name a model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from autbot.domain import limits
from autbot.domain.errors import ModelNotFound

Pooling = Literal["mean", "cls"]


@dataclass(frozen=True, slots=True, kw_only=True)
class EmbeddingModelSpec:
    name: str
    """The catalogue name requests and settings use."""
    model_id: str
    """What a collection built with this model records (``CollectionInfo.embedding_model``)."""
    dimension: int
    pooling: Pooling
    """``mean``: the mean of the token vectors over the attention mask; ``cls``: the first token's vector."""
    query_prefix: str = ""
    """Put before a search query before it is embedded."""
    passage_prefix: str = ""
    """Put before a passage (a chunk with its title) before it is embedded."""


MINILM = EmbeddingModelSpec(
    name="all-MiniLM-L6-v2", model_id="all-MiniLM-L6-v2-onnx-int8", dimension=384, pooling="mean"
)
BGE_SMALL = EmbeddingModelSpec(
    name="bge-small-en-v1.5",
    model_id="bge-small-en-v1.5-onnx-int8",
    dimension=384,
    pooling="cls",
    query_prefix="Represent this sentence for searching relevant passages: ",
)
E5_SMALL = EmbeddingModelSpec(
    name="e5-small-v2",
    model_id="e5-small-v2-onnx-int8",
    dimension=384,
    pooling="mean",
    query_prefix="query: ",
    passage_prefix="passage: ",
)
KNOWN_MODELS: tuple[EmbeddingModelSpec, ...] = (MINILM, BGE_SMALL, E5_SMALL)


def known_model(name: str) -> EmbeddingModelSpec:
    """The model of this catalogue name or model id; else ``model_not_found`` (404) listing the names."""
    for spec in KNOWN_MODELS:
        if name in (spec.name, spec.model_id):
            return spec
    raise unknown_embedding_model(name, tuple(s.name for s in KNOWN_MODELS), known=True)


def unknown_embedding_model(
    name: str, served: tuple[str, ...], *, field: str = "embedder", known: bool = False
) -> ModelNotFound:
    """``model_not_found`` (404): a model not among those ``served`` (or, ``known``, among all AutBot knows)."""
    why = (
        f"is not one AutBot knows (known: {', '.join(served)})"
        if known
        else f"is not served here (served: {', '.join(served)})"
    )
    return ModelNotFound(
        f"The embedding model '{name[: limits.MAX_MODEL_NAME_CHARS]}' {why}.",
        model=name[: limits.MAX_MODEL_NAME_CHARS],
        field=field,
        served=list(served),
    )
