from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass, replace

from autbot.domain import limits
from autbot.domain.answers import Answer, AnswerEvent, CitationsEvent, DoneEvent, GenerationParams, TokenEvent, Usage
from autbot.domain.errors import InvalidInput
from autbot.domain.model import SearchMode
from autbot.domain.prompting import NO_ANSWER, NOTHING_FOUND, Prompt, build_prompt, leaks_system_prompt
from autbot.ports.language_model import LanguageModel
from autbot.use_cases.search import SearchChunks, SearchRequest


@dataclass(frozen=True, slots=True, kw_only=True)
class AnswerRequest:
    search: SearchRequest
    """What to retrieve: the question is ``search.query``; ``top_k`` None means ``llm.default_top_k``."""
    max_tokens: int | None = None
    temperature: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AnswerLimits:
    default_top_k: int = limits.DEFAULT_ANSWER_TOP_K
    max_prompt_tokens: int = limits.MAX_PROMPT_TOKENS
    max_output_tokens: int = limits.MAX_OUTPUT_TOKENS
    default_output_tokens: int = limits.DEFAULT_OUTPUT_TOKENS
    timeout_s: float = limits.LLM_TIMEOUT_S
    min_vector_score: float = limits.MIN_VECTOR_SCORE
    """In vector mode, chunks scoring below this cosine similarity are not given to the model."""


RULES = """Rules:
- Retrieves ``top_k`` chunks (as SearchChunks; default 4), keeps the best-scored ones that fit the
  prompt budget whole, numbers them, and gives them to the model as labelled untrusted data.
- Citations are exactly the chunks the model was given; none can name anything else.
- In vector mode, chunks below the minimum similarity are dropped: they only distract the model.
- Nothing retrieved: the model is not called and the answer says nothing relevant was found.
- ``max_tokens`` is 1 to the configured maximum; ``temperature`` is 0-2.
- An answer that repeats the system prompt is replaced by a refusal."""


class _Grounding:
    """What both answer use cases share: validate, retrieve, and build the grounded prompt."""

    def __init__(self, search: SearchChunks, llm: LanguageModel, limits: AnswerLimits | None) -> None:
        self.search = search
        self.llm = llm
        self.limits = limits or AnswerLimits()

    async def prepare(self, request: AnswerRequest) -> tuple[Prompt, GenerationParams]:
        question = request.search.query.strip() if isinstance(request.search.query, str) else ""
        if not question:
            raise InvalidInput("The question is empty.", field="question")
        max_tokens = request.max_tokens or self.limits.default_output_tokens
        if not 1 <= max_tokens <= self.limits.max_output_tokens:
            raise InvalidInput(f"max_tokens must be between 1 and {self.limits.max_output_tokens}.", field="max_tokens")
        temperature = 0.0 if request.temperature is None else request.temperature
        if not 0.0 <= temperature <= limits.MAX_TEMPERATURE:
            raise InvalidInput(f"temperature must be between 0 and {limits.MAX_TEMPERATURE:g}.", field="temperature")
        search = replace(
            request.search,
            query=question,
            top_k=self.limits.default_top_k if request.search.top_k is None else request.search.top_k,
        )
        hits = await asyncio.to_thread(self.search.execute, search)
        if search.mode is SearchMode.VECTOR:
            hits = [h for h in hits if h.score >= self.limits.min_vector_score]
        prompt = build_prompt(question, hits, max_prompt_tokens=self.limits.max_prompt_tokens)
        params = GenerationParams(max_tokens=max_tokens, temperature=temperature, timeout_s=self.limits.timeout_s)
        return prompt, params


class AnswerQuestion:
    __doc__ = "Answer a question from a collection's documents, with numbered citations.\n\n" + RULES

    def __init__(self, *, search: SearchChunks, llm: LanguageModel, limits: AnswerLimits | None = None) -> None:
        self._grounding = _Grounding(search, llm, limits)

    async def execute(self, request: AnswerRequest) -> Answer:
        llm = self._grounding.llm
        prompt, params = await self._grounding.prepare(request)
        if not prompt.citations:
            return Answer(text=NOTHING_FOUND, citations=(), usage=Usage(), model=llm.model_id)
        completion = await llm.complete(prompt.messages, params)
        text = completion.text.strip()
        if leaks_system_prompt(text):
            text = NO_ANSWER
        return Answer(
            text=text or NO_ANSWER, citations=prompt.citations, usage=completion.usage, model=completion.model
        )


class StreamAnswer:
    __doc__ = "Answer a question as a stream: one citations event, then token events, then a done event.\n\n" + RULES

    def __init__(self, *, search: SearchChunks, llm: LanguageModel, limits: AnswerLimits | None = None) -> None:
        self._grounding = _Grounding(search, llm, limits)

    async def execute(self, request: AnswerRequest) -> AsyncIterator[AnswerEvent]:
        """Validation and retrieval happen before the first event, so their errors come first; closing
        the iterator early cancels the generation."""
        llm = self._grounding.llm
        prompt, params = await self._grounding.prepare(request)
        yield CitationsEvent(citations=prompt.citations)
        if not prompt.citations:
            yield TokenEvent(text=NOTHING_FOUND)
            yield DoneEvent(usage=Usage(), model=llm.model_id)
            return
        usage = Usage()
        said = ""
        async with aclosing(llm.stream(prompt.messages, params)) as deltas:
            async for delta in deltas:
                if delta.text:
                    said += delta.text
                    if leaks_system_prompt(said):
                        yield TokenEvent(text="\n" + NO_ANSWER)
                        break
                    yield TokenEvent(text=delta.text)
                if delta.usage is not None:
                    usage = delta.usage
        yield DoneEvent(usage=usage, model=llm.model_id)
