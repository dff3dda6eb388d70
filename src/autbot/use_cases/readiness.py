from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from autbot.domain.model import HealthStatus
from autbot.domain.secrets import redact_url
from autbot.ports.chunk_index import ChunkIndex
from autbot.ports.document_registry import DocumentRegistry
from autbot.ports.embedder import Embedder
from autbot.ports.language_model import LanguageModel


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadinessRequest:
    """Check every dependency (no parameters)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Readiness:
    ready: bool
    checks: dict[str, HealthStatus]


class CheckReadiness:
    """Ready only when the embedder, the vector index (chunks and registry) and the language model all
    answer, each within its own timeout. A check reports; it never raises. Details never show credentials
    (URL userinfo and query tokens are hidden: ``domain.secrets.redact_url``)."""

    def __init__(
        self,
        *,
        embedder: Embedder,
        chunks: ChunkIndex,
        registry: DocumentRegistry,
        llm: LanguageModel,
        timeout_s: float = 5.0,
    ) -> None:
        self._embedder = embedder
        self._chunks = chunks
        self._registry = registry
        self._llm = llm
        self._timeout_s = timeout_s

    async def execute(self, request: ReadinessRequest) -> Readiness:
        embedder, chunks, registry, llm = await asyncio.gather(
            self._check(self._embedder.health),
            self._check(self._chunks.health),
            self._check(self._registry.health),
            self._check(self._llm.health),
        )
        index = (
            chunks
            if chunks.detail == registry.detail
            else HealthStatus(ok=chunks.ok and registry.ok, detail=f"{chunks.detail}; {registry.detail}")
        )
        checks = {"embedder": embedder, "vector_index": index, "language_model": llm}
        return Readiness(ready=all(c.ok for c in checks.values()), checks=checks)

    async def _check(self, health: Callable[[], HealthStatus]) -> HealthStatus:
        try:
            status = await asyncio.wait_for(asyncio.to_thread(health), self._timeout_s)
        except TimeoutError:
            return HealthStatus(ok=False, detail=f"no answer within {self._timeout_s} s")
        except Exception as e:  # a health check reports, it never raises
            status = HealthStatus(ok=False, detail=f"{type(e).__name__}: {e}")
        return HealthStatus(ok=status.ok, detail=redact_url(status.detail))
