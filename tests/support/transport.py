"""An HTTP/1.1 protocol of the server on a real event loop, fed by hand: a transport double that records what
the protocol writes and whether it closed the connection."""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.server import ServerState

from autbot.entrypoints.server import runtime as serving


class Transport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.written = b""
        self.closed = False
        self.aborted = False
        self.protocol: Any = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += bytes(data)

    def close(self) -> None:
        """As asyncio's (with everything written at once): the protocol soon hears that the connection is lost."""
        if not self.closed and self.protocol is not None:
            asyncio.get_running_loop().call_soon(self.protocol.connection_lost, None)
        self.closed = True

    def abort(self) -> None:
        self.close()
        self.aborted = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 50000)}.get(name, default)

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def connect(protocol: type[asyncio.Protocol], app: Any, **config: Any) -> tuple[Any, Transport]:
    """A new connection to ``protocol`` serving ``app`` under ``ServerConfig(**config)``, on the running loop."""
    server_config = serving.ServerConfig(app, http=protocol, log_config=None, ws="none", **config)
    server_config.load()
    connection = protocol(server_config, ServerState(), {}, asyncio.get_running_loop())  # type: ignore[call-arg]
    transport = Transport()
    transport.protocol = connection
    connection.connection_made(transport)
    return connection, transport
