"""A scripted language model: the fake. Real behaviour, small scope.

With a script it answers the scripted texts in turn; without one it answers extractively with the
first sentence of source [1], which is what a well-behaved grounded model would do.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncGenerator, Sequence

from autbot.domain.answers import ChatMessage, Completion, CompletionDelta, GenerationParams, Usage
from autbot.domain.errors import LanguageModelUnavailable
from autbot.domain.model import HealthStatus
from autbot.domain.prompting import NO_ANSWER, estimate_tokens

_SOURCE = re.compile(r"^\[(\d+)\] (.+)$", re.MULTILINE)


class ScriptedLanguageModel:
    def __init__(
        self,
        script: Sequence[str] | None = None,
        *,
        model_id: str = "scripted",
        fail_after_tokens: int | None = None,
        token_delay_s: float = 0.0,
    ) -> None:
        self._script = list(script or [])
        self._model_id = model_id
        self._fail_after = fail_after_tokens
        self._delay = token_delay_s
        self.calls: list[list[ChatMessage]] = []
        self.cancelled = 0

    @property
    def model_id(self) -> str:
        return self._model_id

    def _answer(self, messages: Sequence[ChatMessage]) -> str:
        self.calls.append(list(messages))
        if self._script:
            return self._script[(len(self.calls) - 1) % len(self._script)]
        found = _SOURCE.search(messages[-1].content)
        if not found:
            return NO_ANSWER
        sentence = re.split(r"(?<=[.!?])\s", found.group(2).strip(), maxsplit=1)[0]
        return f"{sentence} [{found.group(1)}]"

    async def complete(self, messages: Sequence[ChatMessage], params: GenerationParams) -> Completion:
        parts = [d async for d in self.stream(messages, params)]
        usage = next((d.usage for d in reversed(parts) if d.usage), Usage())
        return Completion(text="".join(d.text for d in parts), usage=usage, model=self._model_id, finish_reason="stop")

    async def stream(
        self, messages: Sequence[ChatMessage], params: GenerationParams
    ) -> AsyncGenerator[CompletionDelta, None]:
        text = self._answer(messages)
        tokens = re.findall(r"\S+\s*|\s+", text)[: params.max_tokens]
        try:
            for i, token in enumerate(tokens):
                if self._fail_after is not None and i >= self._fail_after:
                    raise LanguageModelUnavailable("The scripted model failed mid-stream (as scripted).")
                if self._delay:
                    await asyncio.sleep(self._delay)
                yield CompletionDelta(text=token)
            prompt = sum(estimate_tokens(m.content) for m in messages)
            yield CompletionDelta(
                usage=Usage(prompt_tokens=prompt, completion_tokens=len(tokens)), finish_reason="stop"
            )
        except GeneratorExit:
            self.cancelled += 1
            raise

    def health(self) -> HealthStatus:
        return HealthStatus(ok=True, detail=self._model_id)

    def close(self) -> None:
        return None
