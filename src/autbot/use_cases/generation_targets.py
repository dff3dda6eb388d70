"""Where a collection's reads and writes go among its index generations (``domain.generations``).

Reads use the live generation, named by the collection's record. A write goes to the live generation first and
then to every other generation that receives writes (one being built, the previous one, held ones), each
embedded with its own model, so a build never misses a write and any retained generation can be switched to.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from autbot.domain.generations import Generation, index_name, writable
from autbot.domain.ids import chunk_id
from autbot.domain.model import Chunk, CollectionInfo
from autbot.ports.embedder import Embedder, EmbedderCatalogue
from autbot.ports.generation_store import GenerationStore
from autbot.ports.text_splitter import TextSplitter
from autbot.use_cases.collection_models import collection_embedder

SplitterFor = Callable[[int, int], TextSplitter]
"""A splitter for a generation's own chunking: (chunk size, overlap) in tokens."""


def generation_splitter(default: TextSplitter, splitters: SplitterFor | None, generation: Generation) -> TextSplitter:
    """The generation's splitter: the server's, unless the generation has a chunking of its own."""
    if generation.chunk_size is None or splitters is None:
        return default
    return splitters(generation.chunk_size, generation.chunk_overlap or 0)


@dataclass(frozen=True, slots=True)
class WriteTargets:
    """Where one write goes: the live generation's chunk-index collection, then the other generations."""

    collection: str
    live: str
    others: list[Generation]

    @property
    def indexes(self) -> list[str]:
        return [self.live, *(g.index_name for g in self.others)]


def generation_embedder(embedders: EmbedderCatalogue, generation: Generation) -> Embedder:
    """The passage embedder of one generation (its model must be served here, as a collection's must)."""
    info = CollectionInfo(
        name=generation.collection, embedding_model=generation.embedding_model, dimension=generation.dimension
    )
    return collection_embedder(embedders, info, "passages")


def live_index(info: CollectionInfo) -> str:
    """The chunk-index collection the collection's reads use."""
    return index_name(info.name, info.generation)


def other_writable(store: GenerationStore | None, info: CollectionInfo) -> list[Generation]:
    """The generations besides the live one that a write to the collection must reach."""
    if store is None:
        return []
    return [g for g in writable(store.generations(info.name)) if g.number != info.generation]


def every_index(store: GenerationStore | None, info: CollectionInfo) -> list[str]:
    """Every chunk-index collection holding the collection's chunks, the live one first (deletes, drops)."""
    names = [live_index(info)]
    if store is not None:
        names += [g.index_name for g in store.generations(info.name) if g.index_name not in names]
    return names


def document_chunks(
    splitter: TextSplitter, document_id: str, version: str, text: str, metadata: Mapping[str, Any]
) -> list[Chunk]:
    """A document version's chunks: its text split, blank pieces left out, each with the document's metadata."""
    texts = [t for t in splitter.split(text) if t.strip()]
    return [
        Chunk(
            id=chunk_id(document_id, version, position),
            document_id=document_id,
            document_version=version,
            text=piece,
            position=position,
            metadata=dict(metadata),
        )
        for position, piece in enumerate(texts)
    ]
