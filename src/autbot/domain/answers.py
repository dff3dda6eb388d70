"""Answer types: chat messages, generation parameters, completions, citations and answer events."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from autbot.domain import limits
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


@dataclass(frozen=True, slots=True, kw_only=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0


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


AnswerEvent = CitationsEvent | TokenEvent | DoneEvent
