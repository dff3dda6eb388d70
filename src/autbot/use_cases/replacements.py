"""Finishing document replacements: removing a replaced version's chunks once the registry has switched.

A replacement is written in four steps (``IngestDocuments``): the new version's chunks, the registry's
switch (the record names the replaced version), the removal of the replaced version's chunks, and the
record forgetting the replaced version. A crash, or a store that fails, between the second and the last
leaves old chunks behind. Search never shows them (only the live version is visible), but they are
counted, take search slots and hold text that was meant to be gone, so they are removed here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from autbot.domain.model import Document
from autbot.ports.chunk_index import ChunkIndex
from autbot.ports.document_locks import DocumentLocks
from autbot.ports.document_registry import DocumentRegistry
from autbot.ports.generation_store import GenerationStore
from autbot.use_cases.generation_targets import every_index

BATCH = 100
"""Replacements finished per registry read and lock."""


def finish_replacements(
    chunks: ChunkIndex, registry: DocumentRegistry, records: Sequence[Document], indexes: Sequence[str] = ()
) -> None:
    """Remove every chunk of these documents but their live version's (in each of ``indexes``, the chunk-index
    collections of the collection's generations; else its own name), then clear their replaced version.
    The caller holds the documents' locks; each step is idempotent, so a crash mid-way only repeats it."""
    for record in records:
        for index in indexes or (record.collection,):
            chunks.delete(index, record.id, keep_version=record.version)
    registry.forget_replaced(records)


@dataclass(frozen=True, slots=True, kw_only=True)
class FinishedReplacements:
    documents: int
    collections: int


class FinishReplacements:
    """Finish the replacements a crash or a failing store cut short, in every collection.

    Rules:
    - A document whose record still names a replaced version loses every chunk but its live version's,
      then its record forgets the replaced version.
    - Each document is handled under its lock, from a fresh read of its record: one rewritten or deleted
      meanwhile is left to the writer that did it.
    - Run on start; the next write of such a document finishes it too.
    """

    def __init__(
        self,
        *,
        chunks: ChunkIndex,
        registry: DocumentRegistry,
        locks: DocumentLocks,
        generations: GenerationStore | None = None,
    ) -> None:
        self._chunks = chunks
        self._registry = registry
        self._locks = locks
        self._generations = generations

    def execute(self) -> FinishedReplacements:
        documents = collections = 0
        for info in self._registry.list_collections():
            done = self._collection(info.name, every_index(self._generations, info))
            documents += done
            collections += 1 if done else 0
        return FinishedReplacements(documents=documents, collections=collections)

    def _collection(self, collection: str, indexes: list[str]) -> int:
        done: set[str] = set()
        while batch := [d for d in self._registry.replaced_documents(collection, limit=BATCH) if d.id not in done]:
            ids = [d.id for d in batch]
            with self._locks.hold(collection, ids):
                fresh = self._registry.get_documents(collection, ids)
                finish_replacements(
                    self._chunks,
                    self._registry,
                    [d for d in fresh.values() if d.previous_version is not None],
                    indexes,
                )
            done.update(ids)  # a record that could not be cleared is not taken again in this run
        return len(done)
