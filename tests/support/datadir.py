"""A small data directory's contents and what to read back from it: shared by the fixture script (run on the
released code) and the migration and backup tests (run on this code). Imports only AutBot APIs both have."""

from __future__ import annotations

from pathlib import Path
from typing import Any

COLLECTIONS = {"handbook": 6, "faq-2": 4}
QUERIES = ("glaciers melting in spring", "invoice payment terms", "document three about rivers")
MODES = ("vector", "keyword", "hybrid")
KEY_NAMES = ("reader", "writer")
SESSION_ID = "s-fixture-0001"
FOREVER_S = 100 * 365 * 86400.0
"""Session time to live when reading a fixture back: its sessions were written long ago."""

_TOPICS = ("glaciers", "invoices", "rivers", "payment terms", "spring floods", "mountain huts")


def text(collection: str, n: int) -> str:
    topic = _TOPICS[n % len(_TOPICS)]
    return " ".join(f"Document {n} of {collection} sentence {i} is about {topic} in spring." for i in range(12))


def stores(data_dir: Path, *, sessions_ttl_s: float | None = None) -> dict[str, Any]:
    """The embedded stores of ``data_dir``, opened as the server opens them (``close_all`` closes them)."""
    from autbot.adapters.chunk_index.chroma import ChromaChunkIndex
    from autbot.adapters.keys.sqlite import SqliteKeyStore
    from autbot.adapters.registry.sqlite import SqliteDocumentRegistry
    from autbot.adapters.sessions.sqlite import SqliteSessionStore
    from autbot.domain import limits

    ttl_s = limits.SESSION_TTL_S if sessions_ttl_s is None else sessions_ttl_s
    return {
        "chunks": ChromaChunkIndex(path=str(data_dir / "index")),
        "registry": SqliteDocumentRegistry(data_dir / "index" / "registry.sqlite3"),
        "keys": SqliteKeyStore(data_dir / "keys.sqlite3"),
        "sessions": SqliteSessionStore(data_dir / "sessions.sqlite3", ttl_s=ttl_s),
    }


def close_all(opened: dict[str, Any]) -> None:
    for store in opened.values():
        store.close()


def use_cases(opened: dict[str, Any]) -> tuple[Any, Any]:
    from autbot.adapters.embedders.catalogue import StaticEmbedderCatalogue
    from autbot.adapters.embedders.hashing import HashingEmbedder
    from autbot.adapters.locks.in_process import InProcessDocumentLocks
    from autbot.adapters.splitters.llama_index import LlamaIndexTextSplitter
    from autbot.use_cases.ingest import IngestDocuments
    from autbot.use_cases.search import SearchChunks

    emb = StaticEmbedderCatalogue.single(HashingEmbedder(dimension=64))
    ingest = IngestDocuments(
        embedders=emb,
        chunks=opened["chunks"],
        registry=opened["registry"],
        splitter=LlamaIndexTextSplitter(chunk_size=64, chunk_overlap=8),
        locks=InProcessDocumentLocks(),
    )
    return ingest, SearchChunks(embedders=emb, chunks=opened["chunks"], registry=opened["registry"])


def ingest(ingester: Any, collection: str, ids: list[str], texts: list[str]) -> None:
    from autbot.domain.auth import ANONYMOUS
    from autbot.domain.model import DocumentInput
    from autbot.use_cases.ingest import IngestRequest

    pairs = enumerate(zip(ids, texts, strict=True))
    docs = tuple(DocumentInput(id=i, text=t, metadata={"n": n}) for n, (i, t) in pairs)
    ingester.execute(IngestRequest(principal=ANONYMOUS, collection=collection, documents=docs))


def search_results(searcher: Any) -> dict[str, list[list[Any]]]:
    """Every query in every mode on every collection: the hits' chunk ids and document ids, in order."""
    from autbot.domain.auth import ANONYMOUS
    from autbot.domain.model import SearchMode
    from autbot.domain.retrieval import RetrievalOptions
    from autbot.use_cases.search import SearchRequest

    out: dict[str, list[list[Any]]] = {}
    for collection in COLLECTIONS:
        for mode in MODES:
            for query in QUERIES:
                options = RetrievalOptions(mode=SearchMode(mode), top_k=5)
                request = SearchRequest(principal=ANONYMOUS, collection=collection, query=query, retrieval=options)
                hits = searcher.execute(request)
                out[f"{collection}|{mode}|{query}"] = [[h.chunk.id, h.chunk.document_id] for h in hits]
    return out


def documents(registry: Any) -> dict[str, list[list[Any]]]:
    """Each collection's documents: id, version and chunk count."""
    return {
        c: [[d.id, d.version, d.chunk_count] for d in registry.list_documents(c, offset=0, limit=1000)[0]]
        for c in COLLECTIONS
    }


def keys(store: Any) -> list[list[Any]]:
    return [[k.key_id, k.name, k.secret_hash, k.revoked_at is None] for k in store.list()]


def session(store: Any) -> list[Any]:
    s = store.get(SESSION_ID)
    return [] if s is None else [s.owner, s.collection, s.title, [[m.role, m.content] for m in s.messages]]
