"""The rules of index generations: the quality gate, which generations a write reaches, their chunk-index names."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from autbot.domain.generations import Generation, GenerationState, gate, index_name, writable
from autbot.domain.golden_sets import GenerationFigures

score = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


def figures(ndcg: float) -> GenerationFigures:
    return GenerationFigures(
        queries=1, ndcg_at_10=ndcg, recall_at_10=0, recall_at_100=0, mrr_at_10=0, latency_p50_ms=0, latency_p99_ms=0
    )


@given(live=score, candidate=score, margin=score)
def test_the_gate_passes_exactly_when_the_drop_is_within_the_margin(
    live: float, candidate: float, margin: float
) -> None:
    decision = gate(figures(live), figures(candidate), max_drop=margin)
    assert decision.activate is (live - candidate <= margin)
    assert decision.reason


def test_without_figures_the_gate_refuses() -> None:
    assert not gate(None, figures(1.0), max_drop=1.0).activate
    assert gate(None, None, max_drop=1.0).reason.startswith("no_golden_set")


@given(st.lists(st.sampled_from(list(GenerationState)), max_size=6))
def test_a_write_reaches_every_generation_but_failed_ones_live_first(states: list[GenerationState]) -> None:
    gens = [
        Generation(collection="kb", number=n, embedding_model="m", dimension=4, state=s, created_at=0.0)
        for n, s in enumerate(states)
    ]
    reached = writable(gens)
    assert {g.number for g in reached} == {g.number for g in gens if g.state is not GenerationState.FAILED}
    if any(g.state is GenerationState.LIVE for g in gens):
        assert reached[0].state is GenerationState.LIVE


def test_generation_0_keeps_the_collections_name_others_take_one_no_collection_can() -> None:
    assert index_name("kb", 0) == "kb"
    assert index_name("kb", 3) == "kb.g3"
