"""An app driven as raw ASGI calls in one event loop (no client, no socket), and the bare Litestar handlers
that the app's routes are compared to: each decodes the same request body type and returns a canned
response of the same shape."""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

Lifespan = tuple["asyncio.Task[None]", "asyncio.Queue[dict[str, Any]]"]


async def call(app: Any, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
    """One HTTP request through the app: its status and body."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1:8000"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    sent = False
    status, chunks = 0, []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


async def start(app: Any) -> Lifespan:
    """Runs the app's lifespan start-up; ``stop`` ends it."""
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    started = asyncio.Event()

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "lifespan.startup.complete":
            started.set()

    await inbox.put({"type": "lifespan.startup"})
    task = asyncio.create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, inbox.get, send))
    await asyncio.wait_for(started.wait(), 30)
    return task, inbox


async def stop(*lifespans: Lifespan) -> None:
    for task, inbox in lifespans:
        await inbox.put({"type": "lifespan.shutdown"})
        await asyncio.wait_for(task, 30)


async def rate(app: Any, path: str, body: bytes, seconds: float) -> float:
    """Requests/s of ``POST path`` sent one after the other for ``seconds``."""
    n, begun = 0, time.perf_counter()
    while time.perf_counter() - begun < seconds:
        status, _ = await call(app, "POST", path, body)
        assert status == 200, status
        n += 1
    return n / (time.perf_counter() - begun)


async def interleaved(app: Any, bare: Any, path: str, body: bytes, quick: bool) -> list[tuple[float, float]]:
    """(bare, app) requests/s per round after a warm-up of each; rounds alternate so other load hits both."""
    seconds = 1.0 if quick else 3.0
    await rate(app, path, body, 0.5)
    await rate(bare, path, body, 0.5)
    return [
        (await rate(bare, path, body, seconds), await rate(app, path, body, seconds)) for _ in range(2 if quick else 5)
    ]


def medians(rounds: list[tuple[float, float]]) -> dict[str, float]:
    """The rounds' median requests/s of each side, and the median of the per-round ratios app / bare."""
    return {
        "bare_rps": statistics.median(b for b, _ in rounds),
        "app_rps": statistics.median(a for _, a in rounds),
        "ratio_app_vs_bare": statistics.median(a / b for b, a in rounds),
    }


def bare_search_app(canned: bytes) -> Any:
    """``POST /v1/collections/{collection}/search``: decodes a ``SearchBody``, returns ``canned``."""
    import msgspec
    from litestar import Litestar, post

    from autbot.entrypoints.http.schemas.collections import SearchBody, SearchResponse

    response = msgspec.json.decode(canned, type=SearchResponse)

    @post(
        "/v1/collections/{collection:str}/search",
        status_code=200,
        signature_namespace={"SearchBody": SearchBody, "SearchResponse": SearchResponse},
    )
    async def search(collection: str, data: SearchBody) -> SearchResponse:
        return response

    return Litestar(route_handlers=[search], debug=False)


def bare_query_app(canned: bytes) -> Any:
    """``POST /v1/collections/{collection}/query``: decodes a ``QueryBody``, returns ``canned``."""
    import msgspec
    from litestar import Litestar, post

    from autbot.entrypoints.http.schemas.collections import QueryBody, QueryResponse

    response = msgspec.json.decode(canned, type=QueryResponse)

    @post(
        "/v1/collections/{collection:str}/query",
        status_code=200,
        signature_namespace={"QueryBody": QueryBody, "QueryResponse": QueryResponse},
    )
    async def query(collection: str, data: QueryBody) -> QueryResponse:
        return response

    return Litestar(route_handlers=[query], debug=False)
