"""The GenerationSlots contract, on the in-process implementation: N at once, M waiting, the rest refused."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autbot.adapters.slots.in_process import InProcessGenerationSlots
from autbot.domain.errors import Overloaded
from autbot.ports.generation_slots import GenerationSlots

Make = Callable[[int, int], GenerationSlots]


@pytest.fixture(params=["in_process"])
def make(request: pytest.FixtureRequest) -> Make:
    return lambda concurrent, queue: InProcessGenerationSlots(concurrent, queue)


async def _crowd(slots: GenerationSlots, callers: int) -> tuple[int, int, int]:
    """``callers`` take a slot at once and hold it until all have arrived: (most inside, served, refused)."""
    inside = most = served = refused = 0
    release = asyncio.Event()

    async def one() -> None:
        nonlocal inside, most, served, refused
        try:
            async with slots.hold():
                inside += 1
                most = max(most, inside)
                await release.wait()
                inside -= 1
                served += 1
        except Overloaded as e:
            refused += e.details["retry_after_s"] > 0  # a refusal says when to come back

    tasks = [asyncio.create_task(one()) for _ in range(callers)]
    for _ in range(5):
        await asyncio.sleep(0)  # let every caller reach the slots
    release.set()
    await asyncio.gather(*tasks)
    return most, served, refused


def test_satisfies_the_protocol(make: Make) -> None:
    assert isinstance(make(1, 0), GenerationSlots)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    concurrent=st.integers(min_value=1, max_value=5),
    queue=st.integers(min_value=0, max_value=5),
    callers=st.integers(min_value=0, max_value=20),
)
def test_at_most_n_run_m_wait_and_the_rest_are_refused_at_once(
    make: Make, concurrent: int, queue: int, callers: int
) -> None:
    slots = make(concurrent, queue)
    most, served, refused = asyncio.run(_crowd(slots, callers))
    assert most == min(concurrent, callers)
    assert served == min(callers, concurrent + queue)
    assert refused == max(0, callers - concurrent - queue)


def test_a_slot_is_given_back_when_the_holder_fails(make: Make) -> None:
    async def body() -> None:
        slots = make(1, 0)
        with pytest.raises(RuntimeError):
            async with slots.hold():
                raise RuntimeError("generation failed")
        async with slots.hold():  # free again
            pass

    asyncio.run(body())


def test_capacity_returns_after_a_burst(make: Make) -> None:
    async def body() -> None:
        slots = make(2, 1)
        assert (await _crowd(slots, 6))[2] == 3
        assert await _crowd(slots, 3) == (2, 3, 0)

    asyncio.run(body())
