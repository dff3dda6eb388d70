"""Answer types: chat messages, generation parameters, completions, citations and answer events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from autbot.domain import limits
from autbot.domain.errors import InvalidInput
from autbot.domain.model import SearchHit

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatMessage:
    role: Role
    content: str


@dataclass(frozen=True, slots=True, kw_only=True)
class GenerationParams:
    max_tokens: int = limits.DEFAULT_OUTPUT_TOKENS
    temperature: float = 0.0
    timeout_s: float = limits.LLM_TIMEOUT_S
    top_p: float | None = None
    """None: the model's default."""
    stop: tuple[str, ...] = ()
    """Generation stops before any of these strings."""


MAX_STOP_SEQUENCES = limits.MAX_STOP_SEQUENCES


def generation_params(
    *,
    max_tokens: int | None,
    temperature: float | None,
    top_p: float | None = None,
    stop: Sequence[str] = (),
    default_tokens: int,
    max_output_tokens: int,
    timeout_s: float,
) -> GenerationParams:
    """Validated parameters: ``max_tokens`` 1 to ``max_output_tokens`` (``default_tokens`` when None),
    ``temperature`` 0-2 (0 when None), ``top_p`` above 0 and at most 1, at most 4 non-empty ``stop`` strings."""
    tokens = default_tokens if max_tokens is None else max_tokens
    if not 1 <= tokens <= max_output_tokens:
        raise InvalidInput(f"max_tokens must be between 1 and {max_output_tokens}.", field="max_tokens")
    temp = 0.0 if temperature is None else temperature
    if not 0.0 <= temp <= limits.MAX_TEMPERATURE:
        raise InvalidInput(f"temperature must be between 0 and {limits.MAX_TEMPERATURE:g}.", field="temperature")
    if top_p is not None and not 0.0 < top_p <= 1.0:
        raise InvalidInput("top_p must be above 0 and at most 1.", field="top_p")
    if len(stop) > MAX_STOP_SEQUENCES or not all(isinstance(x, str) and x for x in stop):
        raise InvalidInput(f"stop is at most {MAX_STOP_SEQUENCES} non-empty strings.", field="stop")
    return GenerationParams(max_tokens=tokens, temperature=temp, timeout_s=timeout_s, top_p=top_p, stop=tuple(stop))


@dataclass(frozen=True, slots=True, kw_only=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Completion:
    text: str
    usage: Usage
    model: str
    finish_reason: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CompletionDelta:
    """One piece of a streamed completion: text, or (last) the usage."""

    text: str = ""
    usage: Usage | None = None
    finish_reason: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Citation:
    n: int
    hit: SearchHit


@dataclass(frozen=True, slots=True, kw_only=True)
class Answer:
    text: str
    citations: tuple[Citation, ...]
    usage: Usage
    model: str
    finish_reason: str = "stop"
    """``stop``, or ``length`` when ``max_tokens`` cut the answer short."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CitationsEvent:
    citations: tuple[Citation, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenEvent:
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DoneEvent:
    usage: Usage
    model: str
    finish_reason: str = "stop"


AnswerEvent = CitationsEvent | TokenEvent | DoneEvent
