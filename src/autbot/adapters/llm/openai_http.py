"""The HTTP side of the OpenAI adapter: ``POST {base_url}/chat/completions`` over kept-alive connections.

Two wires, one shape (a :class:`Reply`-like answer with ``status``, ``headers``, ``read`` and ``readline``):

- a plain ``http://`` endpoint reached directly (a vLLM, llama.cpp or Ollama server on the same network) goes
  through ``http1``, a lean HTTP/1.1 client on ``httptools``;
- ``https://`` endpoints and calls through a proxy (``HTTP(S)_PROXY``) go through aiohttp (TLS, proxies).

What a call costs on each wire, against the OpenAI SDK and httpx: docs/benchmarks.md §6. One pool or session
per event loop (a connection belongs to the loop it was made in), created on first use.
"""

from __future__ import annotations

import asyncio
import base64
import urllib.request
from collections.abc import AsyncGenerator, Mapping
from types import TracebackType
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit, urlunsplit

import aiohttp
import msgspec

from autbot.adapters.llm.http1 import ConnectFailed, Http1Error, Http1Pool
from autbot.domain.correlation import current_request_id

MAX_RESPONSE_BYTES = 16 * 1024 * 1024
"""A whole (non-streamed) completion's body; a larger one is an error, not a parse of it."""


class UpstreamStatus(Exception):
    """The endpoint answered with an HTTP error status."""

    def __init__(self, status: int, headers: Mapping[str, str]) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.headers = headers


class UpstreamError(Exception):
    """The endpoint sent an error object in the middle of a stream, or an answer that is not one."""


def retryable(error: Exception) -> tuple[bool, Mapping[str, str] | None]:
    """Whether a failed call may be tried again (429, 5xx, connection errors, timeouts), and the headers
    that may say when."""
    if isinstance(error, UpstreamStatus):
        return error.status == 429 or error.status >= 500, error.headers
    return isinstance(error, (aiohttp.ClientError, Http1Error, TimeoutError)), None


def unreachable(error: Exception) -> bool:
    return isinstance(error, (aiohttp.ClientError, ConnectFailed))


def broken(error: Exception) -> bool:
    """The endpoint answered something that is not a usable answer (the error's text says what; it quotes
    neither the request nor its headers)."""
    return isinstance(error, (UpstreamError, Http1Error))


def env_proxy(url: str) -> str | None:
    """The proxy for ``url`` from ``HTTP(S)_PROXY`` / ``NO_PROXY`` (as the OpenAI SDK honours them), or None.

    Read once per event loop, not per call: aiohttp's ``trust_env`` looks proxies and ``.netrc`` up in a
    worker thread on every request, two thread hops that cost more than the rest of a relayed call."""
    parts = urlsplit(url)
    proxy = urllib.request.getproxies().get(parts.scheme)
    if not proxy or urllib.request.proxy_bypass(parts.hostname or ""):
        return None
    return proxy


class _Reply(Protocol):
    status: int
    headers: Mapping[str, str]

    async def read(self, limit: int) -> bytes: ...

    async def readline(self) -> bytes: ...

    async def __aenter__(self) -> _Reply: ...

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None: ...


class _AiohttpReply:
    """aiohttp's response in the shape of ``http1.Reply``."""

    def __init__(self, request: Any, response: aiohttp.ClientResponse) -> None:
        self._request, self._response = request, response
        self.status = response.status
        self.headers: Mapping[str, str] = response.headers

    async def read(self, limit: int) -> bytes:
        parts: list[bytes] = []
        size = 0
        async for chunk in self._response.content.iter_any():
            size += len(chunk)
            if size > limit:
                raise UpstreamError(f"the response body is larger than {limit} bytes")
            parts.append(chunk)
        return b"".join(parts)

    async def readline(self) -> bytes:
        return await self._response.content.readline()

    async def __aenter__(self) -> _AiohttpReply:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._request.__aexit__(kind, error, tb)


class _AiohttpWire:
    def __init__(self, url: str, proxy: str | None) -> None:
        self._url, self._proxy = url, proxy
        connector = aiohttp.TCPConnector(limit=0, ttl_dns_cache=300, enable_cleanup_closed=True)
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=None),  # the adapter bounds every call itself
        )

    async def post(self, headers: Mapping[str, str], body: bytes) -> _Reply:
        request = self._session.post(self._url, data=body, headers=dict(headers), proxy=self._proxy)
        response = await request.__aenter__()
        return _AiohttpReply(request, response)

    async def aclose(self) -> None:
        if not self._session.closed:
            await self._session.close()


class _LeanWire:
    def __init__(self, pool: Http1Pool, path: str) -> None:
        self._pool, self._path = pool, path

    async def post(self, headers: Mapping[str, str], body: bytes) -> _Reply:
        return await self._pool.post(self._path, headers, body)

    async def aclose(self) -> None:
        self._pool.close()


class ChatEndpoint:
    """``POST {base_url}/chat/completions``, JSON or server-sent events."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self._basic: str | None = None  # credentials in the URL, sent as Basic auth unless a key is set
        if parts.username is not None:
            pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            self._basic = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
        netloc = parts.netloc.rsplit("@", 1)[-1]  # never credentials in the URL that is called
        self._path = parts.path.rstrip("/") + "/chat/completions"
        self._url = urlunsplit((parts.scheme, netloc, self._path, "", ""))
        self._plain = parts.scheme == "http"
        self._host, self._port = parts.hostname or "", parts.port or 80  # a bad port fails here, at start-up
        self._wire: _AiohttpWire | _LeanWire | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _client(self) -> _AiohttpWire | _LeanWire:
        loop = asyncio.get_running_loop()
        if self._wire is None or self._loop is not loop:
            proxy = env_proxy(self._url)
            if self._plain and proxy is None:
                self._wire = _LeanWire(Http1Pool(self._host, self._port, loop=loop), self._path)
            else:
                self._wire = _AiohttpWire(self._url, proxy)
            self._loop = loop
        return self._wire

    def _headers(self, key: str | None, *, stream: bool) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "text/event-stream" if stream else "application/json"}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        elif self._basic:
            headers["Authorization"] = self._basic
        request_id = current_request_id()
        if request_id:
            headers["X-Request-ID"] = request_id  # the upstream's logs can be joined with ours
        return headers

    async def complete(self, body: dict[str, Any], key: str | None) -> dict[str, Any]:
        data = msgspec.json.encode(body)
        async with await self._client().post(self._headers(key, stream=False), data) as r:
            raw = await r.read(MAX_RESPONSE_BYTES)
            if r.status != 200:
                raise UpstreamStatus(r.status, r.headers)
        try:
            decoded = msgspec.json.decode(raw)
        except msgspec.DecodeError as e:
            raise UpstreamError("the endpoint answered something other than JSON") from e
        if not isinstance(decoded, dict):
            raise UpstreamError("the endpoint answered something other than a JSON object")
        return decoded

    async def stream(self, body: dict[str, Any], key: str | None) -> AsyncGenerator[dict[str, Any], None]:
        data = msgspec.json.encode(body)
        async with await self._client().post(self._headers(key, stream=True), data) as r:
            if r.status != 200:
                await r.read(MAX_RESPONSE_BYTES)
                raise UpstreamStatus(r.status, r.headers)
            while True:
                line = await r.readline()
                if not line:
                    return
                line = line.strip()
                if not line.startswith(b"data:"):
                    continue
                payload = line[5:].strip()
                if payload == b"[DONE]":
                    return
                try:
                    event = msgspec.json.decode(payload)
                except msgspec.DecodeError as e:
                    raise UpstreamError("the endpoint sent an event that is not JSON") from e
                if isinstance(event, dict) and event.get("error"):
                    raise UpstreamError("the endpoint sent an error in the stream")
                if isinstance(event, dict):
                    yield event

    async def aclose(self) -> None:
        wire, self._wire = self._wire, None  # a later call (in a new loop, say) opens a new one
        if wire is not None:
            await wire.aclose()

    def close(self) -> None:
        """Close from synchronous code: scheduled on the wire's loop if it still runs, else dropped."""
        wire, loop = self._wire, self._loop
        self._wire = None
        if wire is None or loop is None or loop.is_closed():
            return
        if loop.is_running():
            loop.call_soon_threadsafe(lambda: loop.create_task(wire.aclose()))
