"""Running the app under uvicorn with bounded connections.

uvicorn bounds an idle keep-alive connection, not what a client holds around it: a head sent slowly or without
end, a body left unread after an early answer, a response it does not read. Both HTTP/1.1 protocols here add those
bounds (:mod:`autbot.entrypoints.server.bounds`): ``BoundedHttpToolsProtocol`` (uvicorn's httptools parser, the
cheaper one per request) and ``BoundedH11Protocol`` (uvicorn's pure-Python h11 one). ``server.http_parser``
chooses; ``auto`` takes httptools where it is importable. The settings they read: ``server.header_timeout_s``,
``server.max_head_bytes``, ``server.body_timeout_s`` (a body the app reads is held to it by ``RequestGuard``),
``server.send_timeout_s``.
``server.shutdown_grace_s`` bounds a graceful shutdown; ``server.max_connections`` caps connections per worker.

``X-Forwarded-For`` and ``X-Forwarded-Proto`` are read only from ``server.trusted_proxies`` (uvicorn's own
default trusts them from 127.0.0.1, so any local process, or a proxy that passes them on unchecked, could set the
client address that rate limits count). No route takes a WebSocket, so none is accepted (``ws = "none"``).
"""

from __future__ import annotations

import asyncio
import importlib.util
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess

from autbot.domain import limits
from autbot.entrypoints.observability.logs import uvicorn_log_config
from autbot.entrypoints.server.protocols import BoundedH11Protocol
from autbot.entrypoints.settings import ServerSettings


class ServerConfig(uvicorn.Config):
    """uvicorn's configuration with the connection bounds; they travel to ``--workers`` processes with the rest."""

    def __init__(
        self,
        app: Any,
        *,
        header_timeout_s: float = limits.HEADER_TIMEOUT_S,
        body_timeout_s: float = limits.BODY_TIMEOUT_S,
        send_timeout_s: float = limits.SEND_TIMEOUT_S,
        max_head_bytes: int = limits.MAX_REQUEST_HEAD_BYTES,
        **kwargs: Any,
    ) -> None:
        super().__init__(app, **kwargs)
        self.header_timeout_s = header_timeout_s
        self.body_timeout_s = body_timeout_s
        self.send_timeout_s = send_timeout_s
        self.max_head_bytes = max_head_bytes


def resolved_parser(parser: str) -> str:
    """``server.http_parser`` with ``auto`` resolved: httptools where it is importable, else h11."""
    if parser == "auto":
        return "httptools" if importlib.util.find_spec("httptools") is not None else "h11"
    return parser


def http_protocol(parser: str) -> type[asyncio.Protocol]:
    """The protocol class for ``server.http_parser``; ``httptools`` named but not installed is an error."""
    if resolved_parser(parser) == "h11":
        return BoundedH11Protocol
    if importlib.util.find_spec("httptools") is None:
        raise RuntimeError("server.http_parser is 'httptools' but httptools is not installed (use 'auto' or 'h11')")
    from autbot.entrypoints.server.httptools_protocol import BoundedHttpToolsProtocol

    return BoundedHttpToolsProtocol


def server_config(app: Any, server: ServerSettings, *, factory: bool = False) -> ServerConfig:
    return ServerConfig(
        app,
        factory=factory,
        host=server.host,
        port=server.port,
        workers=server.workers,
        http=http_protocol(server.http_parser),
        header_timeout_s=server.header_timeout_s,
        body_timeout_s=server.body_timeout_s,
        send_timeout_s=server.send_timeout_s,
        max_head_bytes=server.max_head_bytes,
        ws="none",
        proxy_headers=bool(server.trusted_proxies),
        forwarded_allow_ips=list(server.trusted_proxies),  # never uvicorn's default, nor $FORWARDED_ALLOW_IPS
        limit_concurrency=server.max_connections,
        timeout_graceful_shutdown=max(1, round(server.shutdown_grace_s)),
        log_level="warning",
        log_config=uvicorn_log_config(),  # uvicorn's lines join loguru's one stream (observability.logs)
        access_log=False,  # AutBot writes its own access line (observability.middleware)
    )


def run(config: ServerConfig) -> int:
    """Serve until SIGINT/SIGTERM (what ``uvicorn.run`` does, with our configuration class). ``config.app``
    is the app itself for one worker, an import string of an app factory for several. Returns an exit code."""
    server = uvicorn.Server(config)
    if config.workers > 1:
        Multiprocess(config, sockets=[config.bind_socket()]).run()
        return 0
    server.run()
    return 0 if server.started else 3
