"""Chat completions for OpenAI clients, whole (``ChatCompletions``) or as events (``StreamChatCompletions``):
``rag:<collection>`` answers with retrieval and citations (the answer use cases' ``Grounding``); a chat alias
relays the conversation to the configured model as it is."""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Callable
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
from autbot.domain.models import route_chat_model
from autbot.domain.retrieval import RetrievalOptions
from autbot.ports.generation_slots import GenerationSlots
from autbot.ports.language_model import LanguageModel
from autbot.ports.token_budget import TokenBudget
from autbot.use_cases.admission import Admit, admit_all
from autbot.use_cases.answer import AnswerLimits, AnswerRequest, Grounding
from autbot.use_cases.search import SearchChunks


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatRequest:
    model: str
    messages: tuple[ChatMessage, ...]
    principal: Principal
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    stop: tuple[str, ...] = ()
    retrieval: RetrievalOptions = field(default_factory=RetrievalOptions)
    """How a ``rag:`` model retrieves (the request's ``autbot`` extension); left out: as ``AnswerRequest``."""
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
- 1-``limits.MAX_CHAT_MESSAGES`` messages, ``limits.MAX_CHAT_CHARS`` characters together; ``max_tokens`` 1 to
  the configured maximum (default: the answer default for ``rag:``, the maximum for a relay); ``temperature``
  0-``limits.MAX_TEMPERATURE``; ``top_p`` in (0, 1]; at most ``limits.MAX_STOP_SEQUENCES`` ``stop`` strings.
  Token budgets and generation slots apply to every model call, the condensing one too."""


class _Chat:
    """What both chat use cases share: the model's route, the grounded request of a ``rag:`` model (answered by
    ``Grounding``), and the relay's checks (its model calls metered by the same ``Grounding``)."""

    def __init__(
        self,
        search: SearchChunks,
        llm: LanguageModel,
        chat_aliases: tuple[str, ...],
        limits: AnswerLimits | None,
        budget: TokenBudget | None,
        slots: GenerationSlots | None,
        clock: Callable[[], float],
    ) -> None:
        self.grounding = Grounding(search, llm, limits, budget, slots, clock)
        self.aliases = chat_aliases

    def grounded(self, request: ChatRequest) -> AnswerRequest | None:
        """The answer request of a ``rag:`` model, or None for a chat alias (a relay)."""
        route = route_chat_model(request.model, chat_aliases=self.aliases)
        if route.collection is None:
            return None
        conversation = split_conversation(request.messages)
        return AnswerRequest(
            principal=request.principal,
            collection=route.collection,
            question=conversation.question,
            retrieval=request.retrieval,
            max_tokens=request.max_tokens,
            temperature=request.temperature,
            top_p=request.top_p,
            stop=request.stop,
            caller=request.caller,
            admit=request.admit,
            history=conversation.history,
            instructions=conversation.instructions,
        )

    async def relay_params(self, request: ChatRequest) -> GenerationParams:
        check_messages(request.messages)
        await request.admit(1)  # a relay names no collection: every key with the query scope may use it
        limits = self.grounding.limits
        params = generation_params(
            max_tokens=request.max_tokens,
            temperature=request.temperature,
            top_p=request.top_p,
            stop=request.stop,
            default_tokens=limits.max_output_tokens,
            max_output_tokens=limits.max_output_tokens,
            timeout_s=limits.timeout_s,
        )
        await self.grounding.check_budget(request.caller)
        return params


class ChatCompletions:
    __doc__ = "Answer a chat conversation (OpenAI chat completions), with citations for ``rag:`` models.\n\n" + RULES

    def __init__(
        self,
        *,
        search: SearchChunks,
        llm: LanguageModel,
        chat_aliases: tuple[str, ...],
        limits: AnswerLimits | None = None,
        budget: TokenBudget | None = None,
        slots: GenerationSlots | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._chat = _Chat(search, llm, chat_aliases, limits, budget, slots, clock)

    async def execute(self, request: ChatRequest) -> Answer:
        g = self._chat.grounding
        grounded = self._chat.grounded(request)
        if grounded is not None:
            return await g.answer(grounded, field="messages")
        params = await self._chat.relay_params(request)
        completion = await g.complete(g.llm, request.messages, params, request.caller)
        return Answer(
            text=completion.text,
            citations=(),
            usage=completion.usage,
            model=completion.model,
            finish_reason=completion.finish_reason or "stop",
        )


class StreamChatCompletions:
    __doc__ = (
        "Answer a chat conversation (OpenAI chat completions) as events: citations (``rag:`` models), tokens, "
        "done.\n\n" + RULES
    )

    def __init__(
        self,
        *,
        search: SearchChunks,
        llm: LanguageModel,
        chat_aliases: tuple[str, ...],
        limits: AnswerLimits | None = None,
        budget: TokenBudget | None = None,
        slots: GenerationSlots | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._chat = _Chat(search, llm, chat_aliases, limits, budget, slots, clock)

    def execute(self, request: ChatRequest) -> AsyncGenerator[AnswerEvent, None]:
        """The model's name and the conversation's shape are checked at once; the other errors (the key's
        collections, validation, budget, retrieval and, for a relay, the model's first token) come before the
        first event. Closing the events early cancels the generation and charges what was generated."""
        grounded = self._chat.grounded(request)
        if grounded is not None:
            return self._chat.grounding.events(grounded, field="messages")
        return self._relay(request)

    async def _relay(self, request: ChatRequest) -> AsyncGenerator[AnswerEvent, None]:
        g = self._chat.grounding
        params = await self._chat.relay_params(request)
        async with g.streaming(g.llm, request.messages, params, request.caller) as run:
            async for text in run:
                yield TokenEvent(text=text)
        yield DoneEvent(usage=run.usage or Usage(), model=g.llm.model_id, finish_reason=run.finish)
