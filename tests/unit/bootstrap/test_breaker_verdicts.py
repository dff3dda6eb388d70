"""A circuit breaker counts only what says an upstream is unwell (``resilience.verdict``), decided by the
error's class: a caller's bad input, a refused request, a full bulkhead or a cancelled call never opens a
circuit, and never closes a half-open one either. Adapters translate a store's or a model's "this request is
not valid" into ``UpstreamRejected`` (a client error), never into ``*Unavailable``."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import httpx
import pytest

from autbot.adapters.chunk_index.chroma import ChromaChunkIndex
from autbot.adapters.llm.llamacpp import refusal
from autbot.adapters.llm.openai import OpenAILanguageModel
from autbot.adapters.llm.openai_http import UpstreamStatus
from autbot.adapters.weaviate.connection import translated
from autbot.domain import errors as e
from autbot.domain.resilience import BreakerState, CircuitBreaker, Verdict, verdict
from autbot.entrypoints.bootstrap.resilience import Guard
from autbot.entrypoints.observability.telemetry import Telemetry
from autbot.entrypoints.settings import load_settings

CLIENT_ERRORS: list[BaseException] = [
    e.InvalidInput("bad name"),
    e.UpstreamRejected("the store refused the name"),
    e.CollectionNotFound("no such collection"),
    e.DocumentNotFound("no such document"),
    e.Conflict("conflict"),
    e.EmbeddingModelMismatch("other model"),
    e.Forbidden("no"),
    e.Unauthorized("who"),
    e.RateLimited("slow down"),
    e.Overloaded("busy"),
    e.UnsupportedSearchMode("no"),
    ValueError("a bug"),
    asyncio.CancelledError(),
    GeneratorExit(),
]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def guard(*, slots: int | None = None) -> tuple[Guard, CircuitBreaker, Clock]:
    clock = Clock()
    breaker = CircuitBreaker("index", failure_threshold=2, cooldown_s=10, clock=clock)
    telemetry = Telemetry.from_settings(load_settings("local", env={}))
    return Guard("index", telemetry, breaker, e.IndexUnavailable, slots=slots, wait_s=0.01), breaker, clock


def fail_with(g: Guard, error: BaseException) -> None:
    def call() -> None:
        raise error

    with pytest.raises(type(error)):
        g.run(call)


@pytest.mark.parametrize("error", CLIENT_ERRORS, ids=lambda x: type(x).__name__)
def test_a_client_error_gives_no_verdict(error: BaseException) -> None:
    assert verdict(error) is Verdict.NONE
    g, breaker, _ = guard()
    for _ in range(10):
        fail_with(g, error)
    assert breaker.state is BreakerState.CLOSED
    g.admit()


def test_only_an_unavailable_upstream_is_a_failure() -> None:
    assert verdict(None) is Verdict.SUCCESS
    for error in (e.IndexUnavailable(), e.IndexTimeout(), e.IndexWriteFailed(), e.LanguageModelUnavailable()):
        assert verdict(error) is Verdict.FAILURE
    g, breaker, _ = guard()
    fail_with(g, e.IndexUnavailable())
    fail_with(g, e.InvalidInput())  # in between: neither resets nor adds to the count
    fail_with(g, e.IndexUnavailable())
    assert breaker.state is BreakerState.OPEN


@pytest.mark.parametrize("error", CLIENT_ERRORS[:3], ids=lambda x: type(x).__name__)
def test_a_client_error_in_the_half_open_trial_neither_closes_nor_keeps_the_trial(error: BaseException) -> None:
    g, breaker, clock = guard()
    for _ in range(2):
        fail_with(g, e.IndexUnavailable())
    clock.now = 11
    fail_with(g, error)  # the trial call: the caller's mistake proves nothing
    assert breaker.state is BreakerState.HALF_OPEN
    g.run(lambda: None)  # the next caller gets the trial; its success closes the circuit
    assert breaker.state is BreakerState.CLOSED  # type: ignore[comparison-overlap]  # mypy narrowed it above


def test_a_full_bulkhead_in_the_half_open_trial_does_not_close_the_circuit() -> None:
    g, breaker, clock = guard(slots=1)
    inside, leave = threading.Event(), threading.Event()

    def hold() -> None:
        with g.call():
            inside.set()
            leave.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert inside.wait(10)
        breaker.failed()
        breaker.failed()
        clock.now = 11
        with pytest.raises(e.Overloaded):
            g.run(lambda: None)  # the trial never reached the upstream
        assert breaker.state is BreakerState.HALF_OPEN
    finally:
        leave.set()
        holder.join(10)


# --- adapters: "the request is not valid" is UpstreamRejected, never *Unavailable ------------------------
@pytest.mark.parametrize("status", [400, 413, 422])
def test_the_language_model_refusing_a_request_is_a_client_error(status: int) -> None:
    llm = OpenAILanguageModel(base_url="http://127.0.0.1:9/v1", model="m")
    error = llm._translate(UpstreamStatus(status, {}))
    assert isinstance(error, e.UpstreamRejected)
    assert verdict(error) is Verdict.NONE
    assert isinstance(llm._translate(UpstreamStatus(503, {})), e.LanguageModelUnavailable)
    assert isinstance(llm._translate(UpstreamStatus(401, {})), e.LanguageModelUnavailable)


def test_the_local_model_refusing_a_request_is_a_client_error() -> None:
    too_long = {"code": 400, "message": "the request exceeds the available context size", "type": "invalid_request"}
    assert isinstance(refusal(too_long), e.UpstreamRejected)
    assert isinstance(refusal({"type": "exceed_context_size_error", "message": "x"}), e.UpstreamRejected)
    assert isinstance(refusal({"code": 500, "message": "crashed", "type": "server_error"}), e.LanguageModelUnavailable)
    assert isinstance(refusal("something broke"), e.LanguageModelUnavailable)


def test_weaviate_refusing_a_request_is_a_client_error() -> None:
    from weaviate.exceptions import UnexpectedStatusCodeError

    for status in (400, 413, 422):
        refused = UnexpectedStatusCodeError("refused", httpx.Response(status, json={"error": [{"message": "x"}]}))
        assert isinstance(translated(refused, "http://w"), e.UpstreamRejected)
    down = UnexpectedStatusCodeError("down", httpx.Response(503, json={}))
    assert isinstance(translated(down, "http://w"), e.IndexUnavailable)
    assert isinstance(translated(TimeoutError(), "http://w"), e.IndexTimeout)


def test_chroma_refusing_a_name_is_a_client_error(tmp_path: Path) -> None:
    """Behind the domain's own check (which refuses the name first): the store's refusal is still no outage."""
    index = ChromaChunkIndex(path=str(tmp_path))
    try:
        for name in ("x\n", "a" * 600):
            with pytest.raises(e.UpstreamRejected):
                index.ensure(name)
        index.ensure("fine")
    finally:
        index.close()
