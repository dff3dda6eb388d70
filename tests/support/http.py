"""In-process HTTP clients for the app: on a loopback host name, as ``server.allowed_hosts`` expects."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import TestClient

LOOPBACK_BASE_URL = "http://127.0.0.1:8000"
"""Litestar's default ``testserver.local`` is not an allowed host (400 ``invalid_host``)."""


def loopback_client(app: Litestar, **kwargs: Any) -> TestClient[Litestar]:
    return TestClient(app, base_url=kwargs.pop("base_url", LOOPBACK_BASE_URL), **kwargs)
