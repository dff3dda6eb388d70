"""Running the app under uvicorn with bounded connection lifetimes.

uvicorn times out idle keep-alive connections, but not a client that sends a request line and headers
slowly (or never finishes them): such a connection is held for ever, and a few thousand of them hold the
server. Both protocols here add a timer to one of uvicorn's HTTP/1.1 protocols and close a connection whose
request line and headers are not complete within ``server.header_timeout_s``, counted from the connection
(or, on a kept-alive connection, from the first byte of the next request): ``HeaderTimeoutHttpToolsProtocol``
(``serving_httptools``: uvicorn's httptools parser, the cheaper one per request) and
``HeaderTimeoutH11Protocol`` (uvicorn's pure-Python h11 one). ``server.http_parser`` chooses; ``auto`` takes
httptools where it is importable. The body has its own deadline (``server.body_timeout_s``, enforced by
``RequestGuard``). ``server.shutdown_grace_s`` bounds a graceful shutdown; ``server.max_connections`` caps
connections per worker.
"""

from __future__ import annotations

import asyncio
import importlib.util
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess

from autbot.entrypoints.observability.logs import uvicorn_log_config
from autbot.entrypoints.server.protocols import DEFAULT_HEADER_TIMEOUT_S, HeaderTimeoutH11Protocol
from autbot.entrypoints.settings import ServerSettings


class ServerConfig(uvicorn.Config):
    """uvicorn's configuration with the header timeout; it travels to ``--workers`` processes with the rest."""

    def __init__(self, app: Any, *, header_timeout_s: float = DEFAULT_HEADER_TIMEOUT_S, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self.header_timeout_s = header_timeout_s


def resolved_parser(parser: str) -> str:
    """``server.http_parser`` with ``auto`` resolved: httptools where it is importable, else h11."""
    if parser == "auto":
        return "httptools" if importlib.util.find_spec("httptools") is not None else "h11"
    return parser


def http_protocol(parser: str) -> type[asyncio.Protocol]:
    """The protocol class for ``server.http_parser``; ``httptools`` named but not installed is an error."""
    if resolved_parser(parser) == "h11":
        return HeaderTimeoutH11Protocol
    if importlib.util.find_spec("httptools") is None:
        raise RuntimeError("server.http_parser is 'httptools' but httptools is not installed (use 'auto' or 'h11')")
    from autbot.entrypoints.server.httptools_protocol import HeaderTimeoutHttpToolsProtocol

    return HeaderTimeoutHttpToolsProtocol


def server_config(app: Any, server: ServerSettings, *, factory: bool = False) -> ServerConfig:
    return ServerConfig(
        app,
        factory=factory,
        host=server.host,
        port=server.port,
        workers=server.workers,
        http=http_protocol(server.http_parser),
        header_timeout_s=server.header_timeout_s,
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
