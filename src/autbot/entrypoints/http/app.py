"""The app factory: everything is built from settings when ``create_app`` is called, nothing at import."""

from __future__ import annotations

import logging
import sys
from typing import Any

from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.di import Provide
from litestar.openapi.config import OpenAPIConfig
from loguru import logger

from autbot import __version__
from autbot.entrypoints.container import USE_CASES, Container, build_container, start, stop
from autbot.entrypoints.http.problems import EXCEPTION_HANDLERS
from autbot.entrypoints.http.routes import CollectionController, HealthController
from autbot.entrypoints.settings import Settings, load_settings

DESCRIPTION = """AutBot ingests documents, searches them and answers questions with citations.

Errors are `application/problem+json` bodies with a stable `code`."""


def configure_logging(settings: Settings) -> None:
    for noisy in ("httpx", "httpcore", "chromadb", "urllib3"):  # client libraries log every request at INFO
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logger.remove()
    logger.add(
        sys.stderr,
        level=settings.logging.level.upper(),
        serialize=settings.logging.json,
        backtrace=False,
        diagnose=False,
    )


def _bridge(container: Container) -> dict[str, Provide]:
    """Container providers as Litestar dependencies: handlers receive use cases, never the container.
    Use cases are built once, at start-up; a request only looks its use case up in this mapping."""
    return {
        name: Provide(_constant(getattr(container, name)()), use_cache=True, sync_to_thread=False) for name in USE_CASES
    }


def _constant(value: Any) -> Any:
    def dependency() -> Any:
        return value

    return dependency


def create_app(settings: Settings, overrides: dict[str, Any] | None = None) -> Litestar:
    """Build the container (adapters from settings, ``overrides`` by provider name) and the app.

    Adapters are created at start-up, so a bad configuration fails before the first request.
    """
    configure_logging(settings)
    container = build_container(settings, overrides)
    start(container)  # a broken configuration fails here, before the server listens

    def on_startup() -> None:
        logger.info(
            "AutBot {} ready: embedder={} index={} llm={}",
            __version__,
            settings.embedder.backend,
            settings.index.backend,
            settings.llm.backend,
        )

    def on_shutdown() -> None:
        stop(container)

    cors = CORSConfig(allow_origins=settings.server.cors_origins) if settings.server.cors_origins else None
    app = Litestar(
        route_handlers=[HealthController, CollectionController],
        dependencies=_bridge(container),
        exception_handlers=EXCEPTION_HANDLERS,
        on_startup=[on_startup],
        on_shutdown=[on_shutdown],
        cors_config=cors,
        request_max_body_size=settings.server.max_request_bytes,
        openapi_config=OpenAPIConfig(title="AutBot", version=__version__, description=DESCRIPTION, path="/schema"),
        debug=False,
    )
    return app


def app_from_env() -> Litestar:
    """Factory for ``uvicorn --factory`` (several workers): settings from ``AUTBOT_*`` variables."""
    return create_app(load_settings())
