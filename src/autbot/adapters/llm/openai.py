"""Any OpenAI-compatible chat endpoint (OpenAI, vLLM, Ollama, llama.cpp server, LiteLLM) over HTTP
(``openai_http``: kept-alive connections; a lean HTTP/1.1 client for plain ``http://`` endpoints, aiohttp for
``https://`` and proxies). Bounded retries with backoff on 429/5xx and
connection errors, honouring Retry-After; never a retry once tokens were streamed. The API key is never
logged, and neither are credentials in the base URL (messages and reprs show ``https://***@host``). The
key is read again before every call, so a key rotated in the secret store is used by the next call,
without a restart."""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import AsyncGenerator, Callable, Sequence
from typing import Any

from autbot.adapters.llm.openai_http import ChatEndpoint, UpstreamStatus, broken, retryable, unreachable
from autbot.domain.answers import ChatMessage, Completion, CompletionDelta, GenerationParams, Usage
from autbot.domain.errors import LanguageModelTimeout, LanguageModelUnavailable, UpstreamRejected
from autbot.domain.model import HealthStatus
from autbot.domain.secrets import redact_url


def retry_after_seconds(headers: Any, *, now: float | None = None) -> float | None:
    """Seconds to wait from ``retry-after-ms`` / ``Retry-After`` (seconds or an HTTP date)."""
    if headers is None:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None
    return max(0.0, when - (time.time() if now is None else now))


REJECTED = frozenset({400, 413, 422})
"""Upstream statuses that refuse the request itself (too long a context, a parameter the model does not take):
``UpstreamRejected``, a caller's error that no circuit breaker counts."""


class StreamTruncated(Exception):
    """The HTTP stream closed without a finish_reason: the answer is incomplete."""


class OpenAILanguageModel:
    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: str | Callable[[], str | None] | None = None,
        timeout_s: float = 60.0,
        max_retries: int = 2,
        backoff_s: float = 0.5,
        max_backoff_s: float = 20.0,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._shown_url = redact_url(self._base_url)
        self._model = model
        self._api_key: Callable[[], str | None] = api_key if callable(api_key) else (lambda: api_key)
        self._timeout_s = timeout_s
        self._max_retries = max(0, max_retries)
        self._backoff_s = backoff_s
        self._max_backoff_s = max_backoff_s
        self._endpoint = ChatEndpoint(self._base_url)  # a malformed URL fails here, at start-up

    def __repr__(self) -> str:  # no key, no URL credentials in reprs
        return f"OpenAILanguageModel(base_url={self._shown_url!r}, model={self._model!r})"

    @property
    def model_id(self) -> str:
        return self._model

    def _body(self, messages: Sequence[ChatMessage], params: GenerationParams, *, stream: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self._model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "max_tokens": params.max_tokens,
            "temperature": params.temperature,
        }
        if params.top_p is not None:
            body["top_p"] = params.top_p
        if params.stop:
            body["stop"] = list(params.stop)
        if stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        return body

    async def complete(self, messages: Sequence[ChatMessage], params: GenerationParams) -> Completion:
        body = self._body(messages, params, stream=False)
        attempt = 0
        while True:
            try:
                async with asyncio.timeout(params.timeout_s):
                    raw = await self._endpoint.complete(body, self._api_key())
            except Exception as e:
                delay = self._retry_delay(e, attempt)
                if delay is None:
                    raise self._translate(e) from e
                attempt += 1
                await asyncio.sleep(delay)
                continue
            choices = raw.get("choices") or [{}]
            message = choices[0].get("message") or {}
            return Completion(
                text=message.get("content") or "",
                usage=_usage(raw.get("usage")) or Usage(),
                model=self._model,
                finish_reason=choices[0].get("finish_reason"),
            )

    async def stream(
        self, messages: Sequence[ChatMessage], params: GenerationParams
    ) -> AsyncGenerator[CompletionDelta, None]:
        body = self._body(messages, params, stream=True)
        attempt = 0
        while True:
            streamed = False
            finish: str | None = None
            usage: Usage | None = None
            events = self._endpoint.stream(body, self._api_key())
            try:
                async with asyncio.timeout(params.timeout_s):
                    async for event in events:
                        usage = _usage(event.get("usage")) or usage
                        for choice in event.get("choices") or ():
                            finish = choice.get("finish_reason") or finish
                            text = (choice.get("delta") or {}).get("content")
                            if text:
                                streamed = True
                                yield CompletionDelta(text=text)
                if finish is None:
                    raise StreamTruncated("the stream ended before the model finished")
                yield CompletionDelta(usage=usage or Usage(), finish_reason=finish)
                return
            except Exception as e:
                delay = None if streamed else self._retry_delay(e, attempt)
                if delay is None:
                    raise self._translate(e) from e
                attempt += 1
                await asyncio.sleep(delay)
            finally:
                await events.aclose()

    def _retry_delay(self, error: Exception, attempt: int) -> float | None:
        if attempt >= self._max_retries:
            return None
        again, headers = retryable(error)
        if not (again or isinstance(error, StreamTruncated)):
            return None
        hinted = retry_after_seconds(headers)
        if hinted is not None:
            return min(hinted, self._max_backoff_s)
        base = self._backoff_s * (2**attempt)
        # Jitter spreads retries out; nothing secret depends on it.
        return float(min(self._max_backoff_s, base + random.uniform(0, base / 2)))  # nosec B311

    def _translate(self, error: Exception) -> Exception:
        url = self._shown_url
        if isinstance(error, TimeoutError):
            return LanguageModelTimeout(f"{url} did not answer in time.", endpoint=url)
        if isinstance(error, UpstreamStatus) and error.status in REJECTED:  # the model is up; the request is not
            return UpstreamRejected(
                f"{url} refused the request (HTTP {error.status}): the question, the conversation or max_tokens "
                "may be more than the model takes.",
                endpoint=url,
                upstream_status=error.status,
            )
        if isinstance(error, UpstreamStatus) and error.status in (401, 403):
            return LanguageModelUnavailable(f"{url} refused the API key.", endpoint=url, upstream_status=error.status)
        if isinstance(error, UpstreamStatus):
            return LanguageModelUnavailable(
                f"{url} answered HTTP {error.status}.", endpoint=url, upstream_status=error.status
            )
        if unreachable(error):
            return LanguageModelUnavailable(f"Could not reach {url}.", endpoint=url)
        if isinstance(error, StreamTruncated) or broken(error):
            return LanguageModelUnavailable(f"{url}: {error}.", endpoint=url)
        # Not the error's text: an unexpected error may quote the request (its URL, its headers).
        return LanguageModelUnavailable(f"The language model call failed: {type(error).__name__}.", endpoint=url)

    def health(self) -> HealthStatus:
        import httpx

        key = self._api_key()
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        try:
            with httpx.Client(timeout=min(5.0, self._timeout_s)) as client:
                r = client.get(f"{self._base_url}/models", headers=headers)
        except httpx.HTTPError as e:
            return HealthStatus(ok=False, detail=f"{self._shown_url}: {type(e).__name__}")
        return HealthStatus(ok=r.status_code == 200, detail=f"{self._shown_url}/models answered {r.status_code}")

    def close(self) -> None:
        self._endpoint.close()

    async def aclose(self) -> None:
        """Close the connection pool (in the event loop that used it)."""
        await self._endpoint.aclose()


def _usage(raw: Any) -> Usage | None:
    if raw is None:
        return None
    get = raw.get if isinstance(raw, dict) else (lambda k, d=0: getattr(raw, k, d))
    return Usage(
        prompt_tokens=int(get("prompt_tokens", 0) or 0), completion_tokens=int(get("completion_tokens", 0) or 0)
    )
