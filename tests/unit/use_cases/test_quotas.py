"""Quota rules in the domain and the use cases, and what the adapters do when Redis fails (no process:
a loopback port nothing listens on refuses at once)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import aclosing
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from loguru import logger

from autbot.adapters.llm.fake import ScriptedLanguageModel
from autbot.adapters.quotas.budgets import InMemoryTokenBudget, RedisTokenBudget
from autbot.adapters.quotas.limits import LimitsRateLimiter
from autbot.adapters.quotas.redis_link import RedisDown, RedisLink
from autbot.adapters.slots.in_process import InProcessGenerationSlots
from autbot.domain.answers import CitationsEvent, DoneEvent
from autbot.domain.auth import ANONYMOUS, Principal, Scope
from autbot.domain.errors import (
    BudgetExhausted,
    BudgetUnavailable,
    ConfigurationError,
    Overloaded,
    RateLimiterUnavailable,
)
from autbot.domain.model import DocumentInput
from autbot.domain.quotas import (
    RateDecision,
    budget_day,
    budget_resets_at,
    caller_identity,
    check_budget,
    rate_limited,
)
from autbot.entrypoints.settings import load_settings
from autbot.use_cases.answer import AnswerLimits, AnswerQuestion, AnswerRequest, StreamAnswer
from tests.support.fakes import World, ask
from tests.support.processes import free_port

NOON = datetime(2026, 11, 5, 12, 0, tzinfo=UTC).timestamp()
FACT = DocumentInput(id="eiffel", title="Eiffel", text="The Eiffel Tower is 330 metres tall. It stands in Paris.")


# --- domain ---------------------------------------------------------------------------------------------
def test_a_caller_is_its_key_else_its_address() -> None:
    key = Principal(name="team-a", scopes=frozenset({Scope.QUERY}), key_id="Ab12Cd34Ef56")
    assert caller_identity(key, "10.0.0.1") == "key:Ab12Cd34Ef56"  # the key's id, never its name
    assert caller_identity(ANONYMOUS, "10.0.0.1") == "ip:10.0.0.1"
    assert caller_identity(None, None) == "ip:unknown"


def test_a_denial_carries_what_the_headers_need() -> None:
    error = rate_limited("search", RateDecision(allowed=False, limit=5, remaining=0, reset_after_s=12.2, window_s=60))
    assert error.code == "rate_limited"
    assert error.details == {
        "route": "search",
        "limit": 5,
        "remaining": 0,
        "reset_after_s": 12.2,
        "window_s": 60,
        "retry_after_s": 13,
    }


@given(
    spent=st.integers(min_value=0, max_value=10**9),
    limit=st.integers(min_value=0, max_value=10**9),
    now=st.floats(min_value=0, max_value=4e9, allow_nan=False),
)
def test_a_budget_is_spent_exactly_when_the_limit_is_reached_and_resets_at_utc_midnight(
    spent: int, limit: int, now: float
) -> None:
    if 0 < limit <= spent:
        with pytest.raises(BudgetExhausted) as e:
            check_budget(spent=spent, limit=limit, now=now)
        assert 1 <= e.value.details["retry_after_s"] <= 86_400
        assert e.value.details["resets_at"].endswith("T00:00:00Z")
    else:
        check_budget(spent=spent, limit=limit, now=now)  # within budget, or unlimited
    resets = budget_resets_at(now)
    assert 0 < resets.timestamp() - now <= 86_400
    assert budget_day(resets.timestamp()) > budget_day(now)


def test_a_spent_budget_names_the_reset_time() -> None:
    with pytest.raises(BudgetExhausted, match=r"2026-11-06T00:00:00Z") as e:
        check_budget(spent=100, limit=100, now=NOON)
    assert e.value.details["retry_after_s"] == 12 * 3600


# --- use cases ----------------------------------------------------------------------------------------
def _world(budget: InMemoryTokenBudget, *, tokens: int = 10_000, llm: ScriptedLanguageModel | None = None) -> World:
    w = World(llm=llm, limits=AnswerLimits(min_vector_score=0.0, daily_tokens_per_key=tokens))
    w.add("kb", FACT)
    limits = AnswerLimits(min_vector_score=0.0, daily_tokens_per_key=tokens)
    w.answer = AnswerQuestion(search=w.search, llm=w.llm, limits=limits, budget=budget, clock=lambda: NOON)
    w.stream = StreamAnswer(search=w.search, llm=w.llm, limits=limits, budget=budget, clock=lambda: NOON)
    return w


async def test_the_model_usage_is_charged_to_the_caller_and_a_spent_budget_refuses_before_the_model() -> None:
    budget = InMemoryTokenBudget()
    w = _world(budget, tokens=1)
    request = ask("kb", "How tall is the Eiffel Tower?")
    answer = await w.answer.execute(_as(request, "key:a"))
    used = answer.usage.prompt_tokens + answer.usage.completion_tokens
    assert used > 0
    assert await budget.spent("key:a", "2026-11-05") == used  # the crossing answer completes
    calls = len(w.llm.calls)
    with pytest.raises(BudgetExhausted):
        await w.answer.execute(_as(request, "key:a"))
    with pytest.raises(BudgetExhausted):
        await anext(aiter(w.stream.execute(_as(request, "key:a"))))
    assert len(w.llm.calls) == calls
    assert (await w.answer.execute(_as(request, "key:b"))).text  # another caller has its own budget
    assert (await w.answer.execute(request)).text  # no caller (internal): no budget


async def test_a_stream_charges_the_reported_usage_and_a_cut_stream_what_was_generated() -> None:
    budget = InMemoryTokenBudget()
    w = _world(budget)
    request = _as(ask("kb", "How tall is the Eiffel Tower?"), "key:a")
    events = [e async for e in w.stream.execute(request)]
    done = events[-1]
    assert isinstance(done, DoneEvent)
    full = done.usage.prompt_tokens + done.usage.completion_tokens
    assert await budget.spent("key:a", "2026-11-05") == full
    async with aclosing(w.stream.execute(_as(request, "key:c"))) as stream:
        assert isinstance(await anext(stream), CitationsEvent)
        await anext(stream)  # one token, then the client goes away
    cut = await budget.spent("key:c", "2026-11-05")
    assert done.usage.prompt_tokens < cut < full


async def test_nothing_retrieved_charges_nothing() -> None:
    budget = InMemoryTokenBudget()
    w = _world(budget)
    limits = AnswerLimits(min_vector_score=0.99, daily_tokens_per_key=10)
    answer = AnswerQuestion(search=w.search, llm=w.llm, limits=limits, budget=budget)
    await answer.execute(_as(ask("kb", "swallow airspeed?"), "key:a"))
    assert await budget.spent("key:a", budget_day(NOON)) == 0


async def test_generations_beyond_the_slots_and_the_queue_are_refused_at_once() -> None:
    llm = ScriptedLanguageModel(token_delay_s=0.05)
    w = World(llm=llm, limits=AnswerLimits(min_vector_score=0.0))
    w.add("kb", FACT)
    answer = AnswerQuestion(
        search=w.search, llm=llm, limits=AnswerLimits(min_vector_score=0.0), slots=InProcessGenerationSlots(1, 1)
    )
    results = await asyncio.gather(
        *(answer.execute(ask("kb", "How tall is the Eiffel Tower?")) for _ in range(4)), return_exceptions=True
    )
    assert sum(isinstance(r, Overloaded) for r in results) == 2
    assert sum(not isinstance(r, BaseException) for r in results) == 2


def _as(request: AnswerRequest, caller: str) -> AnswerRequest:
    return replace(request, caller=caller)


# --- Redis failures (nothing listens on the port) -------------------------------------------------------
@pytest.fixture
def warnings() -> Iterator[list[str]]:
    seen: list[str] = []
    sink = logger.add(lambda m: seen.append(str(m)), level="WARNING")
    yield seen
    logger.remove(sink)


def _dead_link(recheck_s: float = 60.0) -> RedisLink:
    return RedisLink.connect(
        f"redis://127.0.0.1:{free_port()}/0", password=None, timeout_s=0.25, max_connections=4, recheck_s=recheck_s
    )


async def test_request_limits_fall_back_to_this_process_with_one_warning(warnings: list[str]) -> None:
    link = _dead_link()
    limiter = LimitsRateLimiter({"search": "3/hour"}, redis=link, on_failure="memory")
    decisions = [await limiter.hit("search", "ip:1") for _ in range(10)]
    assert [d.allowed for d in decisions] == [True] * 3 + [False] * 7  # still limited, per process
    assert link.down
    assert len([w for w in warnings if "Redis at" in w]) == 1  # one warning per outage, not per request
    await link.aclose()


async def test_request_limits_can_fail_closed() -> None:
    link = _dead_link()
    limiter = LimitsRateLimiter({"search": "3/hour"}, redis=link, on_failure="closed")
    with pytest.raises(RateLimiterUnavailable) as e:
        await limiter.hit("search", "ip:1")
    assert e.value.code == "rate_limiter_unavailable"
    assert e.value.details["retry_after_s"] == 60.0
    await link.aclose()


async def test_budgets_fail_closed_by_default_and_can_fall_back() -> None:
    link = _dead_link()
    closed = RedisTokenBudget(link)
    with pytest.raises(BudgetUnavailable) as e:
        await closed.spent("key:a", "2026-11-05")
    assert e.value.code == "budget_unavailable"
    with pytest.raises(BudgetUnavailable):
        await closed.charge("key:a", "2026-11-05", 10)
    fallback = RedisTokenBudget(link, on_failure="memory")
    assert await fallback.charge("key:a", "2026-11-05", 10) == 10
    assert await fallback.spent("key:a", "2026-11-05") == 10
    await link.aclose()


class _FlakyClient:
    """Stands in for the Redis client: fails while ``broken``, counts the calls that reached it."""

    def __init__(self) -> None:
        self.broken = True
        self.calls = 0

    async def ping(self) -> bool:
        self.calls += 1
        if self.broken:
            raise ConnectionRefusedError("refused")
        return True


async def test_the_link_skips_redis_while_down_then_probes_and_recovers(warnings: list[str]) -> None:
    now = [0.0]
    client = _FlakyClient()
    link = RedisLink(client, url="redis://:secret@h:1/0", timeout_s=0.25, recheck_s=5.0, clock=lambda: now[0])
    for _ in range(3):
        with pytest.raises(RedisDown):
            await link.call(client.ping, what="a ping")
    assert client.calls == 1  # the first failure opened the breaker; the others did not wait on Redis
    now[0] = 6.0
    with pytest.raises(RedisDown):
        await link.call(client.ping, what="a ping")  # one probe, still down
    assert client.calls == 2
    client.broken = False
    now[0] = 12.0
    assert await link.call(client.ping, what="a ping")
    assert not link.down
    assert len(warnings) == 1
    assert "secret" not in warnings[0]


# --- settings -------------------------------------------------------------------------------------------
def test_rates_come_from_the_environment_and_a_bad_one_names_its_key() -> None:
    s = load_settings("local", env={"AUTBOT_LIMITS__SEARCH": "600/minute", "AUTBOT_LIMITS__QUERY": "5 per 2 minutes"})
    assert (s.limits.search, s.limits.query, s.limits.ingest) == ("600/minute", "5 per 2 minutes", "25000/hour")
    for bad in ("600/minit", "0/minute", "10/second;600/minute", "lots"):
        with pytest.raises(ConfigurationError, match=r"setting 'limits\.ingest'") as e:
            load_settings("local", env={"AUTBOT_LIMITS__INGEST": bad})
        assert e.value.details["key"] == "limits.ingest"


def test_quota_storage_and_failure_modes_are_checked_at_load_time() -> None:
    with pytest.raises(ConfigurationError, match="memory, redis"):
        load_settings("local", env={"AUTBOT_LIMITS__STORAGE": "etcd"})
    with pytest.raises(ConfigurationError, match=r"limits\.budget_on_redis_failure"):
        load_settings("local", env={"AUTBOT_LIMITS__BUDGET_ON_REDIS_FAILURE": "open"})
    with pytest.raises(ConfigurationError, match=r"llm\.max_concurrent"):
        load_settings("local", env={"AUTBOT_LLM__MAX_CONCURRENT": "0"})
    s = load_settings("local", env={})
    assert (s.limits.storage, s.limits.requests_on_redis_failure, s.limits.budget_on_redis_failure) == (
        "memory",
        "memory",
        "closed",
    )
    assert (s.llm.max_concurrent, s.llm.max_queue, s.limits.daily_tokens_per_key) == (4, 8, 0)


def test_programming_errors_fail_at_start_up() -> None:
    from autbot.entrypoints.http.middleware.rate_limits import limited

    with pytest.raises(ConfigurationError, match="search"):
        LimitsRateLimiter({"search": "lots"})
    with pytest.raises(ValueError, match="unknown limit"):
        limited("download")
    with pytest.raises(ValueError, match="max_concurrent"):
        InProcessGenerationSlots(0, 1)
