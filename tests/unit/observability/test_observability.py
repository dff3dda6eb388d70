"""Logs, correlation, access lines, metrics, spans and circuit breakers, with fakes and in-process apps."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from autbot.adapters.llm.fake import ScriptedLanguageModel
from autbot.domain.correlation import accepted_request_id
from autbot.domain.resilience import BreakerState, CircuitBreaker
from autbot.entrypoints.observability.logs import configure_logging
from autbot.entrypoints.observability.telemetry import Telemetry
from autbot.entrypoints.settings import LoggingSettings
from tests.support.app_client import app_client, fake_settings

DOC = {"documents": [{"id": "eiffel", "title": "Eiffel", "text": "The Eiffel Tower is 330 metres tall."}]}


def json_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_stdlib_loggers_join_one_flat_json_stream() -> None:
    out = io.StringIO()
    configure_logging(LoggingSettings(json=True, levels={"noisy.lib": "ERROR"}), stream=out)
    logging.getLogger("uvicorn.error").warning("Started server process")
    logging.getLogger("noisy.lib.child").warning("dropped: below the logger's level")
    logging.getLogger("pypdf").error("bad xref")
    lines = json_lines(out)
    assert [line["message"] for line in lines] == ["Started server process", "bad xref"]
    first = lines[0]
    assert {"timestamp", "level", "message", "logger", "request_id", "trace_id"} <= first.keys()
    assert first["logger"] == "uvicorn.error"
    assert first["level"] == "WARNING"
    assert "record" not in first  # not loguru's raw dump


@pytest.mark.parametrize(
    ("presented", "kept"), [("abc-123_X.y", True), ("a" * 128, True), ("a" * 129, False), ("bad id\n", False)]
)
def test_request_ids_are_kept_only_when_safe(presented: str, kept: bool) -> None:
    assert (accepted_request_id(presented) == presented) is kept


def test_request_id_on_responses_problems_and_access_lines() -> None:
    out = io.StringIO()
    with app_client() as client:
        configure_logging(LoggingSettings(json=True), stream=out)
        ok = client.post("/v1/collections/kb/documents", json=DOC, headers={"X-Request-ID": "req-1"})
        missing = client.post("/v1/collections/nope/search", json={"query": "x"}, headers={"X-Request-ID": "bad id"})
    assert ok.headers["x-request-id"] == "req-1"
    generated = missing.headers["x-request-id"]
    assert generated != "bad id"
    assert missing.json()["request_id"] == generated
    access = [line for line in json_lines(out) if line["logger"] == "autbot.access"]
    assert [(a["request_id"], a["status"], a["route"]) for a in access] == [
        ("req-1", 201, "/v1/collections/{collection}/documents"),
        (generated, 404, "/v1/collections/{collection}/search"),
    ]
    assert {"method", "duration_ms", "bytes_sent", "key_name"} <= access[0].keys()


def test_metrics_endpoint_names_every_metric() -> None:
    with app_client() as client:
        client.post("/v1/collections/kb/documents", json=DOC)
        client.post("/v1/collections/kb/query", json={"question": "How tall is the Eiffel Tower?"})
        text = client.get("/metrics").text
    for name in (
        'autbot_http_requests_total{method="POST",route="/v1/collections/{collection}/documents",status="201"} 1.0',
        "autbot_http_request_duration_seconds_bucket",
        "autbot_http_requests_in_flight",
        'autbot_stage_duration_seconds_count{stage="embed"}',
        'autbot_stage_duration_seconds_count{stage="retrieve"}',
        'autbot_stage_duration_seconds_count{stage="generate"}',
        'autbot_llm_tokens_total{kind="completion",model="scripted"}',
        "autbot_ingested_documents_total 1.0",
        "autbot_ingested_chunks_total 1.0",
        'autbot_build_info{version="',
        'autbot_circuit_breaker_state{dependency="llm"} 0.0',
    ):
        assert name in text, name


def test_span_tree_of_an_ingest_and_a_query() -> None:
    exporter = InMemorySpanExporter()
    s = fake_settings()
    telemetry = Telemetry.from_settings(s, exporter=exporter)
    with app_client(s, overrides={"telemetry": telemetry}) as client:
        client.post("/v1/collections/kb/documents", json=DOC)
        client.post("/v1/collections/kb/query", json={"question": "How tall is the Eiffel Tower?"})
    spans = exporter.get_finished_spans()
    by_id = {s.context.span_id: s for s in spans}

    def children(name: str) -> set[str]:
        root = next(s for s in spans if s.name == name)
        return {s.name for s in spans if s.parent is not None and by_id.get(s.parent.span_id) is root}

    assert {"split", "embed"} <= children("POST /v1/collections/{collection}/documents")
    assert {"embed", "retrieve", "generate"} <= children("POST /v1/collections/{collection}/query")
    generate = next(s for s in spans if s.name == "generate")
    attributes = dict(generate.attributes or {})
    assert attributes["gen_ai.system"] == "autbot.fake"
    assert attributes["gen_ai.request.model"] == "scripted"
    assert int(attributes["gen_ai.usage.output_tokens"]) > 0  # type: ignore[arg-type]
    assert len({s.context.trace_id for s in spans if s.name.startswith("POST")}) == 2


def test_an_open_circuit_fails_fast_with_retry_after() -> None:
    failing = ScriptedLanguageModel(fail_after_tokens=0)
    with app_client(overrides={"llm": failing}) as client:
        client.post("/v1/collections/kb/documents", json=DOC)
        codes = [
            client.post("/v1/collections/kb/query", json={"question": "How tall?"}).json().get("details", {})
            for _ in range(6)
        ]
        calls = len(failing.calls)
        last = client.post("/v1/collections/kb/query", json={"question": "How tall?"})
        metrics = client.get("/metrics").text
    assert calls == 5
    assert len(failing.calls) == 5
    assert codes[-1].get("circuit") == "open"
    assert last.status_code == 503
    assert int(last.headers["retry-after"]) >= 1
    assert 'autbot_circuit_breaker_state{dependency="llm"} 2.0' in metrics
    assert 'autbot_upstream_errors_total{dependency="llm",kind="circuit_open"}' in metrics


def test_breaker_half_opens_after_the_cool_down() -> None:
    now = [0.0]
    changes: list[BreakerState] = []
    b = CircuitBreaker(
        "x", failure_threshold=2, cooldown_s=10, clock=lambda: now[0], on_change=lambda _, s: changes.append(s)
    )
    b.failed()
    assert b.allow()
    b.failed()
    assert not b.allow()
    assert b.retry_after_s() == 10
    now[0] = 10.0
    assert b.allow()
    assert not b.allow()
    b.failed()
    assert not b.allow()
    now[0] = 20.0
    assert b.allow()
    b.succeeded()
    assert b.state is BreakerState.CLOSED
    assert changes == [
        BreakerState.OPEN,
        BreakerState.HALF_OPEN,
        BreakerState.OPEN,
        BreakerState.HALF_OPEN,
        BreakerState.CLOSED,
    ]


def test_a_draining_server_is_not_ready() -> None:
    with app_client() as client:
        assert client.get("/ready").status_code == 200
        draining = client.app.dependencies["draining"].dependency()
        draining.begin()
        r = client.get("/ready")
    assert r.status_code == 503
    assert r.json()["status"] == "shutting_down"
