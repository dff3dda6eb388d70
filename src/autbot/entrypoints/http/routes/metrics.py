"""``GET /metrics``: Prometheus exposition text, for an admin key (open on an open loopback server, like
every route there). Not mounted when ``metrics.port`` puts metrics on a listener of their own."""

from __future__ import annotations

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from prometheus_client import CONTENT_TYPE_LATEST

from autbot.domain.audit import AuditAction
from autbot.entrypoints.http.middleware import auth as sec
from autbot.entrypoints.http.middleware.audit import audited
from autbot.entrypoints.observability.telemetry import Telemetry


class MetricsController(Controller):
    tags = ["operations"]

    @get(
        "/metrics",
        summary="Prometheus metrics.",
        opt=sec.admin(**audited(AuditAction.METRICS_READ)),
        include_in_schema=False,
        sync_to_thread=False,
    )
    def metrics(self, telemetry: NamedDependency[Telemetry]) -> Response[bytes]:
        return Response(telemetry.metrics.render(), media_type=CONTENT_TYPE_LATEST)
