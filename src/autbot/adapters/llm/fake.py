"""A scripted language model: the fake. Real behaviour, small scope.

With a script it answers the scripted texts in turn. Without one it behaves like a well-behaved model
would, crudely but deterministically: given numbered sources it answers extractively with the first
sentence of source [1] (or says it does not know when there is none); asked to rewrite a follow-up as a
standalone question it writes the follow-up, then the previous question; otherwise it echoes the last
message.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncGenerator, Sequence

from autbot.domain.answers import ChatMessage, Completion, CompletionDelta, GenerationParams, Usage
from autbot.domain.conversation import FOLLOW_UP_LEAD, PREVIOUS_LEAD
from autbot.domain.errors import LanguageModelUnavailable
from autbot.domain.model import HealthStatus
from autbot.domain.prompting import CONTEXT_HEADER, NO_ANSWER, estimate_tokens

_SOURCE = re.compile(r"^\[(\d+)\] ([^\n]+)", re.MULTILINE)


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
        last = messages[-1].content
        if FOLLOW_UP_LEAD in last and PREVIOUS_LEAD in last:
            previous = last.split(PREVIOUS_LEAD, 1)[1].splitlines()[0].strip()
            follow_up = last.split(FOLLOW_UP_LEAD, 1)[1].splitlines()[0].strip().rstrip("?")
            return f"{follow_up}, after: {previous}" if previous else f"{follow_up}?"
        if CONTEXT_HEADER not in last:
            return f"You said: {' '.join(last.split())}"
        found = _SOURCE.search(last)
        if not found:
            return NO_ANSWER
        sentence = re.split(r"(?<=[.!?])\s", found.group(2).strip(), maxsplit=1)[0]
        return f"{sentence} [{found.group(1)}]"

    async def complete(self, messages: Sequence[ChatMessage], params: GenerationParams) -> Completion:
        parts = [d async for d in self.stream(messages, params)]
        usage = next((d.usage for d in reversed(parts) if d.usage), Usage())
        finish = next((d.finish_reason for d in reversed(parts) if d.finish_reason), "stop")
        return Completion(text="".join(d.text for d in parts), usage=usage, model=self._model_id, finish_reason=finish)

    async def stream(
        self, messages: Sequence[ChatMessage], params: GenerationParams
    ) -> AsyncGenerator[CompletionDelta, None]:
        text = self._answer(messages)
        for stop in params.stop:  # like a real model: generation ends before a stop string
            text = text.split(stop, 1)[0]
        words = re.findall(r"\S+\s*|\s+", text)
        tokens = words[: params.max_tokens]
        try:
            for i, token in enumerate(tokens):
                if self._fail_after is not None and i >= self._fail_after:
                    raise LanguageModelUnavailable("The scripted model failed mid-stream (as scripted).")
                if self._delay:
                    await asyncio.sleep(self._delay)
                yield CompletionDelta(text=token)
            prompt = sum(estimate_tokens(m.content) for m in messages)
            yield CompletionDelta(
                usage=Usage(prompt_tokens=prompt, completion_tokens=len(tokens)),
                finish_reason="length" if len(words) > len(tokens) else "stop",
            )
        except GeneratorExit:
            self.cancelled += 1
            raise

    def health(self) -> HealthStatus:
        return HealthStatus(ok=True, detail=self._model_id)

    def close(self) -> None:
        return None

    async def aclose(self) -> None:
        return None
