from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass

from autbot.domain.errors import InvalidInput
from autbot.domain.model import (
    Answer,
    AnswerEvent,
    CitationsEvent,
    DoneEvent,
    GenerationParams,
    MetadataFilter,
    SearchMode,
    TokenEvent,
    Usage,
)
from autbot.domain.prompting import NO_ANSWER, NOTHING_FOUND, Prompt, build_prompt, leaks_system_prompt
from autbot.ports.language_model import LanguageModel
from autbot.use_cases.search import SearchChunks, SearchRequest


@dataclass(frozen=True, slots=True, kw_only=True)
class AnswerRequest:
    collection: str
    question: str
    top_k: int = 4
    filters: tuple[MetadataFilter, ...] = ()
    mode: SearchMode = SearchMode.VECTOR
    alpha: float | None = None
    max_tokens: int | None = None
    temperature: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AnswerLimits:
    max_prompt_tokens: int = 1536
    max_output_tokens: int = 256
    default_output_tokens: int = 160
    timeout_s: float = 120.0
    min_vector_score: float = 0.2
    """In vector mode, chunks scoring below this cosine similarity are not given to the model."""


class AnswerQuestion:
    """Answer a question from a collection's documents, with numbered citations.

    Rules:
    - Retrieves ``top_k`` chunks (as SearchChunks), keeps the best-scored ones that fit the prompt
      budget whole, numbers them, and gives them to the model as labelled untrusted data.
    - Citations are exactly the chunks the model was given; none can name anything else.
    - In vector mode, chunks below the minimum similarity are dropped: they only distract the model.
    - Nothing retrieved: the model is not called and the answer says nothing relevant was found.
    - ``max_tokens`` is 1 to the configured maximum; ``temperature`` is 0-2.
    - An answer that repeats the system prompt is replaced by a refusal.
    - Streaming yields one citations event, then token events, then a done event.
    """

    def __init__(self, *, search: SearchChunks, llm: LanguageModel, limits: AnswerLimits | None = None) -> None:
        self._search = search
        self._llm = llm
        self._limits = limits or AnswerLimits()

    async def execute(self, request: AnswerRequest) -> Answer:
        prompt, params = await self._prepare(request)
        if not prompt.citations:
            return Answer(text=NOTHING_FOUND, citations=(), usage=Usage(), model=self._llm.model_id)
        completion = await self._llm.complete(prompt.messages, params)
        text = completion.text.strip()
        if leaks_system_prompt(text):
            text = NO_ANSWER
        return Answer(
            text=text or NO_ANSWER, citations=prompt.citations, usage=completion.usage, model=completion.model
        )

    async def stream(self, request: AnswerRequest) -> AsyncIterator[AnswerEvent]:
        prompt, params = await self._prepare(request)
        yield CitationsEvent(citations=prompt.citations)
        if not prompt.citations:
            yield TokenEvent(text=NOTHING_FOUND)
            yield DoneEvent(usage=Usage(), model=self._llm.model_id)
            return
        usage = Usage()
        said = ""
        async with aclosing(self._llm.stream(prompt.messages, params)) as deltas:
            async for delta in deltas:
                if delta.text:
                    said += delta.text
                    if leaks_system_prompt(said):
                        yield TokenEvent(text="\n" + NO_ANSWER)
                        break
                    yield TokenEvent(text=delta.text)
                if delta.usage is not None:
                    usage = delta.usage
        yield DoneEvent(usage=usage, model=self._llm.model_id)

    async def _prepare(self, request: AnswerRequest) -> tuple[Prompt, GenerationParams]:
        question = request.question.strip() if isinstance(request.question, str) else ""
        if not question:
            raise InvalidInput("The question is empty.", field="question")
        max_tokens = request.max_tokens or self._limits.default_output_tokens
        if not 1 <= max_tokens <= self._limits.max_output_tokens:
            raise InvalidInput(
                f"max_tokens must be between 1 and {self._limits.max_output_tokens}.", field="max_tokens"
            )
        temperature = 0.0 if request.temperature is None else request.temperature
        if not 0.0 <= temperature <= 2.0:
            raise InvalidInput("temperature must be between 0 and 2.", field="temperature")
        search = SearchRequest(
            collection=request.collection,
            query=question,
            top_k=request.top_k,
            filters=request.filters,
            mode=request.mode,
            alpha=request.alpha,
        )
        hits = await asyncio.to_thread(self._search.execute, search)
        if request.mode is SearchMode.VECTOR:
            hits = [h for h in hits if h.score >= self._limits.min_vector_score]
        prompt = build_prompt(question, hits, max_prompt_tokens=self._limits.max_prompt_tokens)
        params = GenerationParams(max_tokens=max_tokens, temperature=temperature, timeout_s=self._limits.timeout_s)
        return prompt, params
