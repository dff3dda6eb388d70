"""Generations of a collection's index: each a full copy of its chunks, built with one embedder and one
chunking, in a chunk-index collection of its own (stdlib only).

A collection has one ``live`` generation (the one reads use), possibly one ``building`` (a re-index under way),
one ``previous`` (the live one before the last switch, kept for a retention period so one call rolls back),
``held`` ones (built but not switched to: the quality gate held them back) and ``failed`` ones. Every generation
that is not ``failed`` receives each write, so any of them can be switched to without losing one.

Generation 0 keeps the collection's own name in the chunk index (data from before generations needs no copy);
generation ``n`` lives under ``<name>.g<n>``, a name no collection can take (collection names have no dot).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from autbot.domain.golden_sets import GenerationFigures


class GenerationState(enum.StrEnum):
    BUILDING = "building"
    LIVE = "live"
    PREVIOUS = "previous"
    HELD = "held"
    FAILED = "failed"

    @property
    def receives_writes(self) -> bool:
        """A failed generation is never switched to: it gets no writes."""
        return self is not GenerationState.FAILED


@dataclass(frozen=True, slots=True, kw_only=True)
class Generation:
    collection: str
    number: int
    embedding_model: str
    dimension: int
    chunk_size: int | None = None
    """The splitter's chunk size for this generation; None: the server's setting."""
    chunk_overlap: int | None = None
    state: GenerationState
    created_at: float
    activated_at: float | None = None
    retained_until: float | None = None
    """When a ``previous`` or ``held`` generation may be dropped (the sweeper drops it after this)."""
    job_id: str | None = None
    reason: str | None = None
    """Why the gate held it back, or why it failed."""
    figures: GenerationFigures | None = None
    """Its scores on the collection's golden set, when the gate measured them."""

    @property
    def index_name(self) -> str:
        return index_name(self.collection, self.number)


def index_name(collection: str, number: int) -> str:
    """The chunk-index collection holding one generation's chunks."""
    return collection if number == 0 else f"{collection}.g{number}"


def first_generation(collection: str, embedding_model: str, dimension: int, now: float) -> Generation:
    """The generation a collection created before generations existed has: number 0, live."""
    return Generation(
        collection=collection,
        number=0,
        embedding_model=embedding_model,
        dimension=dimension,
        state=GenerationState.LIVE,
        created_at=now,
        activated_at=now,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class GateDecision:
    activate: bool
    reason: str


def gate(live: GenerationFigures | None, candidate: GenerationFigures | None, *, max_drop: float) -> GateDecision:
    """The quality gate: the candidate may score at most ``max_drop`` below the live generation's NDCG@10.
    Without figures (no golden set) it does not pass: an automatic switch needs evidence."""
    if live is None or candidate is None:
        return GateDecision(activate=False, reason="no_golden_set: the collection has no golden set to compare on")
    drop = live.ndcg_at_10 - candidate.ndcg_at_10
    if drop > max_drop:
        return GateDecision(
            activate=False,
            reason=(
                f"quality_gate: NDCG@10 {candidate.ndcg_at_10:.4f} is {drop:.4f} below the live "
                f"{live.ndcg_at_10:.4f}; the margin is {max_drop:.4f}"
            ),
        )
    return GateDecision(
        activate=True, reason=f"NDCG@10 {candidate.ndcg_at_10:.4f} against the live {live.ndcg_at_10:.4f}"
    )


def writable(generations: list[Generation]) -> list[Generation]:
    """The generations a write must reach, live first."""
    live = [g for g in generations if g.state is GenerationState.LIVE]
    return live + [g for g in generations if g.state.receives_writes and g.state is not GenerationState.LIVE]
