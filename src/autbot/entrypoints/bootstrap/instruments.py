"""Ports wrapped at the composition root: a span and a stage timing per call, error counts, and, for the
upstreams (vector store, language model), a circuit breaker and a bulkhead.

Use cases and adapters know nothing of this: ``instrument`` swaps the container's adapters for these
wrappers, which implement the same ports and forward everything else.
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Sequence
from typing import TYPE_CHECKING, Any

from autbot.domain.answers import ChatMessage, Completion, CompletionDelta, GenerationParams
from autbot.domain.errors import (
    EmbedderUnavailable,
    IndexUnavailable,
    LanguageModelUnavailable,
)
from autbot.domain.model import Chunk, ChunkQuery, HealthStatus, SearchHit, SearchMode
from autbot.domain.resilience import BreakerState, CircuitBreaker
from autbot.entrypoints.bootstrap.injection import providers
from autbot.entrypoints.bootstrap.resilience import Guard
from autbot.entrypoints.observability.telemetry import Telemetry
from autbot.ports.chunk_index import ChunkIndex
from autbot.ports.document_reader import DocumentReader, ReadDocument
from autbot.ports.embedder import Embedder, EmbedderCatalogue
from autbot.ports.language_model import LanguageModel
from autbot.ports.text_splitter import TextSplitter

if TYPE_CHECKING:
    from autbot.entrypoints.bootstrap.container import Container


class ObservedEmbedder:
    def __init__(self, inner: Embedder, guard: Guard) -> None:
        self.inner, self.guard = inner, guard

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        with self.guard.telemetry.stage("embed", **{"autbot.texts": len(texts)}):
            return self.guard.run(lambda: self.inner.embed(texts))

    def health(self) -> HealthStatus:
        return self.inner.health()


class ObservedEmbedderCatalogue:
    """Each model's embedders, observed (one wrapper per embedder, made once)."""

    def __init__(self, inner: EmbedderCatalogue, guard: Guard) -> None:
        self.inner, self.guard = inner, guard
        self._wrapped: dict[int, ObservedEmbedder] = {}

    @property
    def default_model(self) -> str:
        return self.inner.default_model

    def served(self) -> tuple[str, ...]:
        return self.inner.served()

    def passages(self, model: str) -> Embedder:
        return self._observed(self.inner.passages(model))

    def queries(self, model: str) -> Embedder:
        return self._observed(self.inner.queries(model))

    def _observed(self, embedder: Embedder) -> Embedder:
        found = self._wrapped.get(id(embedder))
        if found is None or found.inner is not embedder:
            found = self._wrapped[id(embedder)] = ObservedEmbedder(embedder, self.guard)
        return found


class ObservedChunkIndex:
    def __init__(self, inner: ChunkIndex, guard: Guard) -> None:
        self.inner, self.guard = inner, guard

    @property
    def search_modes(self) -> frozenset[SearchMode]:
        return self.inner.search_modes

    def ensure(self, collection: str) -> None:
        self.guard.run(lambda: self.inner.ensure(collection))

    def drop(self, collection: str) -> None:
        self.guard.run(lambda: self.inner.drop(collection))

    def upsert(self, collection: str, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> None:
        self.guard.run(lambda: self.inner.upsert(collection, chunks, vectors))
        m = self.guard.telemetry.metrics
        m.chunks.inc(len(chunks))
        m.documents.inc(len({c.document_id for c in chunks if c.position == 0}))

    def delete(self, collection: str, document_id: str, *, keep_version: str | None = None) -> None:
        self.guard.run(lambda: self.inner.delete(collection, document_id, keep_version=keep_version))

    def search(self, collection: str, query: ChunkQuery) -> list[SearchHit]:
        with self.guard.telemetry.stage("retrieve", **{"autbot.top_k": query.top_k}):
            return self.guard.run(lambda: self.inner.search(collection, query))

    def count(self, collection: str) -> int:
        return self.guard.run(lambda: self.inner.count(collection))

    def health(self) -> HealthStatus:
        return self.guard.health(self.inner.health())

    def close(self) -> None:
        return None  # the container closes the adapter itself


class ObservedReader:
    def __init__(self, inner: DocumentReader, telemetry: Telemetry) -> None:
        self.inner, self.telemetry = inner, telemetry

    @property
    def accepted(self) -> tuple[str, ...]:
        return self.inner.accepted

    def read(self, data: bytes, *, media_type: str | None, filename: str | None) -> ReadDocument:
        with self.telemetry.stage("parse", **{"autbot.bytes": len(data)}):
            return self.inner.read(data, media_type=media_type, filename=filename)


class ObservedSplitter:
    def __init__(self, inner: TextSplitter, telemetry: Telemetry) -> None:
        self.inner, self.telemetry = inner, telemetry

    def split(self, text: str) -> list[str]:
        with self.telemetry.stage("split", **{"autbot.chars": len(text)}):
            return self.inner.split(text)


class ObservedLanguageModel:
    """The generate stage with GenAI semantic-convention attributes, time to first token, token counts."""

    def __init__(self, inner: LanguageModel, guard: Guard) -> None:
        self.inner, self.guard = inner, guard
        self._t = guard.telemetry

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    def _attributes(self, params: GenerationParams) -> dict[str, Any]:
        return {
            "gen_ai.system": self._t.system,
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": self.inner.model_id,
            "gen_ai.request.max_tokens": params.max_tokens,
            "gen_ai.request.temperature": params.temperature,
        }

    def _usage(self, span: Any, model: str, prompt: int, completion: int) -> None:
        span.set_attribute("gen_ai.response.model", model)
        span.set_attribute("gen_ai.usage.input_tokens", prompt)
        span.set_attribute("gen_ai.usage.output_tokens", completion)
        self._t.metrics.token_child(model, "prompt").inc(prompt)
        self._t.metrics.token_child(model, "completion").inc(completion)

    async def complete(self, messages: Sequence[ChatMessage], params: GenerationParams) -> Completion:
        with self._t.stage("generate", **self._attributes(params)) as span:
            self.guard.admit()
            try:
                completion = await self.inner.complete(messages, params)
            except BaseException as e:
                self.guard.outcome(e)
                raise
            self.guard.outcome(None)
            u = completion.usage
            self._usage(span, completion.model, u.prompt_tokens, u.completion_tokens)
            return completion

    async def stream(
        self, messages: Sequence[ChatMessage], params: GenerationParams
    ) -> AsyncGenerator[CompletionDelta, None]:
        # The span is not made current: a generator's steps may run in other contexts than its start.
        span = self._t.tracer.start_span("generate", attributes=self._attributes(params))
        started = time.perf_counter()
        first = True
        failed: BaseException | None = None
        try:
            self.guard.admit()
            async with _closing(self.inner.stream(messages, params)) as deltas:
                async for delta in deltas:
                    if first and delta.text:
                        first = False
                        self._t.metrics.first_token.observe(time.perf_counter() - started)
                    if delta.usage is not None:
                        u = delta.usage
                        self._usage(span, self.inner.model_id, u.prompt_tokens, u.completion_tokens)
                    yield delta
        except BaseException as e:
            failed = e
            if not isinstance(e, GeneratorExit):
                span.record_exception(e)
            raise
        finally:
            self.guard.outcome(failed)
            self._t.metrics.stage_child("generate").observe(time.perf_counter() - started)
            span.end()

    def health(self) -> HealthStatus:
        return self.guard.health(self.inner.health())

    def close(self) -> None:
        return None  # the container closes the adapter itself

    async def aclose(self) -> None:
        await self.inner.aclose()


class _closing:
    """``contextlib.aclosing`` for an async generator typed by the port."""

    def __init__(self, gen: AsyncGenerator[CompletionDelta, None]) -> None:
        self.gen = gen

    async def __aenter__(self) -> AsyncGenerator[CompletionDelta, None]:
        return self.gen

    async def __aexit__(self, *exc: object) -> None:
        await self.gen.aclose()


def instrument(container: Container, telemetry: Telemetry) -> None:
    """Swap the container's adapters for observed, guarded ones (before any use case is built)."""
    r = container.settings().resilience
    m = telemetry.metrics

    def breaker(name: str) -> CircuitBreaker:
        m.circuit_changed(name, BreakerState.CLOSED)
        return CircuitBreaker(
            name, failure_threshold=r.breaker_failures, cooldown_s=r.breaker_cooldown_s, on_change=m.circuit_changed
        )

    index = Guard(
        "index",
        telemetry,
        breaker("index"),
        IndexUnavailable,
        slots=r.index_max_concurrent,
        wait_s=r.index_queue_timeout_s,
    )
    llm = Guard("llm", telemetry, breaker("llm"), LanguageModelUnavailable)
    embedder = Guard("embedder", telemetry, None, EmbedderUnavailable)
    wrapped = {
        "embedders": ObservedEmbedderCatalogue(container.embedders(), embedder),
        "chunk_index": ObservedChunkIndex(container.chunk_index(), index),
        "llm": ObservedLanguageModel(container.llm(), llm),
        "reader": ObservedReader(container.reader(), telemetry),
        "splitter": ObservedSplitter(container.splitter(), telemetry),
    }
    for name, obj in wrapped.items():
        getattr(container, name).override(providers.Object(obj))
