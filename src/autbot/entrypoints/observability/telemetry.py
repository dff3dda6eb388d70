"""Metrics (Prometheus) and traces (OpenTelemetry), built per app from settings, never at import.

Metrics live in their own ``CollectorRegistry``; with several workers ``autbot serve`` sets
``PROMETHEUS_MULTIPROC_DIR`` and every worker writes its values there, and ``/metrics`` merges them
(prometheus-client's multiprocess mode). Spans go to an OTLP/HTTP endpoint when one is configured.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from opentelemetry.trace import INVALID_SPAN
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from autbot import __version__
from autbot.domain.resilience import BreakerState
from autbot.entrypoints.settings import Settings

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
STAGES = ("parse", "split", "embed", "retrieve", "generate")


def multiprocess() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


class Metrics:
    """Every metric AutBot exports (names follow Prometheus rules: ``autbot_`` prefix, base units,
    ``_total`` on counters)."""

    def __init__(self) -> None:
        r = self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "autbot_http_requests", "HTTP requests answered.", ["route", "method", "status"], registry=r
        )
        self.duration = Histogram(
            "autbot_http_request_duration_seconds", "Time to answer a request.", ["route"], registry=r,
            buckets=LATENCY_BUCKETS,
        )  # fmt: skip
        self.in_flight = Gauge(
            "autbot_http_requests_in_flight", "Requests being answered.", registry=r, multiprocess_mode="livesum"
        )
        self.stage = Histogram(
            "autbot_stage_duration_seconds", "Time per pipeline stage.", ["stage"], registry=r, buckets=LATENCY_BUCKETS
        )
        self.first_token = Histogram(
            "autbot_llm_time_to_first_token_seconds", "Time to a stream's first token.", registry=r,
            buckets=LATENCY_BUCKETS,
        )  # fmt: skip
        self.tokens = Counter("autbot_llm_tokens", "Tokens as the model counts them.", ["model", "kind"], registry=r)
        self.documents = Counter("autbot_ingested_documents", "Documents written (created or updated).", registry=r)
        self.chunks = Counter("autbot_ingested_chunks", "Chunks written to the vector store.", registry=r)
        self.jobs_queued = Gauge(
            "autbot_jobs_queued", "Job messages waiting in the queue (one per job with a batch to run).", registry=r,
            multiprocess_mode="max",
        )  # fmt: skip
        self.jobs = Counter("autbot_jobs", "Jobs submitted (queued) and ended, by state.", ["state"], registry=r)
        self.job_documents = Counter(
            "autbot_job_documents", "Documents dealt with by jobs, by outcome.", ["outcome"], registry=r
        )
        self.job_duration = Histogram(
            "autbot_job_duration_seconds", "Time from a job's submission to its end.", registry=r,
            buckets=(1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 24 * 3600),
        )  # fmt: skip
        self.upstream_errors = Counter(
            "autbot_upstream_errors", "Failed calls to a dependency, by error code.", ["dependency", "kind"], registry=r
        )
        self.rate_limited = Counter("autbot_rate_limited", "Requests refused with 429.", ["limit"], registry=r)
        self.mcp_tool_calls = Counter(
            "autbot_mcp_tool_calls", "MCP tool calls, by tool and outcome (ok or the error's code).",
            ["tool", "outcome"], registry=r,
        )  # fmt: skip
        self.circuit = Gauge(
            "autbot_circuit_breaker_state", "0 closed, 1 half-open, 2 open.", ["dependency"], registry=r,
            multiprocess_mode="max",
        )  # fmt: skip
        self.evaluation = Gauge(
            "autbot_evaluation_score", "Latest evaluation of a collection's golden set, per generation and metric.",
            ["collection", "generation", "metric"], registry=r, multiprocess_mode="mostrecent",
        )  # fmt: skip
        self.evaluation_latency = Gauge(
            "autbot_evaluation_search_latency_seconds", "Search latency of the latest evaluation, by quantile.",
            ["collection", "generation", "quantile"], registry=r, multiprocess_mode="mostrecent",
        )  # fmt: skip
        self.build = Gauge(
            "autbot_build_info", "The running version.", ["version"], registry=r, multiprocess_mode="max"
        )
        self.build.labels(__version__).set(1)
        self._stage_children: dict[str, Any] = {}
        self._token_children: dict[tuple[str, str], Any] = {}

    def stage_child(self, name: str) -> Any:
        """``stage.labels(name)``, looked up once per stage (``labels`` takes a lock and builds a tuple)."""
        child = self._stage_children.get(name)
        if child is None:
            child = self._stage_children[name] = self.stage.labels(name)
        return child

    def token_child(self, model: str, kind: str) -> Any:
        """``tokens.labels(model, kind)``, looked up once per model and kind (a handful: the configured ones)."""
        child = self._token_children.get((model, kind))
        if child is None:
            if len(self._token_children) >= 256:  # an upstream naming a new model per call stays bounded
                return self.tokens.labels(model, kind)
            child = self._token_children[(model, kind)] = self.tokens.labels(model, kind)
        return child

    def circuit_changed(self, dependency: str, state: BreakerState) -> None:
        self.circuit.labels(dependency).set(int(state))

    def evaluated(self, collection: str, generation: str, scores: dict[str, float], p50_s: float, p99_s: float) -> None:
        """The figures of a collection's latest evaluation: ``scores`` by metric name (``ndcg_at_10``, ...)."""
        for metric, value in scores.items():
            self.evaluation.labels(collection, generation, metric).set(value)
        self.evaluation_latency.labels(collection, generation, "0.5").set(p50_s)
        self.evaluation_latency.labels(collection, generation, "0.99").set(p99_s)

    def render(self) -> bytes:
        """The exposition text: this process's registry, or every worker's values in multiprocess mode."""
        if multiprocess():
            merged = CollectorRegistry()
            MultiProcessCollector(merged)  # type: ignore[no-untyped-call]
            return generate_latest(merged)
        return generate_latest(self.registry)


class Telemetry:
    """The metrics and the tracer of one app; ``shutdown`` flushes spans."""

    def __init__(self, *, metrics: Metrics, tracer: Any, provider: Any | None = None, system: str = "autbot") -> None:
        self.metrics = metrics
        self.tracer = tracer
        self.provider = provider
        self.system = system

    @classmethod
    def from_settings(cls, settings: Settings, exporter: Any | None = None) -> Telemetry:
        """``exporter`` (a span exporter, e.g. the SDK's in-memory one in tests) replaces the OTLP one."""
        from opentelemetry import trace

        t = settings.tracing
        system = {"openai": "openai", "local": "llama.cpp", "fake": "autbot.fake"}[settings.llm.backend]
        if not t.enabled and exporter is None:
            return cls(metrics=Metrics(), tracer=trace.NoOpTracer(), system=system)
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

        provider = TracerProvider(
            resource=Resource.create({"service.name": t.service_name, "service.version": __version__})
        )
        if exporter is not None:
            provider.add_span_processor(SimpleSpanProcessor(exporter))
        elif t.otlp_endpoint:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=t.otlp_endpoint, timeout=5)))
        return cls(
            metrics=Metrics(), tracer=provider.get_tracer("autbot", __version__), provider=provider, system=system
        )

    @contextmanager
    def stage(self, name: str, **attributes: Any) -> Iterator[Any]:
        """A child span of the current one (none when tracing is off: a span that records nothing, without
        touching the trace context) and a sample of ``autbot_stage_duration_seconds``."""
        started = time.perf_counter()
        try:
            if self.provider is None:
                yield INVALID_SPAN
            else:
                with self.tracer.start_as_current_span(name, attributes=attributes or None) as span:
                    yield span
        finally:
            self.metrics.stage_child(name).observe(time.perf_counter() - started)

    def shutdown(self) -> None:
        if self.provider is not None:
            self.provider.shutdown()  # flushes the batch processor
