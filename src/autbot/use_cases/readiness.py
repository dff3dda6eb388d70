from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass

from autbot.domain.model import HealthStatus
from autbot.ports.embedder import Embedder
from autbot.ports.language_model import LanguageModel
from autbot.ports.vector_index import VectorIndex


@dataclass(frozen=True, slots=True, kw_only=True)
class Readiness:
    ready: bool
    checks: dict[str, HealthStatus]


class CheckReadiness:
    """Ready only when the embedder, the vector index and the language model all answer."""

    def __init__(self, *, embedder: Embedder, index: VectorIndex, llm: LanguageModel, timeout_s: float = 5.0) -> None:
        self._embedder = embedder
        self._index = index
        self._llm = llm
        self._timeout_s = timeout_s

    async def execute(self) -> Readiness:
        checks = {
            "embedder": await self._guard(asyncio.to_thread(self._embedder.health)),
            "vector_index": await self._guard(asyncio.to_thread(self._index.health)),
            "language_model": await self._guard(self._llm.health()),
        }
        return Readiness(ready=all(c.ok for c in checks.values()), checks=checks)

    async def _guard(self, check: Awaitable[HealthStatus]) -> HealthStatus:
        try:
            return await asyncio.wait_for(check, self._timeout_s)
        except TimeoutError:
            return HealthStatus(ok=False, detail=f"no answer within {self._timeout_s} s")
        except Exception as e:  # a health check reports, it never raises
            return HealthStatus(ok=False, detail=f"{type(e).__name__}: {e}")
