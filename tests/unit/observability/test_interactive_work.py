"""Interactive requests are counted from start to the end of their response; other requests are not."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from autbot.entrypoints.observability.activity import CountInteractive, InteractiveWork


@pytest.mark.parametrize(
    ("method", "path", "counted"),
    [
        ("POST", "/v1/collections/kb/search", True),
        ("POST", "/v1/collections/kb/query", True),
        ("POST", "/v1/chat/completions", True),
        ("POST", "/v1/embeddings", True),
        ("POST", "/v1/sessions/s1/messages", True),
        ("GET", "/v1/collections/kb/search", False),
        ("POST", "/v1/collections/kb/documents", False),
        ("POST", "/v1/collections/kb/jobs", False),
        ("GET", "/v1/jobs/j1", False),
        ("POST", "/v1/collections/kb/search/extra", False),
    ],
)
def test_which_requests_count(method: str, path: str, counted: bool) -> None:
    work = InteractiveWork()
    seen: list[bool] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(work.busy())

    asyncio.run(CountInteractive(app, work)({"type": "http", "method": method, "path": path}, None, None))
    assert seen == [counted]
    assert not work.busy()


def test_a_failing_request_still_leaves() -> None:
    work = InteractiveWork()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("boom")

    scope = {"type": "http", "method": "POST", "path": "/v1/embeddings"}
    with pytest.raises(RuntimeError):
        asyncio.run(CountInteractive(app, work)(scope, None, None))
    assert not work.busy()


def test_lifespan_passes_through() -> None:
    work = InteractiveWork()
    calls: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        calls.append(scope["type"])

    asyncio.run(CountInteractive(app, work)({"type": "lifespan"}, None, None))
    assert calls == ["lifespan"]
