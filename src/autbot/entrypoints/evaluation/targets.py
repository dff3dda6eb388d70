"""Where ``autbot eval`` ingests and searches: in this process (the use cases built by the container from
settings, as the server builds them) or a running server (its public HTTP API)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from autbot.domain.auth import ANONYMOUS
from autbot.domain.errors import ConfigurationError
from autbot.domain.model import DocumentInput, SearchMode


class EvalTarget(Protocol):
    def documents(self, collection: str) -> int:
        """Documents stored in the collection (0 if it does not exist)."""
        ...

    def ingest(self, collection: str, documents: Sequence[DocumentInput]) -> None: ...

    def search(
        self,
        collection: str,
        query: str,
        *,
        top_k: int,
        mode: SearchMode,
        alpha: float | None,
        rerank: bool,
        min_vector_score: float | None = None,
    ) -> list[str]:
        """Document ids of the hits, best first (one per chunk hit: repeats possible)."""
        ...

    def drop(self, collection: str) -> None: ...

    def close(self) -> None: ...


class InProcessTarget:
    """The real ingestion and search use cases, built from settings by the container, called as the operator
    (every collection)."""

    def __init__(self, container: Any) -> None:
        self._container = container
        self._ingest = container.ingest_documents()
        self._search = container.search_chunks()

    def documents(self, collection: str) -> int:
        from autbot.domain.errors import CollectionNotFound
        from autbot.use_cases.documents import ListDocumentsRequest

        try:
            ref = ListDocumentsRequest(principal=ANONYMOUS, collection=collection, limit=1)
            page = self._container.list_documents().execute(ref)
        except CollectionNotFound:
            return 0
        return int(page.total)

    def ingest(self, collection: str, documents: Sequence[DocumentInput]) -> None:
        from autbot.use_cases.ingest import IngestRequest

        self._ingest.execute(IngestRequest(principal=ANONYMOUS, collection=collection, documents=tuple(documents)))

    def search(
        self,
        collection: str,
        query: str,
        *,
        top_k: int,
        mode: SearchMode,
        alpha: float | None,
        rerank: bool,
        min_vector_score: float | None = None,
    ) -> list[str]:
        from autbot.domain.retrieval import RetrievalOptions
        from autbot.use_cases.search import SearchRequest

        options = RetrievalOptions(mode=mode, top_k=top_k, alpha=alpha, min_vector_score=min_vector_score)
        request = SearchRequest(
            principal=ANONYMOUS, collection=collection, query=query, retrieval=options, rerank=rerank
        )
        return [h.chunk.document_id for h in self._search.execute(request)]

    def drop(self, collection: str) -> None:
        from autbot.use_cases.documents import CollectionRef

        self._container.delete_collection().execute(CollectionRef(principal=ANONYMOUS, collection=collection))

    def close(self) -> None:
        self._container.shutdown_resources()


class HttpTarget:
    """A running server, through the public API (``Authorization: Bearer $AUTBOT_API_KEY`` if set)."""

    def __init__(self, url: str, *, api_key: str | None, timeout_s: float, client: Any = None) -> None:
        """``client``: an ``httpx.Client`` to use instead of a new one (tests hand in an in-process app's)."""
        import httpx

        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = client or httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=timeout_s)

    def documents(self, collection: str) -> int:
        r = self._http.get(f"/v1/collections/{collection}/documents", params={"limit": 1})
        if r.status_code == 404:
            return 0
        return int(self._ok(r).json()["total"])

    def ingest(self, collection: str, documents: Sequence[DocumentInput]) -> None:
        body = {"documents": [{"id": d.id, "title": d.title, "text": d.text} for d in documents]}
        self._ok(self._http.post(f"/v1/collections/{collection}/documents", json=body))

    def search(
        self,
        collection: str,
        query: str,
        *,
        top_k: int,
        mode: SearchMode,
        alpha: float | None,
        rerank: bool,
        min_vector_score: float | None = None,
    ) -> list[str]:
        body: dict[str, Any] = {"query": query, "top_k": top_k, "mode": mode.value}
        if alpha is not None:
            body["alpha"] = alpha
        if rerank or min_vector_score is not None:
            raise ConfigurationError("--rerank and --min-score work in-process only: the search API has neither.")
        r = self._ok(self._http.post(f"/v1/collections/{collection}/search", json=body))
        return [str(hit["document_id"]) for hit in r.json()["results"]]

    def put_golden_set(self, collection: str, body: dict[str, Any]) -> None:
        self._ok(self._http.put(f"/v1/collections/{collection}/golden-set", json=body))

    def evaluate(self, collection: str, *, mode: str) -> dict[str, Any]:
        """The server runs the collection's golden set: its evaluation, as the server answered it."""
        r = self._ok(self._http.post(f"/v1/collections/{collection}/evaluations", json={"mode": mode}))
        found: dict[str, Any] = r.json()
        return found

    def drop(self, collection: str) -> None:
        r = self._http.delete(f"/v1/collections/{collection}")
        if r.status_code != 404:
            self._ok(r)

    def close(self) -> None:
        self._http.close()

    @staticmethod
    def _ok(r: Any) -> Any:
        if r.status_code >= 400:
            from autbot.domain.errors import DependencyUnavailable

            try:
                body = r.json()
                what = f"{body.get('code')}: {body.get('detail')}"
            except ValueError:
                what = f"HTTP {r.status_code}"
            raise DependencyUnavailable(f"The server answered {r.request.method} {r.request.url.path} with {what}")
        return r
