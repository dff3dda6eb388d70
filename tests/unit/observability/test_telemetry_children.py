"""Metric children looked up once, and stages without trace-context work when tracing is off."""

from __future__ import annotations

from opentelemetry.trace import INVALID_SPAN, NoOpTracer

from autbot.entrypoints.observability.telemetry import Metrics, Telemetry


def _sample(metrics: Metrics, name: str, labels: dict[str, str]) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


def test_stage_children_are_reused_and_counted() -> None:
    metrics = Metrics()
    assert metrics.stage_child("embed") is metrics.stage_child("embed")
    telemetry = Telemetry(metrics=metrics, tracer=NoOpTracer())
    for _ in range(3):
        with telemetry.stage("embed", **{"autbot.texts": 1}) as span:
            assert span is INVALID_SPAN  # tracing off: nothing recorded, the trace context untouched
            span.set_attribute("ignored", 1)
    assert _sample(metrics, "autbot_stage_duration_seconds_count", {"stage": "embed"}) == 3


def test_token_children_stay_bounded_and_still_count() -> None:
    metrics = Metrics()
    assert metrics.token_child("m", "prompt") is metrics.token_child("m", "prompt")
    for i in range(300):  # an upstream naming a new model on every call
        metrics.token_child(f"model-{i}", "completion").inc(2)
    assert len(metrics._token_children) == 256
    assert _sample(metrics, "autbot_llm_tokens_total", {"model": "model-299", "kind": "completion"}) == 2
    assert _sample(metrics, "autbot_llm_tokens_total", {"model": "model-0", "kind": "completion"}) == 2
