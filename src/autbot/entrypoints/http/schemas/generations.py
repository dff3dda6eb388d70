"""msgspec Structs of re-indexing and a collection's index generations. Types only: the rules (a served
model, the margin's range) are the use cases' (``use_cases.reindex``, ``use_cases.generations``)."""

from __future__ import annotations

from typing import Literal

import msgspec

from autbot.domain.generations import Generation
from autbot.entrypoints.http.schemas.evaluations import GenerationOut, _generation
from autbot.use_cases.generations import CollectionView


class ReindexBody(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    embedder: str
    """The new generation's embedding model: a catalogue name (``bge-small-en-v1.5``) or model id served here."""
    max_drop: float | None = None
    """How much lower the new generation's NDCG@10 may be than the live one's (0 to 1); default
    ``jobs.reindex_max_drop``."""
    activate: Literal["auto", "manual"] = "auto"
    """``auto``: switch when the gate passes; ``manual``: measure, then hold it for an explicit activate call."""
    chunk_size: int | None = None
    """The new generation's chunk size in tokens; default the server's ``splitter.chunk_size``."""
    chunk_overlap: int | None = None
    """Tokens shared by neighbouring chunks, smaller than ``chunk_size`` (default an eighth of it)."""


class GenerationInfoOut(msgspec.Struct, kw_only=True, omit_defaults=False):
    number: int
    embedding_model: str
    dimension: int
    chunk_size: int | None
    chunk_overlap: int | None
    state: Literal["building", "live", "previous", "held", "failed"]
    created_at: float
    activated_at: float | None
    retained_until: float | None
    job_id: str | None
    reason: str | None
    evaluation: GenerationOut | None
    """Its figures on the collection's golden set, when a re-index measured them."""


class CollectionOut(msgspec.Struct, kw_only=True, omit_defaults=False):
    name: str
    embedding_model: str
    """The live generation's embedding model: searches and answers embed queries with it."""
    dimension: int
    generation: int
    """The live generation's number."""
    generations: list[GenerationInfoOut]


def generation_out(g: Generation) -> GenerationInfoOut:
    return GenerationInfoOut(
        number=g.number,
        embedding_model=g.embedding_model,
        dimension=g.dimension,
        chunk_size=g.chunk_size,
        chunk_overlap=g.chunk_overlap,
        state=g.state.value,  # type: ignore[arg-type]  # GenerationState's values are the Literal's
        created_at=g.created_at,
        activated_at=g.activated_at,
        retained_until=g.retained_until,
        job_id=g.job_id,
        reason=g.reason,
        evaluation=None if g.figures is None else _generation(g.figures),
    )


def collection_out(view: CollectionView) -> CollectionOut:
    info = view.info
    return CollectionOut(
        name=info.name,
        embedding_model=info.embedding_model,
        dimension=info.dimension,
        generation=info.generation,
        generations=[generation_out(g) for g in view.generations],
    )
