"""Chat completions for OpenAI clients: ``rag:<collection>`` answers with retrieval and citations (through
AnswerQuestion / StreamAnswer); a chat alias relays the conversation to the configured model as it is."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass, field

from autbot.domain.answers import (
    Answer,
    AnswerEvent,
    ChatMessage,
    DoneEvent,
    GenerationParams,
    TokenEvent,
    Usage,
    generation_params,
)
from autbot.domain.auth import Principal
from autbot.domain.conversation import check_messages, split_conversation
from autbot.domain.model import ANSWER_MODE, MetadataFilter, SearchMode
from autbot.domain.models import route_chat_model
from autbot.domain.prompting import estimate_tokens
from autbot.ports.generation_slots import GenerationSlots
from autbot.ports.language_model import LanguageModel
from autbot.ports.token_budget import TokenBudget
from autbot.use_cases.admission import Admit, admit_all
from autbot.use_cases.answer import AnswerLimits, AnswerQuestion, AnswerRequest, StreamAnswer
from autbot.use_cases.metering import Metering
from autbot.use_cases.search import SearchRequest


@dataclass(frozen=True, slots=True, kw_only=True)
class Retrieval:
    """How a ``rag:`` model retrieves (the request's ``autbot`` extension); None: the server's defaults."""

    top_k: int | None = None
    filters: tuple[MetadataFilter, ...] = ()
    mode: SearchMode = ANSWER_MODE
    alpha: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatRequest:
    model: str
    messages: tuple[ChatMessage, ...]
    principal: Principal
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    stop: tuple[str, ...] = ()
    retrieval: Retrieval = field(default_factory=Retrieval)
    stream: bool = False
    """Answer as a stream of events (citations, tokens, done) rather than whole."""
    caller: str | None = None
    """Whose daily token budget applies (see ``AnswerRequest.caller``)."""
    admit: Admit = admit_all
    """Called once the key may use the model's collection, before any work (``use_cases.admission``)."""


RULES = """Rules:
- ``model`` is ``rag:<collection>`` or one of the chat aliases (``openai_api.chat_aliases``); anything else
  is ``model_not_found`` (404). A collection the key may not use does not exist for it (404); such a request
  does not count against the caller's rate limit.
- ``rag:<collection>``: the last message is the question (it must be a user's); earlier user and assistant
  turns are the history, and with any, the question is first rewritten as a standalone question for
  retrieval and the answer (one short model call; see ``domain.conversation.standalone_question``). System
  messages are kept, after AutBot's grounding rules, labelled as the client's. Then the answer is made as by
  ``/query``: citations are exactly the chunks given.
- A chat alias: the messages go to the configured model as they are, without retrieval or citations.
- 1-64 messages, 64,000 characters together; ``max_tokens`` 1 to the configured maximum (default: the
  answer default for ``rag:``, the maximum for a relay); ``temperature`` 0-2; ``top_p`` in (0, 1]; at most
  4 ``stop`` strings. Token budgets and generation slots apply to every model call, the condensing one too."""


class _Chat:
    """The model's route, the grounded request of a ``rag:`` model, the relay's checks and its metering."""

    def __init__(
        self,
        llm: LanguageModel,
        limits: AnswerLimits | None,
        chat_aliases: tuple[str, ...],
        metering: Metering,
    ) -> None:
        self.llm = llm
        self.limits = limits or AnswerLimits()
        self.aliases = chat_aliases
        self.metering = metering

    def grounded(self, request: ChatRequest) -> AnswerRequest | None:
        """The answer request for a ``rag:`` model, or None for a chat alias (a relay)."""
        route = route_chat_model(request.model, chat_aliases=self.aliases)
        if route.collection is None:
            return None
        request.principal.check_collection(route.collection)
        conversation = split_conversation(request.messages)
        r = request.retrieval
        return AnswerRequest(
            search=SearchRequest(
                collection=route.collection,
                query=conversation.question,
                top_k=r.top_k,
                filters=r.filters,
                mode=r.mode,
                alpha=r.alpha,
            ),
            max_tokens=request.max_tokens,
            temperature=request.temperature,
            top_p=request.top_p,
            stop=request.stop,
            caller=request.caller,
            history=conversation.history,
            instructions=conversation.instructions,
        )

    async def relay_params(self, request: ChatRequest) -> GenerationParams:
        check_messages(request.messages)
        params = generation_params(
            max_tokens=request.max_tokens,
            temperature=request.temperature,
            top_p=request.top_p,
            stop=request.stop,
            default_tokens=self.limits.max_output_tokens,
            max_output_tokens=self.limits.max_output_tokens,
            timeout_s=self.limits.timeout_s,
        )
        await self.metering.check_budget(request.caller)
        return params


def _metering(limits: AnswerLimits | None, budget: TokenBudget | None, slots: GenerationSlots | None) -> Metering:
    daily = (limits or AnswerLimits()).daily_tokens_per_key
    return Metering(budget=budget, slots=slots, daily_tokens=daily)


class ChatCompletions:
    __doc__ = (
        "Answer a chat conversation (OpenAI chat completions), whole or as a stream of events, with citations "
        "for ``rag:`` models.\n\n" + RULES
    )

    def __init__(
        self,
        *,
        answer: AnswerQuestion,
        stream: StreamAnswer,
        llm: LanguageModel,
        chat_aliases: tuple[str, ...],
        limits: AnswerLimits | None = None,
        budget: TokenBudget | None = None,
        slots: GenerationSlots | None = None,
    ) -> None:
        self._answer = answer
        self._stream = stream
        self._chat = _Chat(llm, limits, chat_aliases, _metering(limits, budget, slots))

    async def execute(self, request: ChatRequest) -> Answer | AsyncIterator[AnswerEvent]:
        """The answer, or with ``request.stream`` its events (one use case for both: the HTTP route that serves
        them resolves one dependency, which keeps a relayed request cheap). A stream's errors of validation,
        budget, retrieval (and, for a relay, of the model's first token) come before its first event; closing
        it early cancels the generation and charges what was generated."""
        grounded = self._chat.grounded(request)
        await request.admit(1)
        if request.stream:
            return self._stream.execute(grounded) if grounded is not None else self._relay_stream(request)
        if grounded is not None:
            return await self._answer.execute(grounded)
        return await self._relay(request)

    async def _relay(self, request: ChatRequest) -> Answer:
        chat, m = self._chat, self._chat.metering
        params = await chat.relay_params(request)
        async with m.slot():
            completion = await chat.llm.complete(request.messages, params)
        await m.charge(request.caller, completion.usage)
        return Answer(
            text=completion.text,
            citations=(),
            usage=completion.usage,
            model=completion.model,
            finish_reason=completion.finish_reason or "stop",
        )

    async def _relay_stream(self, request: ChatRequest) -> AsyncIterator[AnswerEvent]:
        chat, m = self._chat, self._chat.metering
        params = await chat.relay_params(request)
        async with m.slot():
            usage: Usage | None = None
            finish = "stop"
            pieces = 0
            try:
                async with aclosing(chat.llm.stream(request.messages, params)) as deltas:
                    async for delta in deltas:
                        if delta.text:
                            pieces += 1
                            yield TokenEvent(text=delta.text)
                        usage = delta.usage or usage
                        finish = delta.finish_reason or finish
            finally:
                if usage is not None or pieces:  # cut short: charge the prompt and the pieces sent
                    spent = usage or Usage(
                        prompt_tokens=sum(estimate_tokens(x.content) for x in request.messages),
                        completion_tokens=pieces,
                    )
                    await asyncio.shield(m.charge(request.caller, spent))
        yield DoneEvent(usage=usage or Usage(), model=chat.llm.model_id, finish_reason=finish)
