from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from typing import Protocol, runtime_checkable

from autbot.domain.answers import ChatMessage, Completion, CompletionDelta, GenerationParams
from autbot.domain.model import HealthStatus


@runtime_checkable
class LanguageModel(Protocol):
    """A chat model. Raises ``LanguageModelUnavailable`` or ``LanguageModelTimeout``.

    ``stream`` yields text deltas and ends with one delta carrying ``usage``. Closing the iterator
    early (``aclose``) cancels the generation.
    """

    @property
    def model_id(self) -> str: ...

    async def complete(self, messages: Sequence[ChatMessage], params: GenerationParams) -> Completion: ...

    def stream(
        self, messages: Sequence[ChatMessage], params: GenerationParams
    ) -> AsyncGenerator[CompletionDelta, None]: ...

    def health(self) -> HealthStatus: ...

    def close(self) -> None:
        """Release what the model holds (the container's shutdown)."""
        ...

    async def aclose(self) -> None:
        """Release what the model holds in the event loop that used it (asyncio connections); a no-op where
        it holds none. Called at the server's shutdown; may be repeated, and a later call opens them again."""
        ...
