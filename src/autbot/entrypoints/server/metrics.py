"""What ``autbot serve`` sets up for metrics before any worker starts.

prometheus-client keeps one process's values in memory; with several workers (or a separate metrics
listener, which runs in the ``serve`` process) every process must write its values to one directory,
``PROMETHEUS_MULTIPROC_DIR``, read when ``/metrics`` is scraped. ``autbot serve`` makes a private temporary
directory for it (unless the operator set one) and removes it on exit.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

from autbot.entrypoints.settings import Settings

ENV = "PROMETHEUS_MULTIPROC_DIR"


def metrics_environment(settings: Settings) -> None:
    """Set ``PROMETHEUS_MULTIPROC_DIR`` when values must be shared; start the separate listener if asked."""
    shared = settings.server.workers > 1 or bool(settings.metrics.port)
    if not settings.metrics.enabled or not shared:
        return
    if not os.environ.get(ENV):
        directory = tempfile.mkdtemp(prefix="autbot-metrics-")  # 0700: private to this user
        os.environ[ENV] = directory
        atexit.register(shutil.rmtree, directory, True)
    if settings.metrics.port:
        from prometheus_client import CollectorRegistry, start_http_server
        from prometheus_client.multiprocess import MultiProcessCollector

        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        start_http_server(settings.metrics.port, addr=settings.server.host, registry=registry)
