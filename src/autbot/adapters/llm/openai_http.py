"""The HTTP side of the OpenAI adapter: chat completions over a kept-alive aiohttp connection pool.

Measured (``bench/relay.py``): the OpenAI SDK under llama-index cost about 16 ms a call on loopback and
httpx about 1.6 ms of CPU, against 0.3 ms for aiohttp, so the relay talks HTTP itself. One session per
event loop (a session belongs to the loop it was made in), created on first use.
"""

from __future__ import annotations

import asyncio
import urllib.request
from collections.abc import AsyncGenerator, Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import msgspec

from autbot.domain.correlation import current_request_id


class UpstreamStatus(Exception):
    """The endpoint answered with an HTTP error status."""

    def __init__(self, status: int, headers: Mapping[str, str]) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.headers = headers


class UpstreamError(Exception):
    """The endpoint sent an error object in the middle of a stream."""


def retryable(error: Exception) -> tuple[bool, Mapping[str, str] | None]:
    """Whether a failed call may be tried again (429, 5xx, connection errors, timeouts), and the headers
    that may say when."""
    if isinstance(error, UpstreamStatus):
        return error.status == 429 or error.status >= 500, error.headers
    return isinstance(error, (aiohttp.ClientError, TimeoutError)), None


def unreachable(error: Exception) -> bool:
    return isinstance(error, aiohttp.ClientError)


def env_proxy(url: str) -> str | None:
    """The proxy for ``url`` from ``HTTP(S)_PROXY`` / ``NO_PROXY`` (as the OpenAI SDK honours them), or None.

    Read once per session, not per call: aiohttp's ``trust_env`` looks proxies and ``.netrc`` up in a worker
    thread on every request, two thread hops that cost more than the rest of a relayed call."""
    parts = urlsplit(url)
    proxy = urllib.request.getproxies().get(parts.scheme)
    if not proxy or urllib.request.proxy_bypass(parts.hostname or ""):
        return None
    return proxy


class ChatEndpoint:
    """``POST {base_url}/chat/completions``, JSON or server-sent events."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self._auth = (
            aiohttp.BasicAuth(parts.username or "", parts.password or "") if parts.username is not None else None
        )
        netloc = parts.netloc.rsplit("@", 1)[-1]  # never credentials in the URL that is called
        self._url = urlunsplit((parts.scheme, netloc, parts.path.rstrip("/") + "/chat/completions", "", ""))
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._proxy: str | None = None

    def _client(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._loop is not loop:
            connector = aiohttp.TCPConnector(limit=0, ttl_dns_cache=300, enable_cleanup_closed=True)
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=None),  # the adapter bounds every call itself
            )
            self._proxy = env_proxy(self._url)
            self._loop = loop
        return self._session

    def _headers(self, key: str | None, *, stream: bool) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "text/event-stream" if stream else "application/json"}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        request_id = current_request_id()
        if request_id:
            headers["X-Request-ID"] = request_id  # the upstream's logs can be joined with ours
        return headers

    def _auth_for(self, key: str | None) -> aiohttp.BasicAuth | None:
        return None if key else self._auth  # a bearer key wins over credentials in the URL

    async def complete(self, body: dict[str, Any], key: str | None) -> dict[str, Any]:
        data = msgspec.json.encode(body)
        async with self._client().post(
            self._url, data=data, headers=self._headers(key, stream=False), auth=self._auth_for(key), proxy=self._proxy
        ) as r:
            raw = await r.read()
            if r.status != 200:
                raise UpstreamStatus(r.status, r.headers)
        decoded = msgspec.json.decode(raw)
        if not isinstance(decoded, dict):
            raise UpstreamError("the endpoint answered something other than a JSON object")
        return decoded

    async def stream(self, body: dict[str, Any], key: str | None) -> AsyncGenerator[dict[str, Any], None]:
        data = msgspec.json.encode(body)
        async with self._client().post(
            self._url, data=data, headers=self._headers(key, stream=True), auth=self._auth_for(key), proxy=self._proxy
        ) as r:
            if r.status != 200:
                await r.read()
                raise UpstreamStatus(r.status, r.headers)
            while True:
                line = await r.content.readline()
                if not line:
                    return
                line = line.strip()
                if not line.startswith(b"data:"):
                    continue
                payload = line[5:].strip()
                if payload == b"[DONE]":
                    return
                event = msgspec.json.decode(payload)
                if isinstance(event, dict) and event.get("error"):
                    raise UpstreamError("the endpoint sent an error in the stream")
                if isinstance(event, dict):
                    yield event

    async def aclose(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    def close(self) -> None:
        """Close from synchronous code: scheduled on the session's loop if it still runs, else dropped."""
        session, loop = self._session, self._loop
        self._session = None
        if session is None or session.closed or loop is None or loop.is_closed():
            return
        if loop.is_running():
            loop.call_soon_threadsafe(lambda: loop.create_task(session.close()))
