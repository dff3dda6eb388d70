"""The app factory: everything is built from settings when ``create_app`` is called, nothing at import."""

from __future__ import annotations

from functools import partial
from typing import Any

from litestar import Litestar, Request
from litestar.config.cors import CORSConfig
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi.config import OpenAPIConfig
from loguru import logger

from autbot import __version__
from autbot.domain.audit import AuditAction
from autbot.domain.auth import Principal
from autbot.domain.errors import ConfigurationError
from autbot.entrypoints.bootstrap.container import USE_CASES, Container, build_container
from autbot.entrypoints.bootstrap.instruments import instrument
from autbot.entrypoints.bootstrap.job_runtime import JobRuntime
from autbot.entrypoints.bootstrap.lifecycle import aclose, start, stop
from autbot.entrypoints.bootstrap.secrets import check_required_secrets, refresh_on_sighup
from autbot.entrypoints.http.errors.problems import EXCEPTION_HANDLERS
from autbot.entrypoints.http.lean import LeanLitestar
from autbot.entrypoints.http.mcp.endpoint import McpEndpoint, mcp_route
from autbot.entrypoints.http.mcp.parts import McpParts, ToolUseCases
from autbot.entrypoints.http.middleware.audit import AuditedApp, on_signal
from autbot.entrypoints.http.middleware.auth import AuthMiddleware, principal_of
from autbot.entrypoints.http.middleware.draining import CloseWhenDraining
from autbot.entrypoints.http.middleware.guard import RequestGuard, RequestPolicy
from autbot.entrypoints.http.middleware.rate_limits import RateLimitMiddleware
from autbot.entrypoints.http.middleware.security_headers import SecurityHeaders
from autbot.entrypoints.http.routes.audit import AuditController
from autbot.entrypoints.http.routes.collections import CollectionController
from autbot.entrypoints.http.routes.evaluations import EvaluationController
from autbot.entrypoints.http.routes.generations import GenerationController
from autbot.entrypoints.http.routes.health import HealthController
from autbot.entrypoints.http.routes.jobs import JobController
from autbot.entrypoints.http.routes.metrics import MetricsController
from autbot.entrypoints.http.routes.openai import ChatController, EmbeddingsController, ModelsController
from autbot.entrypoints.http.routes.sessions import SessionController
from autbot.entrypoints.http.schemas.bodies import AutbotRequest
from autbot.entrypoints.http.streaming.draining import Draining
from autbot.entrypoints.http.web.routes import WebSignIn, docs_assets, docs_plugins, page_routes
from autbot.entrypoints.observability.logs import configure_logging
from autbot.entrypoints.observability.middleware import ObservedApp
from autbot.entrypoints.observability.telemetry import Telemetry
from autbot.entrypoints.settings import Settings, load_settings
from autbot.use_cases.authenticate import Authenticate
from autbot.use_cases.session_owners import AdoptNamedSessionsRequest

DESCRIPTION = """AutBot ingests documents, searches them and answers questions with citations.

Errors are `application/problem+json` bodies with a stable `code`."""


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


def _principal(request: Request[Any, Any, Any]) -> Principal:
    return principal_of(request)


def _web_sign_in(settings: Settings) -> WebSignIn | None:
    client = settings.auth.oidc.web_client
    return None if client is None else WebSignIn(issuer=client.issuer, client_id=client.client_id, scope=client.scope)


def _check_keys(settings: Settings, authenticate: Authenticate) -> None:
    """Secure by default: say when the server runs open; refuse to start keyless where asked to."""
    if authenticate.required:
        return
    if settings.auth.refuse_start_without_keys:
        raise ConfigurationError(
            "No API key exists and this profile requires one (auth.refuse_start_without_keys): create one with "
            "`autbot keys create NAME --scopes query,ingest,admin`."
        )
    logger.warning(
        "No API keys exist and the server listens on loopback only ({}): every request is allowed. Create a "
        "key with `autbot keys create` to require keys.",
        settings.server.host,
    )


def _mcp(container: Container, settings: Settings, telemetry: Telemetry, draining: Draining) -> McpEndpoint:
    """``/mcp``'s tools and resources, over the same use cases (and rate limiter) as the REST routes."""
    use_cases = ToolUseCases(
        search_chunks=container.search_chunks(),
        answer_question=container.answer_question(),
        stream_answer=container.stream_answer(),
        list_collections=container.list_collections(),
        get_document=container.get_document(),
    )
    return McpEndpoint(
        McpParts(
            use_cases=use_cases,
            metrics=telemetry.metrics,
            limiter=container.rate_limiter() if settings.limits.enabled else None,
            access_log=settings.logging.access_log,
            max_body_bytes=settings.server.max_request_bytes,
            body_timeout_s=settings.server.body_timeout_s,
            draining=draining,
        )
    )


def create_app(settings: Settings, overrides: dict[str, Any] | None = None) -> Litestar:
    """Build the container (adapters from settings, ``overrides`` by provider name) and the app.

    Adapters are created at start-up, so a bad configuration fails before the first request.
    """
    configure_logging(settings.logging)
    container = build_container(settings, overrides)
    check_required_secrets(settings, container.secrets())  # named, never shown; before anything starts
    start(container)  # a broken configuration fails here, before the server listens
    container.adopt_named_sessions().execute(AdoptNamedSessionsRequest())  # sessions kept by key name: by id
    telemetry: Telemetry = container.telemetry()
    instrument(container, telemetry)  # spans, stage timings, breakers and bulkheads around the adapters
    draining = Draining(delay_s=settings.server.shutdown_delay_s, grace_s=settings.server.shutdown_grace_s)
    jobs = JobRuntime.for_server(settings, container)  # queue, stores, use cases; worker threads start below
    authenticate = container.authenticate()
    _check_keys(settings, authenticate)

    def on_startup() -> None:
        logger.info(
            "AutBot {} ready: embedder={} index={} llm={}",
            __version__,
            settings.embedder.backend,
            settings.index.backend,
            settings.llm.backend,
        )

    def on_shutdown() -> None:
        jobs.stop(settings.server.shutdown_grace_s)  # a batch cut short is delivered again after a restart
        stop(container)

    async def close_async_clients() -> None:
        await aclose(container)

    def flush_telemetry() -> None:
        telemetry.shutdown()

    record_audit = container.record_audit()
    # rotated secrets, no restart; the refresh is audited
    audit_refresh = partial(on_signal, record_audit, AuditAction.SECRETS_REFRESH, "SIGHUP")
    watch_sighup, unwatch_sighup = refresh_on_sighup(container.secrets(), audit_refresh)
    guard = RequestPolicy.of(
        allowed_hosts=settings.server.allowed_hosts,
        cors_origins=settings.server.cors_origins,
        body_timeout_s=settings.server.body_timeout_s,
    )

    # after authentication: rate limits count the caller it resolved
    rate_limits = [DefineMiddleware(RateLimitMiddleware, limiter=container.rate_limiter())]

    mcp = _mcp(container, settings, telemetry, draining)
    cors = CORSConfig(allow_origins=settings.server.cors_origins) if settings.server.cors_origins else None
    app = LeanLitestar(  # no Pydantic/attrs plugins: AutBot has none of their models (lean.py)
        route_handlers=[
            HealthController,
            CollectionController,
            EvaluationController,
            GenerationController,
            JobController,
            ChatController,  # the OpenAI-compatible routes and sessions answer errors in OpenAI's envelope
            ModelsController,
            EmbeddingsController,
            SessionController,
            AuditController,
            *page_routes(_web_sign_in(settings)),  # the web page at / and its files (web/routes.py)
            docs_assets(),
            mcp_route(mcp),  # the Model Context Protocol: the same use cases as tools (http/mcp/)
            *([MetricsController] if settings.metrics.enabled and not settings.metrics.port else []),
        ],
        request_class=AutbotRequest,  # JSON bodies and forms decoded within limits (bodies.py)
        dependencies={
            **_bridge(container),
            **{name: Provide(_constant(uc), use_cache=True, sync_to_thread=False) for name, uc in jobs.use_cases()},
            "principal": Provide(_principal, sync_to_thread=False),
            "telemetry": Provide(_constant(telemetry), use_cache=True, sync_to_thread=False),
            "draining": Provide(_constant(draining), use_cache=True, sync_to_thread=False),
        },
        middleware=[
            DefineMiddleware(RequestGuard, policy=guard),  # first: Host, media type, CSRF, body timeout
            # then who is calling and whether the route allows them (the OpenAPI pages are open)
            DefineMiddleware(
                AuthMiddleware,
                authenticate=authenticate,
                public_prefixes=("/schema",),
                limiter=container.rate_limiter() if settings.limits.enabled else None,  # limits.auth_failures
            ),
            *(rate_limits if settings.limits.enabled else []),
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        on_startup=[on_startup, watch_sighup, draining.install, jobs.start],
        lifespan=[mcp.lifespan],  # the MCP session manager runs while the app does
        on_shutdown=[draining.uninstall, unwatch_sighup, close_async_clients, on_shutdown, flush_telemetry],
        cors_config=cors,
        request_max_body_size=settings.server.max_request_bytes,
        openapi_config=OpenAPIConfig(
            title="AutBot", version=__version__, description=DESCRIPTION, path="/schema", render_plugins=docs_plugins()
        ),
        debug=False,
        logging_config=None,  # Litestar's default would replace the root handler: logs stay one stream (logs.py)
    )
    # outermost: security headers on every response (handlers, problems, router 404/405, preflights); inside the
    # request id, one audit record per audited route, whatever its outcome; Connection: close from SIGTERM on
    audited = AuditedApp(app.asgi_handler, record_audit)
    observed = ObservedApp(audited, telemetry, access_log=settings.logging.access_log)
    app.asgi_handler = SecurityHeaders(CloseWhenDraining(observed, lambda: draining.started))
    return app


def app_from_env() -> Litestar:
    """Factory for ``uvicorn --factory`` (several workers): settings from ``AUTBOT_*`` variables."""
    return create_app(load_settings())
