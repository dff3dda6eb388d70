"""The job workers' embedder pauses between slices while interactive work is in flight, and only then."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autbot.adapters.embedders.hashing import HashingEmbedder
from autbot.adapters.embedders.yielding import MAX_PAUSE_S, YieldingEmbedder
from autbot.domain.model import HealthStatus


class Clock:
    """Time that moves only when the embedder works (``per_text`` each) or pauses."""

    def __init__(self) -> None:
        self.now = 0.0
        self.pauses: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, s: float) -> None:
        self.pauses.append(s)
        self.now += s


class SlowEmbedder:
    def __init__(self, clock: Clock, per_text: float) -> None:
        self.inner = HashingEmbedder(dimension=8)
        self.clock, self.per_text = clock, per_text
        self.calls: list[int] = []

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.calls.append(len(texts))
        self.clock.now += self.per_text * len(texts)
        return self.inner.embed(texts)

    def health(self) -> HealthStatus:
        return self.inner.health()


def make(busy: bool, share: float, per_text: float = 0.01) -> tuple[YieldingEmbedder, SlowEmbedder, Clock]:
    clock = Clock()
    inner = SlowEmbedder(clock, per_text)
    e = YieldingEmbedder(inner, busy=lambda: busy, busy_share=share, slice_texts=8, sleep=clock.sleep, clock=clock)
    return e, inner, clock


def test_idle_it_never_pauses_and_gives_the_same_vectors() -> None:
    e, inner, clock = make(busy=False, share=0.5)
    texts = [f"text {i}" for i in range(20)]
    assert e.embed(texts) == HashingEmbedder(dimension=8).embed(texts)
    assert inner.calls == [8, 8, 4]
    assert clock.pauses == []
    assert e.paused_s == 0.0


def test_busy_it_works_at_most_its_share_of_the_time() -> None:
    e, _, clock = make(busy=True, share=0.4)
    e.embed([f"t{i}" for i in range(80)])
    working = 80 * 0.01
    assert clock.now == pytest.approx(working / 0.4)
    assert len(clock.pauses) == 10
    assert e.paused_s == pytest.approx(clock.now - working)


def test_a_pause_is_bounded() -> None:
    e, _, clock = make(busy=True, share=0.1, per_text=1.0)
    e.embed(["a"] * 8)
    assert clock.pauses == [MAX_PAUSE_S]


def test_share_one_passes_calls_through_whole() -> None:
    e, inner, clock = make(busy=True, share=1.0)
    e.embed(["a"] * 20)
    assert inner.calls == [20]
    assert clock.pauses == []


@pytest.mark.parametrize("share", [0.0, -0.5, 1.5])
def test_a_share_outside_zero_to_one_is_refused(share: float) -> None:
    with pytest.raises(ValueError, match="busy_share"):
        make(busy=True, share=share)


@settings(deadline=None)
@given(n=st.integers(0, 60), share=st.floats(0.05, 1.0))
def test_every_text_gets_its_own_vector_in_order(n: int, share: float) -> None:
    e, _, _ = make(busy=True, share=share)
    texts = [f"text number {i}" for i in range(n)]
    assert e.embed(texts) == HashingEmbedder(dimension=8).embed(texts)
    assert (e.model_id, e.dimension, e.health().ok) == ("hashing-8", 8, True)
