"""Any OpenAI-compatible chat endpoint (OpenAI, vLLM, Ollama, llama.cpp server, LiteLLM) through
llama-index's OpenAILike. Bounded retries with backoff on 429/5xx and connection errors, honouring
Retry-After; never a retry once tokens were streamed. The API key is never logged."""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import AsyncGenerator, Sequence
from typing import Any

from autbot.domain.answers import ChatMessage, Completion, CompletionDelta, GenerationParams, Usage
from autbot.domain.errors import LanguageModelTimeout, LanguageModelUnavailable
from autbot.domain.model import HealthStatus


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


class StreamTruncated(Exception):
    """The HTTP stream closed without a finish_reason: the answer is incomplete."""


class OpenAILanguageModel:
    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: str | None = None,
        timeout_s: float = 60.0,
        max_retries: int = 2,
        backoff_s: float = 0.5,
        max_backoff_s: float = 20.0,
    ) -> None:
        from llama_index.llms.openai_like import OpenAILike

        self._base_url = base_url.rstrip("/")
        self._model = model
        self._api_key = api_key
        self._timeout_s = timeout_s
        self._max_retries = max(0, max_retries)
        self._backoff_s = backoff_s
        self._max_backoff_s = max_backoff_s
        self._llm = OpenAILike(
            model=model,
            api_base=self._base_url,
            api_key=api_key or "unused",
            is_chat_model=True,
            is_function_calling_model=False,
            timeout=timeout_s,
            max_retries=0,
            context_window=32768,
        )

    def __repr__(self) -> str:  # no key in reprs
        return f"OpenAILanguageModel(base_url={self._base_url!r}, model={self._model!r})"

    @property
    def model_id(self) -> str:
        return self._model

    def _messages(self, messages: Sequence[ChatMessage]) -> list[Any]:
        from llama_index.core.llms import ChatMessage as LlamaMessage

        return [LlamaMessage(role=m.role, content=m.content) for m in messages]

    async def complete(self, messages: Sequence[ChatMessage], params: GenerationParams) -> Completion:
        attempt = 0
        while True:
            try:
                response = await asyncio.wait_for(
                    self._llm.achat(
                        self._messages(messages), max_tokens=params.max_tokens, temperature=params.temperature
                    ),
                    params.timeout_s,
                )
            except Exception as e:
                delay = self._retry_delay(e, attempt)
                if delay is None:
                    raise self._translate(e) from e
                attempt += 1
                await asyncio.sleep(delay)
                continue
            raw = response.raw
            usage = _usage(getattr(raw, "usage", None) if not isinstance(raw, dict) else raw.get("usage"))
            choices = getattr(raw, "choices", None) or []
            finish = getattr(choices[0], "finish_reason", None) if choices else None
            return Completion(
                text=response.message.content or "",
                usage=usage or Usage(),
                model=self._model,
                finish_reason=finish,
            )

    async def stream(
        self, messages: Sequence[ChatMessage], params: GenerationParams
    ) -> AsyncGenerator[CompletionDelta, None]:
        attempt = 0
        while True:
            streamed = False
            finish: str | None = None
            usage: Usage | None = None
            gen: Any = None
            try:
                async with asyncio.timeout(params.timeout_s):
                    gen = await self._llm.astream_chat(
                        self._messages(messages),
                        max_tokens=params.max_tokens,
                        temperature=params.temperature,
                        stream_options={"include_usage": True},
                    )
                    async for part in gen:
                        raw = part.raw
                        usage = _usage(getattr(raw, "usage", None)) or usage
                        for choice in getattr(raw, "choices", None) or []:
                            finish = getattr(choice, "finish_reason", None) or finish
                        if part.delta:
                            streamed = True
                            yield CompletionDelta(text=part.delta)
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
                if gen is not None:
                    await gen.aclose()

    def _retry_delay(self, error: Exception, attempt: int) -> float | None:
        import openai

        if attempt >= self._max_retries:
            return None
        retryable = isinstance(
            error, (openai.APIConnectionError, openai.APITimeoutError, TimeoutError, StreamTruncated)
        )
        headers = None
        if isinstance(error, openai.APIStatusError):
            retryable = error.status_code == 429 or error.status_code >= 500
            headers = error.response.headers
        if not retryable:
            return None
        hinted = retry_after_seconds(headers)
        if hinted is not None:
            return min(hinted, self._max_backoff_s)
        base = self._backoff_s * (2**attempt)
        return float(min(self._max_backoff_s, base + random.uniform(0, base / 2)))

    def _translate(self, error: Exception) -> Exception:
        import openai

        if isinstance(error, (TimeoutError, openai.APITimeoutError)):
            return LanguageModelTimeout(f"{self._base_url} did not answer in time.", endpoint=self._base_url)
        if isinstance(error, openai.AuthenticationError):
            return LanguageModelUnavailable(f"{self._base_url} refused the API key.", endpoint=self._base_url)
        if isinstance(error, openai.APIStatusError):
            return LanguageModelUnavailable(
                f"{self._base_url} answered HTTP {error.status_code}.",
                endpoint=self._base_url,
                upstream_status=error.status_code,
            )
        if isinstance(error, StreamTruncated):
            return LanguageModelUnavailable(f"{self._base_url}: {error}.", endpoint=self._base_url)
        if isinstance(error, openai.APIConnectionError):
            return LanguageModelUnavailable(f"Could not reach {self._base_url}.", endpoint=self._base_url)
        return LanguageModelUnavailable(f"The language model call failed: {type(error).__name__}: {error}")

    def health(self) -> HealthStatus:
        import httpx

        headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
        try:
            with httpx.Client(timeout=min(5.0, self._timeout_s)) as client:
                r = client.get(f"{self._base_url}/models", headers=headers)
        except httpx.HTTPError as e:
            return HealthStatus(ok=False, detail=f"{self._base_url}: {type(e).__name__}")
        return HealthStatus(ok=r.status_code == 200, detail=f"{self._base_url}/models answered {r.status_code}")

    def close(self) -> None:
        return None


def _usage(raw: Any) -> Usage | None:
    if raw is None:
        return None
    get = raw.get if isinstance(raw, dict) else (lambda k, d=0: getattr(raw, k, d))
    return Usage(
        prompt_tokens=int(get("prompt_tokens", 0) or 0), completion_tokens=int(get("completion_tokens", 0) or 0)
    )
