"""``autbot worker``: a process that only runs job batches, for the ``redis`` jobs backend.

API replicas (``autbot serve`` with ``jobs.workers = 0``) accept jobs and put them on Redis; any number of workers,
on any hosts, take their batches. Workers need the shared stores of a scale-out deployment (``index.backend =
'weaviate'``): the embedded index belongs to the server process. SIGTERM or Ctrl-C stops taking batches; the batch
in hand finishes within ``server.shutdown_grace_s``, else another worker takes it over after the heartbeat timeout.

With ``metrics.port`` (or ``--metrics-port``) set, the worker serves its Prometheus metrics (the job metrics among
them) on a plain listener on that port at ``server.host``: no key, so keep it off the public network.
"""

from __future__ import annotations

import signal
import threading

from loguru import logger

from autbot.domain.errors import ConfigurationError
from autbot.entrypoints.bootstrap.container import build_container
from autbot.entrypoints.bootstrap.instruments import instrument
from autbot.entrypoints.bootstrap.job_runtime import JobRuntime
from autbot.entrypoints.bootstrap.lifecycle import start, stop
from autbot.entrypoints.bootstrap.secrets import check_required_secrets
from autbot.entrypoints.observability.logs import configure_logging
from autbot.entrypoints.observability.telemetry import Metrics, multiprocess
from autbot.entrypoints.settings import Settings


def check(settings: Settings) -> None:
    if settings.jobs.backend != "redis":
        raise ConfigurationError(
            "autbot worker takes jobs from Redis (jobs.backend = 'redis'); the embedded queue is worked by the "
            "server's own threads (jobs.workers).",
            key="jobs.backend",
        )
    if settings.index.backend == "chroma":
        raise ConfigurationError(
            "autbot worker needs a shared index (index.backend = 'weaviate'): the embedded one belongs to the server.",
            key="index.backend",
        )


def run(settings: Settings, threads: int) -> int:
    configure_logging(settings.logging)
    check(settings)
    container = build_container(settings)
    check_required_secrets(settings, container.secrets())
    start(container)
    instrument(container, container.telemetry())
    runtime = JobRuntime.build(settings, container, threads=threads)
    if settings.metrics.enabled and settings.metrics.port:
        serve_metrics(container.telemetry().metrics, settings.server.host, settings.metrics.port)
    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())
    runtime.start()
    logger.info("AutBot worker: {} threads on {}", threads, settings.jobs.redis_prefix)
    stopping.wait()
    logger.info("Stopping: finishing the batches in hand (at most {} s)", settings.server.shutdown_grace_s)
    runtime.stop(settings.server.shutdown_grace_s)
    stop(container)
    return 0


def serve_metrics(metrics: Metrics, host: str, port: int) -> None:
    """``GET /metrics`` on ``host:port`` in a daemon thread: this process's registry, or the shared directory's
    values when ``PROMETHEUS_MULTIPROC_DIR`` is set."""
    from prometheus_client import CollectorRegistry, start_http_server

    registry = metrics.registry
    if multiprocess():
        from prometheus_client.multiprocess import MultiProcessCollector

        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    start_http_server(port, addr=host, registry=registry)
    logger.info("Worker metrics on http://{}:{}/metrics", host, port)
