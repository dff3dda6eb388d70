"""A collection's index generations as operators see them: listed, switched to, rolled back, swept.

Shared rules (``domain.generations``): switching the live generation is one write of the registry (the
collection's record then names the new generation's model, so searches embed with it from the next request);
the generation that was live becomes ``previous`` and is kept for ``jobs.reindex_retention_s``; every generation but a
failed one receives each write, so a switch never loses one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from autbot.domain import limits
from autbot.domain.auth import Principal
from autbot.domain.errors import CollectionNotFound, GenerationNotActivatable, GenerationNotFound, RollbackUnavailable
from autbot.domain.generations import Generation, GenerationState, first_generation
from autbot.domain.model import CollectionInfo
from autbot.ports.chunk_index import ChunkIndex
from autbot.ports.document_registry import DocumentRegistry
from autbot.ports.generation_store import GenerationStore
from autbot.ports.job_store import JobStore


def current_generations(store: GenerationStore, info: CollectionInfo, now: float) -> list[Generation]:
    """The collection's generations; a collection from before generations gets its record of generation 0."""
    found = store.generations(info.name)
    if not any(g.state is GenerationState.LIVE for g in found):
        live = first_generation(info.name, info.embedding_model, info.dimension, now)
        store.put_generation(live)
        found = [live, *found]
    return found


def switch_to(
    store: GenerationStore,
    generations: list[Generation],
    target: Generation,
    now: float,
    retain_s: float,
    reason: str | None = None,
) -> Generation:
    """Make ``target`` live in one write (``reason``: why, when the gate decided); the live one becomes
    ``previous`` (kept ``retain_s``); an older ``previous`` becomes ``held`` (kept as long as it was to be)."""
    live = replace(target, state=GenerationState.LIVE, activated_at=now, retained_until=None, reason=reason)
    others = []
    for g in generations:
        if g.number == target.number:
            continue
        if g.state is GenerationState.LIVE:
            others.append(replace(g, state=GenerationState.PREVIOUS, retained_until=now + retain_s))
        elif g.state is GenerationState.PREVIOUS:
            others.append(replace(g, state=GenerationState.HELD))
    store.switch(live, others)
    return live


@dataclass(frozen=True, slots=True, kw_only=True)
class GenerationRef:
    principal: Principal
    collection: str
    number: int | None = None
    """The generation to switch to (``ActivateGeneration``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CollectionView:
    info: CollectionInfo
    generations: list[Generation]


class _Generations:
    def __init__(
        self,
        *,
        registry: DocumentRegistry,
        generations: GenerationStore,
        retention_s: float = limits.GENERATION_RETENTION_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._registry = registry
        self._store = generations
        self._retention_s = retention_s
        self._clock = clock

    def _load(self, principal: Principal, name: str) -> tuple[CollectionInfo, list[Generation]]:
        collection = principal.visible_collection(name)
        info = self._registry.get_collection(collection)
        if info is None:
            raise CollectionNotFound(f"Collection '{collection}' does not exist.", collection=collection)
        return info, current_generations(self._store, info, self._clock())


class DescribeCollection(_Generations):
    """A collection: its live generation's embedding model and every generation it keeps (number, model,
    chunking, state, times, golden-set figures). 404 if the collection does not exist for the caller."""

    def execute(self, request: GenerationRef) -> CollectionView:
        info, generations = self._load(request.principal, request.collection)
        return CollectionView(info=info, generations=generations)


class ActivateGeneration(_Generations):
    """Switch the collection's live generation to a built one (``held`` or ``previous``), whatever the gate said.

    Rules:
    - The switch is one registry write; the generation that was live becomes ``previous`` for ``retention_s``.
    - A generation still building, or failed, is refused (409 ``generation_not_activatable``); an unknown number
      is 404 ``generation_not_found``; the live one is returned as it is.
    """

    def execute(self, request: GenerationRef) -> Generation:
        info, generations = self._load(request.principal, request.collection)
        target = next((g for g in generations if g.number == request.number), None)
        if target is None:
            raise GenerationNotFound(
                f"Collection '{info.name}' has no generation {request.number}.", collection=info.name
            )
        if target.state is GenerationState.LIVE:
            return target
        if target.state in (GenerationState.BUILDING, GenerationState.FAILED):
            raise GenerationNotActivatable(
                f"Generation {target.number} of '{info.name}' is {target.state.value}: only a built one can go live.",
                collection=info.name,
                state=target.state.value,
            )
        return switch_to(self._store, generations, target, self._clock(), self._retention_s)


class RollBack(_Generations):
    """Switch back to the ``previous`` generation (the one live before the last switch) while it is kept; the
    generation live until now becomes ``previous`` in turn. 409 ``rollback_unavailable`` when there is none."""

    def execute(self, request: GenerationRef) -> Generation:
        info, generations = self._load(request.principal, request.collection)
        target = next((g for g in generations if g.state is GenerationState.PREVIOUS), None)
        if target is None:
            raise RollbackUnavailable(
                f"Collection '{info.name}' keeps no previous generation to roll back to.", collection=info.name
            )
        return switch_to(self._store, generations, target, self._clock(), self._retention_s)


@dataclass(frozen=True, slots=True, kw_only=True)
class Swept:
    generations: int


class SweepGenerations:
    """Drop the generations whose retention ended (``previous``, ``held`` and ``failed`` ones past their
    ``retained_until``): their chunks, then their record. Live generations are never dropped, nor one still
    building, unless its job ended without finishing it (cancelled while queued: no worker ever ran it) or is gone:
    that one is marked failed and dropped, so writes stop reaching it."""

    def __init__(
        self,
        *,
        registry: DocumentRegistry,
        generations: GenerationStore,
        chunks: ChunkIndex,
        jobs: JobStore | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._registry = registry
        self._store = generations
        self._chunks = chunks
        self._jobs = jobs
        self._clock = clock

    def execute(self) -> Swept:
        now = self._clock()
        dropped = 0
        for info in self._registry.list_collections():
            for g in self._store.generations(info.name):
                g = self._settled(g, now)
                if _expired(g, now) and g.number != info.generation:
                    self._chunks.drop(g.index_name)
                    self._store.remove_generation(info.name, g.number)
                    dropped += 1
        return Swept(generations=dropped)

    def _settled(self, g: Generation, now: float) -> Generation:
        if self._jobs is None or g.state is not GenerationState.BUILDING or g.job_id is None:
            return g
        job = self._jobs.get(g.job_id)
        if job is not None and not job.terminal:
            return g
        if job is None and now - g.created_at < limits.ABANDONED_BUILD_GRACE_S:
            return g  # its job record may not be written yet (the generation is recorded first)
        why = "its job is gone" if job is None else f"its job ended {job.state.value} before the build did"
        failed = replace(g, state=GenerationState.FAILED, reason=why, retained_until=now)
        self._store.put_generation(failed)
        return failed


def _expired(g: Generation, now: float) -> bool:
    kept = (GenerationState.PREVIOUS, GenerationState.HELD, GenerationState.FAILED)
    return g.state in kept and g.retained_until is not None and g.retained_until <= now
