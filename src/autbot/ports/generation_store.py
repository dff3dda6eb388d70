from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from autbot.domain.generations import Generation


@runtime_checkable
class GenerationStore(Protocol):
    """The records of a collection's index generations and the documents' source texts, kept with the
    document registry (its file, or its cluster) so that switching the live generation and the collection's
    record is one write: a reader sees the old live generation (with its model) or the new one.

    It stores and reports; which generation may be switched to is the use cases' rule. Every method raises
    ``IndexUnavailable`` when the store cannot answer.
    """

    def generations(self, collection: str) -> list[Generation]:
        """The collection's generation records by number; none for a collection created before generations
        (its one generation is 0, live, as its record says)."""
        ...

    def put_generation(self, generation: Generation) -> None:
        """Insert or replace one generation's record (never the live pointer: see ``switch``)."""
        ...

    def switch(self, live: Generation, others: Sequence[Generation]) -> None:
        """In one write: ``live`` (state live) becomes the collection's live generation, its record names
        ``live``'s model, dimension and number, and each of ``others`` is written with its new state.
        ``CollectionNotFound`` if the collection is not recorded."""
        ...

    def remove_generation(self, collection: str, number: int) -> None:
        """Forget one generation's record (its chunks are the chunk index's)."""
        ...

    def put_source(self, collection: str, document_id: str, version: str, text: str) -> None:
        """Keep a document version's source text (replacing the document's earlier one)."""
        ...

    def sources(self, collection: str, document_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        """The kept (version, text) of each document among ``document_ids`` that has one."""
        ...

    def remove_sources(self, collection: str, document_ids: Sequence[str] | None = None) -> None:
        """Forget these documents' source texts; all of the collection's when None."""
        ...
