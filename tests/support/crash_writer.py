"""Run one ingestion with the real adapters of a profile and stop it dead between the registry's switch and
the replaced chunks' removal, so that a test can ``kill -9`` the process exactly there.

    python -m tests.support.crash_writer COLLECTION DOCUMENT_ID TEXT_FILE READY_FILE

The settings come from the environment as ``autbot serve`` reads them (same data directory, same backends).
The one stand-in is test code: the chunk index is the configured one wrapped so that its ``delete`` (the
step after the switch) writes READY_FILE and then blocks. Production code has no crash point and no idea
it is being tested; the process is killed by a real SIGKILL while the real use case is inside its commit."""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from autbot.domain.auth import ANONYMOUS
from autbot.domain.model import Chunk, ChunkQuery, DocumentInput, HealthStatus, SearchHit, SearchMode
from autbot.entrypoints.bootstrap.container import build_container
from autbot.entrypoints.bootstrap.injection import providers
from autbot.entrypoints.settings import load_settings
from autbot.ports.chunk_index import ChunkIndex
from autbot.use_cases.ingest import IngestRequest


class StopsAtDelete:
    """The configured chunk index, except that ``delete`` announces itself and never returns."""

    def __init__(self, inner: ChunkIndex, ready: Path) -> None:
        self.inner, self.ready = inner, ready

    @property
    def search_modes(self) -> frozenset[SearchMode]:
        return self.inner.search_modes

    def ensure(self, collection: str) -> None:
        self.inner.ensure(collection)

    def drop(self, collection: str) -> None:
        self.inner.drop(collection)

    def upsert(self, collection: str, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> None:
        self.inner.upsert(collection, chunks, vectors)

    def delete(self, collection: str, document_id: str, *, keep_version: str | None = None) -> None:
        self.ready.write_text(f"{collection} {document_id} {keep_version}\n")
        threading.Event().wait()  # until SIGKILL

    def search(self, collection: str, query: ChunkQuery) -> list[SearchHit]:
        return self.inner.search(collection, query)

    def count(self, collection: str) -> int:
        return self.inner.count(collection)

    def health(self) -> HealthStatus:
        return self.inner.health()


def main(collection: str, document_id: str, text_file: str, ready_file: str) -> None:
    container = build_container(load_settings())
    container.chunk_index.override(providers.Object(StopsAtDelete(container.chunk_index(), Path(ready_file))))
    doc = DocumentInput(id=document_id, text=Path(text_file).read_text(encoding="utf-8"))
    container.ingest_documents().execute(IngestRequest(principal=ANONYMOUS, collection=collection, documents=(doc,)))
    raise SystemExit("the ingestion returned: the chunk index's delete was never called")


if __name__ == "__main__":
    main(*sys.argv[1:5])
