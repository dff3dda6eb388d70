from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass, field, replace

from autbot.domain import limits
from autbot.domain.answers import (
    Answer,
    AnswerEvent,
    ChatMessage,
    CitationsEvent,
    DoneEvent,
    GenerationParams,
    TokenEvent,
    Usage,
    generation_params,
)
from autbot.domain.auth import Principal
from autbot.domain.conversation import condense_prompt, needs_condensing, previous_question, standalone_question
from autbot.domain.model import ANSWER_MODE, SearchMode
from autbot.domain.prompting import NO_ANSWER, NOTHING_FOUND, Prompt, build_prompt, leaks_system_prompt
from autbot.domain.retrieval import RetrievalOptions, question_text
from autbot.ports.generation_slots import GenerationSlots
from autbot.ports.language_model import LanguageModel
from autbot.ports.token_budget import TokenBudget
from autbot.use_cases.admission import Admit, admit_all
from autbot.use_cases.metering import Metering
from autbot.use_cases.search import SearchChunks


@dataclass(frozen=True, slots=True, kw_only=True)
class AnswerRequest:
    principal: Principal
    """Who asks: a collection outside its key's list does not exist for it (404)."""
    collection: str
    question: str
    retrieval: RetrievalOptions = field(default_factory=RetrievalOptions)
    """How to retrieve; left out: ``limits.DEFAULT_ANSWER_MODE`` and ``llm.default_top_k`` chunks. The score
    floor is always ``llm.min_vector_score`` (none in keyword mode)."""
    max_tokens: int | None = None
    temperature: float | None = None
    caller: str | None = None
    """Who asks (``key:<name>`` or ``ip:<address>``, see ``domain.quotas.caller_identity``): their daily
    token budget applies. None: no budget (internal callers)."""
    history: tuple[ChatMessage, ...] = ()
    """Earlier user and assistant turns, oldest first: with any user turn among them, the question is first
    rewritten as a standalone question."""
    instructions: tuple[str, ...] = ()
    """The client's own system instructions: given to the model after AutBot's rules, never instead."""
    top_p: float | None = None
    stop: tuple[str, ...] = ()
    admit: Admit = admit_all
    """Called once the key may use the collection, before any work (``use_cases.admission``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AnswerLimits:
    default_top_k: int = limits.DEFAULT_ANSWER_TOP_K
    max_prompt_tokens: int = limits.MAX_PROMPT_TOKENS
    max_output_tokens: int = limits.MAX_OUTPUT_TOKENS
    default_output_tokens: int = limits.DEFAULT_OUTPUT_TOKENS
    timeout_s: float = limits.LLM_TIMEOUT_S
    min_vector_score: float = limits.MIN_VECTOR_SCORE
    """The relevance floor: in vector and hybrid modes, chunks less similar to the question than this (cosine)
    are not given to the model, whatever their rank or fused score (``RetrievalOptions.min_vector_score``)."""
    daily_tokens_per_key: int = limits.DAILY_TOKENS_PER_KEY
    """Prompt + completion tokens per caller per UTC day; 0 = unlimited."""


RULES = """Rules:
- A collection outside the key's list does not exist for it (404); that is decided first.
- Retrieves ``top_k`` chunks (as SearchChunks; default ``limits.DEFAULT_ANSWER_TOP_K``), keeps the best-scored
  ones that fit the prompt budget whole, numbers them, and gives them to the model as labelled untrusted data.
- Citations are exactly the chunks the model was given; none can name anything else.
- In vector and hybrid modes, chunks less similar to the question than ``llm.min_vector_score`` are
  dropped before fusion (keyword matches too): they only distract the model.
- Nothing retrieved: the model is not called and the answer says nothing relevant was found.
- With earlier turns, the question is first rewritten by the model as a standalone question (one short
  call, charged like an answer, its tokens included in the usage); retrieval and the answer use it.
- A client's own instructions follow AutBot's rules in the system prompt; they never replace them.
- ``max_tokens`` is 1 to the configured maximum; ``temperature`` is 0-``limits.MAX_TEMPERATURE``.
- An answer that repeats the system prompt is replaced by a refusal.
- A caller whose daily token budget is spent gets ``token_budget_exhausted`` (429) until UTC midnight,
  before anything is retrieved; the tokens the model reports (prompt + completion) are charged after.
- At most ``llm.max_concurrent`` generations run at once per process and ``llm.max_queue`` wait; beyond
  that the answer is refused at once with ``server_busy`` (503)."""


class Grounding(Metering):
    """What every answering use case shares (whole or streamed, in a session or a chat): the checks, the
    budget, condensing a follow-up, retrieval, the grounded prompt and the model call, in a generation slot
    and charged (``Metering``)."""

    def __init__(
        self,
        search: SearchChunks,
        llm: LanguageModel,
        limits: AnswerLimits | None,
        budget: TokenBudget | None,
        slots: GenerationSlots | None,
        clock: Callable[[], float],
    ) -> None:
        self.search = search
        self.llm = llm
        self.limits = limits or AnswerLimits()
        super().__init__(budget=budget, slots=slots, daily_tokens=self.limits.daily_tokens_per_key, clock=clock)

    async def prepare(self, request: AnswerRequest, *, field: str) -> tuple[Prompt, GenerationParams, Usage]:
        """The grounded prompt, the generation parameters, and what condensing the question used. The
        collection's visibility comes first, then the question (``field`` names it in errors)."""
        collection = request.principal.visible_collection(request.collection)
        await request.admit(1)
        question = question_text(request.question, field=field)
        params = generation_params(
            max_tokens=request.max_tokens,
            temperature=request.temperature,
            top_p=request.top_p,
            stop=request.stop,
            default_tokens=self.limits.default_output_tokens,
            max_output_tokens=self.limits.max_output_tokens,
            timeout_s=self.limits.timeout_s,
        )
        await self.check_budget(request.caller)
        condensed = Usage()
        if needs_condensing(request.history):
            question, condensed = await self.condense(request.history, question, request.caller)
        options = request.retrieval.defaulted(mode=ANSWER_MODE, top_k=self.limits.default_top_k)
        floor = None if options.mode is SearchMode.KEYWORD else self.limits.min_vector_score
        options = replace(options, min_vector_score=floor)
        access = request.principal.access_filter()
        hits = await asyncio.to_thread(self.search.retrieve, collection, question, options, access=access)
        prompt = build_prompt(
            question, hits, max_prompt_tokens=self.limits.max_prompt_tokens, instructions=request.instructions
        )
        return prompt, params, condensed

    async def condense(self, history: tuple[ChatMessage, ...], question: str, caller: str | None) -> tuple[str, Usage]:
        """One short model call: the follow-up rewritten as a standalone question (charged like an answer)."""
        params = GenerationParams(
            max_tokens=limits.CONDENSE_MAX_TOKENS, temperature=0.0, timeout_s=self.limits.timeout_s
        )
        completion = await self.complete(self.llm, condense_prompt(history, question), params, caller)
        rewrite = standalone_question(completion.text, question=question, previous=previous_question(history))
        return rewrite, completion.usage

    async def answer(self, request: AnswerRequest, *, field: str = "question") -> Answer:
        """The whole answer."""
        prompt, params, condensed = await self.prepare(request, field=field)
        if not prompt.citations:
            return Answer(text=NOTHING_FOUND, citations=(), usage=condensed, model=self.llm.model_id)
        completion = await self.complete(self.llm, prompt.messages, params, request.caller)
        text = completion.text.strip()
        if leaks_system_prompt(text):
            text = NO_ANSWER
        return Answer(
            text=text or NO_ANSWER,
            citations=prompt.citations,
            usage=completion.usage + condensed,
            model=completion.model,
            finish_reason=completion.finish_reason or "stop",
        )

    async def events(self, request: AnswerRequest, *, field: str = "question") -> AsyncGenerator[AnswerEvent, None]:
        """The answer as events: citations, tokens, done. Checks, the budget, retrieval and the generation slot
        come before the first event, so their errors come first; closing the iterator early cancels the
        generation and charges what was generated so far."""
        prompt, params, condensed = await self.prepare(request, field=field)
        if not prompt.citations:
            yield CitationsEvent(citations=prompt.citations)
            yield TokenEvent(text=NOTHING_FOUND)
            yield DoneEvent(usage=condensed, model=self.llm.model_id)
            return
        async with self.streaming(self.llm, prompt.messages, params, request.caller) as run:
            yield CitationsEvent(citations=prompt.citations)
            said = ""
            async for text in run:
                said += text
                if leaks_system_prompt(said):
                    yield TokenEvent(text="\n" + NO_ANSWER)
                    break
                yield TokenEvent(text=text)
        yield DoneEvent(usage=(run.usage or Usage()) + condensed, model=self.llm.model_id, finish_reason=run.finish)


class AnswerQuestion:
    __doc__ = "Answer a question from a collection's documents, with numbered citations.\n\n" + RULES

    def __init__(
        self,
        *,
        search: SearchChunks,
        llm: LanguageModel,
        limits: AnswerLimits | None = None,
        budget: TokenBudget | None = None,
        slots: GenerationSlots | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._grounding = Grounding(search, llm, limits, budget, slots, clock)

    async def execute(self, request: AnswerRequest) -> Answer:
        return await self._grounding.answer(request)


class StreamAnswer:
    __doc__ = "Answer a question as a stream: one citations event, then token events, then a done event.\n\n" + RULES

    def __init__(
        self,
        *,
        search: SearchChunks,
        llm: LanguageModel,
        limits: AnswerLimits | None = None,
        budget: TokenBudget | None = None,
        slots: GenerationSlots | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._grounding = Grounding(search, llm, limits, budget, slots, clock)

    def execute(self, request: AnswerRequest) -> AsyncGenerator[AnswerEvent, None]:
        """Errors of the checks, the budget, retrieval and the generation slot come before the first event."""
        return self._grounding.events(request)
