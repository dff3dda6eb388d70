"""In-memory generation records and source texts: the fake, beside the in-memory registry whose collection
record it switches."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Protocol

from autbot.domain.errors import CollectionNotFound
from autbot.domain.generations import Generation


class Pointable(Protocol):
    """The in-memory registry's switch of a collection's record (``InMemoryDocumentRegistry.point_to``)."""

    def point_to(self, name: str, embedding_model: str, dimension: int, generation: int) -> bool: ...


class InMemoryGenerationStore:
    def __init__(self, registry: Pointable) -> None:
        self._registry = registry
        self._generations: dict[tuple[str, int], Generation] = {}
        self._sources: dict[tuple[str, str], tuple[str, str]] = {}
        self._lock = threading.Lock()

    def generations(self, collection: str) -> list[Generation]:
        with self._lock:
            return sorted((g for (c, _), g in self._generations.items() if c == collection), key=lambda g: g.number)

    def put_generation(self, generation: Generation) -> None:
        with self._lock:
            self._generations[(generation.collection, generation.number)] = generation

    def switch(self, live: Generation, others: Sequence[Generation]) -> None:
        with self._lock:
            if not self._registry.point_to(live.collection, live.embedding_model, live.dimension, live.number):
                raise CollectionNotFound(f"Collection '{live.collection}' is not recorded.", collection=live.collection)
            for g in (live, *others):
                self._generations[(g.collection, g.number)] = g

    def remove_generation(self, collection: str, number: int) -> None:
        with self._lock:
            self._generations.pop((collection, number), None)

    def put_source(self, collection: str, document_id: str, version: str, text: str) -> None:
        with self._lock:
            self._sources[(collection, document_id)] = (version, text)

    def sources(self, collection: str, document_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        with self._lock:
            return {i: self._sources[(collection, i)] for i in document_ids if (collection, i) in self._sources}

    def remove_sources(self, collection: str, document_ids: Sequence[str] | None = None) -> None:
        with self._lock:
            keys = [k for k in self._sources if k[0] == collection and (document_ids is None or k[1] in document_ids)]
            for k in keys:
                del self._sources[k]
