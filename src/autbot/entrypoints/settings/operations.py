"""Settings for operating the server: logs, metrics, traces, circuit breakers and bulkheads.

Kept apart from :mod:`.schema` (which imports these sections) so that neither module grows past a
reader's patience. Defaults come from :mod:`autbot.domain.limits`.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from autbot.domain import limits

LogLevel = Annotated[str, msgspec.Meta(pattern=r"(?i)^(TRACE|DEBUG|INFO|SUCCESS|WARNING|ERROR|CRITICAL)\Z")]
LoggerName = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z_][A-Za-z0-9_.-]{0,127}\Z")]


class _Section(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class LoggingSettings(_Section):
    level: LogLevel = "INFO"
    """TRACE, DEBUG, INFO, SUCCESS, WARNING, ERROR or CRITICAL (any case)."""
    json: bool = False
    """One flat JSON object per line on stderr (``timestamp``, ``level``, ``message``, ``logger``,
    ``request_id``, ``trace_id`` and the event's own fields), for log shippers; else readable lines."""
    levels: dict[LoggerName, LogLevel] = msgspec.field(
        default_factory=lambda: {
            "httpx": "WARNING",
            "httpcore": "WARNING",
            "chromadb": "WARNING",
            "urllib3": "WARNING",
            "persistqueue": "WARNING",
            "httpx2": "WARNING",
            "mcp": "WARNING",
        }
    )
    """Level per logger name (and its children), e.g. ``{"uvicorn.access" = "WARNING", "pypdf" = "ERROR"}``;
    other loggers use ``level``. Client libraries log every request at INFO, hence the defaults."""
    access_log: bool = True
    """One line per request (logger ``autbot.access``): method, route, status, duration, bytes, key name."""


class MetricsSettings(_Section):
    enabled: bool = True
    """Serve Prometheus metrics (``GET /metrics``, admin key; open on an open loopback server)."""
    port: Annotated[int, msgspec.Meta(ge=0, le=65535)] = 0
    """0: ``/metrics`` on the API port. Else a separate plain listener on this port (same host, no key:
    keep it off the public network), and not on the API port. ``autbot worker`` serves its metrics on this port
    only (0: none; ``--metrics-port`` overrides it)."""


class TracingSettings(_Section):
    enabled: bool = False
    """Record OpenTelemetry spans: one per request, a child per stage (parse, split, embed, retrieve,
    generate) with GenAI attributes on model spans."""
    otlp_endpoint: str | None = None
    """OTLP/HTTP traces endpoint (``http://collector:4318/v1/traces``); none: spans are made (trace ids
    in logs) but not exported."""
    service_name: Annotated[str, msgspec.Meta(min_length=1, max_length=128)] = "autbot"
    """``service.name`` of the spans."""


class ResilienceSettings(_Section):
    breaker_failures: Annotated[int, msgspec.Meta(ge=1, le=1000)] = limits.BREAKER_FAILURES
    """Consecutive failures of one dependency (language model, vector store) that open its circuit: calls
    then fail at once with 503 and ``Retry-After`` instead of waiting for a timeout."""
    breaker_cooldown_s: Annotated[float, msgspec.Meta(gt=0, le=600)] = limits.BREAKER_COOLDOWN_S
    """How long an open circuit stays open before one trial call is let through (half-open)."""
    index_max_concurrent: Annotated[int, msgspec.Meta(ge=1, le=1024)] = limits.INDEX_MAX_CONCURRENT
    """Vector-store calls at once per process (a bulkhead: a slow store cannot take every worker thread)."""
    index_queue_timeout_s: Annotated[float, msgspec.Meta(gt=0, le=60)] = limits.INDEX_QUEUE_TIMEOUT_S
    """How long a call waits for a vector-store slot before 503 ``server_busy``."""
