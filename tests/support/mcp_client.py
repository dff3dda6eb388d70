"""MCP clients for the tests: the official SDK's ``Client`` over streamable HTTP, with an API key, against an app in
process (``in_process``: its lifespan entered, requests through an ASGI transport) or a running server's URL."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, cast

import httpx2
from litestar import Litestar
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp_types import CallToolResult

from tests.support.app_client import LOOPBACK_BASE_URL


@asynccontextmanager
async def in_process(app: Litestar) -> AsyncIterator[httpx2.ASGITransport]:
    """The app started (its lifespan runs the MCP session manager) and a transport that calls it."""
    async with app.lifespan():
        yield httpx2.ASGITransport(app=cast(Any, app))


@asynccontextmanager
async def mcp_client(
    key: str | None = None,
    *,
    base_url: str = LOOPBACK_BASE_URL,
    transport: httpx2.AsyncBaseTransport | None = None,
    mode: str = "auto",
) -> AsyncIterator[Client]:
    """An MCP client of ``{base_url}/mcp`` sending ``key`` as ``Authorization: Bearer``; ``mode`` ``legacy``
    speaks the handshake protocols, ``auto`` the newest the server offers."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    async with (
        httpx2.AsyncClient(transport=transport, base_url=base_url, headers=headers, timeout=120) as http,
        Client(streamable_http_client(f"{base_url}/mcp", http_client=http), mode=mode) as client,
    ):
        yield client


def structured(result: CallToolResult) -> dict[str, Any]:
    """A tool result's structured content, checked to be what its JSON text says too."""
    data = result.structured_content
    assert isinstance(data, dict)
    text = result.content[0]
    assert getattr(text, "type", None) == "text"
    assert json.loads(getattr(text, "text", "")) == data
    return data
